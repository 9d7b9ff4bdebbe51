"""`qsgen serve`: build in memory, serve on localhost, watch the sources, rebuild incrementally, reload.

The preview never writes _site/: the site lives in memory as {path: bytes}, exactly the bytes
`qsgen build` would write. HTML responses get a small script (and, after a failed build, an
error panel) added on the way out; the stored pages stay byte-identical to a clean build.
Open pages poll ``/__qsgen/version`` and reload when it changes. A build with errors keeps the
last good site on show with the errors on top of every page; the server keeps running.
"""

from __future__ import annotations

import html
import mimetypes
import os
import posixpath
import re
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from qsgen.core.errors import Diagnostic, QsgenError
from qsgen.incremental import cache, recordmemo, scorememo
from qsgen.incremental.pagestore import PageStore
from qsgen.site import template_errors

VERSION_PATH = "/__qsgen/version"
POLL_MS = 400
WATCHED = ("records", "rules", "site_templates")


# ------------------------------------------------------------------ building


class Engine:
    """Warm pipeline state between rebuilds: each year's rules, parsed records, scores; rendered
    pages, git history."""

    def __init__(self, root: Path, jobs: int | None = None) -> None:
        self.root = Path(root)
        self.jobs = jobs
        self.memo = recordmemo.RecordMemo()
        self.store = PageStore()
        self.scores: dict[int, scorememo.ScoreMemo] = {}
        self.rules: dict[int, Any] = {}  # year -> Rules
        self.rules_digest: dict[int, str] = {}
        self.history: dict = {}
        self.history_head: str | None = None
        self.approvals: dict = {}  # build/approvals.gather's memo: reused while HEAD and rules/ are

    def build(self, changed: Iterable[str] | None = None) -> dict[str, bytes]:
        """Every file of the site; raises QsgenError with every diagnostic when inputs are bad."""
        from qsgen.build import approvals
        from qsgen.build import inputs as gather
        from qsgen.build.pipeline import in_progress
        from qsgen.build.render import render_site
        from qsgen.lifecycle import evaluate
        from qsgen.repo import years as repo_years
        from qsgen.rules import load_rules
        from qsgen.site import SiteInputs

        root = self.root
        touched = recordmemo.changed_kinds(changed, root) if changed is not None else set()
        if "other" in touched:  # an attachment or folder changed: validate every record again
            self.memo.clear()
        years = repo_years.rule_years(root)
        diags = repo_years.orphans(root)
        if not years:
            _rules, rule_diags = load_rules(root)
            raise QsgenError("考核规则有错误，网站没有更新", sorted(set(rule_diags)))
        when = gather.build_date(root)
        digests, results = {}, []
        for year in years:
            digest = digests[year] = cache.tree_digest(root / "rules" / str(year), within=root)
            if self.rules.get(year) is None or digest != self.rules_digest.get(year):
                self.rules.pop(year, None)
                rules, rule_diags = load_rules(root, year)
                if rules is None or any(d.severity == "error" for d in rule_diags):
                    diags += rule_diags
                    continue
                self.rules[year], self.rules_digest[year] = rules, digest
                self.memo.clear(year)
            rules = self.rules[year]
            records, record_diags = self.memo.load(root, rules, self.store.digests)
            diags += record_diags
            today = gather.example_date(root, year) or (when.date() if when else None)
            if any(d.severity == "error" for d in record_diags):
                diags += evaluate(root, rules, records, today)[1]  # (a final year's changes too)
                continue
            memo = self.scores.setdefault(year, scorememo.ScoreMemo())
            r = memo.score(rules, records, self.store.digests.table(records.records),
                           base=scorememo.scoring_digest(digest), as_of=in_progress(rules, today),
                           before=self.store.digests.earlier(body_only=True))
            r.lifecycle, life = evaluate(root, rules, records, today, r)  # 公示, objections, 定稿
            diags += life
            results.append(r)
        for year in [y for y in self.rules if y not in years]:
            del self.rules[year]
        from qsgen.rules.continuity import check_previous

        diags += check_previous([r.rules for r in results])
        if any(d.severity == "error" for d in diags):
            rules_only = all(d.path.startswith("rules/") for d in diags if d.severity == "error")
            raise QsgenError("考核规则有错误，网站没有更新" if rules_only else "记录有错误，网站没有更新",
                             sorted(set(diags)))
        history = self._history(results)
        inputs = []
        for r in results:
            year = r.rules.year
            found, policy, _warnings, self.approvals[year] = approvals.gather(
                root, r, self.approvals.get(year, {}), self.history_head, digests[year])
            inputs.append(SiteInputs(
                history=history,
                history_id=self.history_head,
                approvals=found,
                approval_rules=policy,
                attachments=gather.read_attachments(root, r.records),
                source_date=when,
                example=gather.is_example(root, year),
                templates=gather.templates_of(root),
                show_authors=gather.show_authors(root),
            ))
        with template_errors.reported(root, inputs[-1].templates, "网站模板有错误，网站没有更新"):
            return render_site(results, inputs, self.store, rules_digest=digests, jobs=self.jobs)

    def _history(self, results) -> dict:
        """Git provenance, read again (one `git log` pass) only when HEAD moved."""
        head = _git_head(self.root)
        if head != self.history_head or not self.history:
            from qsgen.build import inputs as gather

            paths = sorted({p for r in results
                            for p in [*(x.path for x in r.records.records),
                                      *(a.path for a in r.records.assessments.values())]})
            self.history = gather.history(self.root, paths)
            self.history_head = head
        return self.history


def _git_head(root: Path) -> str | None:
    try:
        proc = subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=root, capture_output=True,
                              stdin=subprocess.DEVNULL, check=False, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.decode("ascii", "replace").strip() or None


class Preview:
    """The site being previewed: the last good files, the errors of the last build, a version."""

    def __init__(self, root: Path, engine: Engine | None = None) -> None:
        self.root = Path(root)
        self.engine = engine or Engine(self.root)
        self.files: dict[str, bytes] = {}
        self.errors: list[Diagnostic] = []
        self.failure = ""  # what went wrong in the last build, "" after a success
        self.version = 0
        self.seconds = 0.0  # duration of the last build
        self._lock = threading.Lock()  # one build at a time

    def rebuild(self, changed: Iterable[str] | None = None) -> bool:
        """Build again; True on success. Never raises for bad input: errors go on the pages."""
        with self._lock:
            t0 = time.perf_counter()
            files, errors, failure = None, [], ""
            try:
                files = self.engine.build(changed)
            except QsgenError as e:
                errors, failure = list(e.diagnostics), e.message
            except Exception as e:  # a bug must not stop the preview either
                traceback.print_exc()
                failure = f"生成网站时程序出错：{type(e).__name__}: {e}"
            self.seconds = time.perf_counter() - t0
            new_files = files if files is not None else self.files
            if new_files != self.files or errors != self.errors or failure != self.failure:
                self.files, self.errors, self.failure = new_files, errors, failure
                self.version += 1
            return files is not None

    # ---- answering requests

    def respond(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for a GET of ``raw_path``."""
        path = unquote(urlsplit(raw_path).path)
        if path == VERSION_PATH:
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, str(self.version).encode()
        files = self.files
        trailing = path.endswith("/")
        rel = posixpath.normpath("/" + path).lstrip("/")  # dot segments, as a browser would
        if rel in ("", "."):
            rel = "index.html"
        elif trailing:
            rel += "/index.html"
        data = files.get(rel)
        if data is None and files.get(rel + "/index.html") is not None:
            return 301, {"Location": quote(path + "/")}, b""
        status = 200
        if data is None:
            status = 404
            rel = "404.html"
            data = files.get(rel, _NOT_FOUND if files else b"")
        ctype = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            ctype += "; charset=utf-8"
        if ctype.startswith("text/html") or not files:
            ctype = "text/html; charset=utf-8"
            data = self.decorate(data)
        return status, {"Content-Type": ctype}, data

    def decorate(self, page: bytes) -> bytes:
        """An HTML page with the reload script and, after a failed build, the error panel."""
        extra = _reload_script(self.version)
        panel = self.error_panel() if self.failure else ""
        if not page:
            return (f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                    f"<title>qsgen 预览</title></head><body>{panel}{extra}</body></html>").encode()
        at = page.rfind(b"</body>")
        page = page + extra.encode("utf-8") if at < 0 else page[:at] + extra.encode("utf-8") + page[at:]
        if panel:  # first thing in the page, pushing it down rather than covering its header
            body = _BODY_TAG.search(page)
            at = body.end() if body else 0
            page = page[:at] + panel.encode("utf-8") + page[at:]
        return page

    def error_panel(self) -> str:
        e = html.escape
        items = []
        for d in self.errors[:200]:
            where = f"{d.path}:{d.line}:{d.col}"
            hint = f"<div style=\"color:#555;margin-top:2px\">提示：{e(d.hint)}</div>" if d.hint else ""
            label = "警告：" if d.severity == "warning" else ""
            items.append(f"<li style=\"margin:6px 0\"><code style=\"font-weight:bold\">{e(where)}</code> "
                         f"{label}{e(d.message)}{hint}</li>")
        more = f"<p>……另有 {len(self.errors) - 200} 个问题，运行 qsgen check 查看全部。</p>" \
            if len(self.errors) > 200 else ""
        shown = "下面显示的是上一次成功生成的网站。" if self.files else "还没有成功生成过网站。"
        # A named region (a landmark: axe's region rule) holding the alert; the list scrolls
        # within the panel, so the panel takes keyboard focus (scrollable-region-focusable).
        return ("<section aria-label=\"网站生成出错\" id=\"qsgen-errors\" tabindex=\"0\" style=\"position:relative;"
                "max-height:60vh;overflow:auto;z-index:2147483647;background:#fff4f4;color:#111;"
                "border-bottom:3px solid #c00;padding:12px 20px;font:15px/1.5 sans-serif;"
                "box-shadow:0 2px 8px rgba(0,0,0,.2)\">"
                f"<div role=\"alert\"><strong style=\"color:#c00;font-size:17px\">{e(self.failure)}</strong>"
                f"<p style=\"margin:4px 0\">{shown}改正下列问题并保存，页面会自动刷新。</p>"
                f"<ol style=\"margin:4px 0;padding-left:24px\">{''.join(items)}</ol>{more}</div></section>"
                f"{_PANEL_IN_VIEW}")


_BODY_TAG = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)

# The reload after a save keeps the page's scroll position; the panel, new above everything, would
# push what was on screen down and Chromium's scroll anchoring then scrolls by the panel's height,
# so the panel is off-screen. With the panel on the page: no restored position (or #fragment) on
# this load, the panel scrolled into view once the page has loaded.
_PANEL_IN_VIEW = ("<script>(function(){var e=document.getElementById(\"qsgen-errors\");"
                  "if(\"scrollRestoration\" in history){history.scrollRestoration=\"manual\"}"
                  "function show(){e.scrollIntoView({block:\"start\"})}show();"
                  "addEventListener(\"load\",function(){show();requestAnimationFrame(show)})})();</script>")

_NOT_FOUND = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>找不到页面</title>"
              "</head><body><h1>找不到页面</h1><p><a href=\"/\">回到首页</a></p></body></html>").encode()


def _reload_script(version: int) -> str:
    # (a page without the error panel restores its scroll position again on the next reload)
    js = ("(function(){var v=\"VERSION\";if(!document.getElementById(\"qsgen-errors\")&&"
          "\"scrollRestoration\" in history){history.scrollRestoration=\"auto\"}function poll(){fetch(\"PATH\",{cache:\"no-store\"})"
          ".then(function(r){return r.text()}).then(function(t){if(t.trim()!==v){location.reload()}"
          "else{setTimeout(poll,MS)}}).catch(function(){setTimeout(poll,2000)})}setTimeout(poll,MS)})();")
    js = js.replace("VERSION", str(version)).replace("PATH", VERSION_PATH).replace("MS", str(POLL_MS))
    return f"<script>{js}</script>"


# ------------------------------------------------------------------ serving


class _Handler(BaseHTTPRequestHandler):
    server_version = "qsgen-serve"
    preview: Preview  # set on the subclass made by make_server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        status, headers, data = self.preview.respond(self.path)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: one line per rebuild instead
        pass


def make_server(preview: Preview, host: str = "127.0.0.1", port: int = 8000,
                tries: int = 20) -> ThreadingHTTPServer:
    """An HTTP server for ``preview``; when ``port`` is taken, the next free one (port 0: any)."""
    handler = type("Handler", (_Handler,), {"preview": preview})
    last: OSError | None = None
    for p in ([port] if port == 0 else range(port, port + tries)):
        try:
            server = ThreadingHTTPServer((host, p), handler)
            server.daemon_threads = True
            return server
        except OSError as e:
            last = e
    raise QsgenError(f"无法在 {host} 上监听端口 {port}–{port + tries - 1}：{last}")


# ------------------------------------------------------------------ watching


def watch_paths(root: Path) -> list[Path]:
    """The folders whose changes trigger a rebuild (those that exist)."""
    from qsgen import site

    paths = [Path(root) / name for name in WATCHED]
    if site.TEMPLATE_DIR.resolve() != (Path(root) / "site_templates").resolve():
        paths.append(site.TEMPLATE_DIR)
    return [p for p in paths if p.is_dir()]


def changes(paths: list[Path], stop: threading.Event) -> Iterator[set[str]]:
    """Sets of changed file paths until ``stop`` is set (watchfiles, or polling without it)."""
    try:
        import watchfiles
    except ImportError:  # pragma: no cover - watchfiles is a dependency; polling is the fallback
        yield from _poll(paths, stop)
        return
    for batch in watchfiles.watch(*paths, stop_event=stop, debounce=150, step=40,
                                  watch_filter=watchfiles.DefaultFilter(), raise_interrupt=False):
        yield {p for _change, p in batch}


def _poll(paths: list[Path], stop: threading.Event, interval: float = 0.5) -> Iterator[set[str]]:
    def scan() -> dict[str, tuple[int, int]]:
        out = {}
        for base in paths:
            for dirpath, dirs, names in os.walk(base):
                dirs[:] = [d for d in dirs if d != "__pycache__"]  # (as watchfiles' DefaultFilter)
                for n in names:
                    full = os.path.join(dirpath, n)
                    try:
                        st = os.stat(full)
                    except OSError:
                        continue
                    out[full] = (st.st_mtime_ns, st.st_size)
        return out

    before = scan()
    while not stop.wait(interval):
        now = scan()
        if now != before:
            yield {p for p in set(now) | set(before) if now.get(p) != before.get(p)}
            before = now


def start_watcher(preview: Preview, paths: list[Path], stop: threading.Event,
                  say: Callable[[str], None] = print) -> threading.Thread:
    """A daemon thread that rebuilds ``preview`` on every batch of changes."""

    def loop() -> None:
        for changed in changes(paths, stop):
            if stop.is_set():
                break
            ok = preview.rebuild(changed)
            say(_summary(preview, ok, changed))

    th = threading.Thread(target=loop, name="qsgen-watch", daemon=True)
    th.start()
    return th


def _summary(preview: Preview, ok: bool, changed: Iterable[str] | None = None) -> str:
    when = time.strftime("%H:%M:%S")
    n = len(list(changed)) if changed is not None else 0
    what = f"{n} 个文件有变化，" if n else ""
    if ok:
        store = preview.engine.store
        return (f"[{when}] {what}已重建（{preview.seconds:.2f} 秒，重新生成 {store.rendered} 页，"
                f"沿用 {store.reused} 页）")
    errs = sum(1 for d in preview.errors if d.severity == "error")
    lines = [f"[{when}] {what}{preview.failure}" + (f"（{errs} 个错误，页面上已显示）" if errs else "")]
    lines += [d.format_text() for d in preview.errors[:10]]
    return "\n".join(lines)


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, watch: bool = True) -> int:
    """Build, serve and watch until Ctrl+C."""

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    preview = Preview(root)
    say("正在生成网站……")
    # The first build renders every page, with worker processes; so does a rebuild after a
    # template changed. One that renders fewer than workers.PARALLEL_MIN pages starts none.
    preview.rebuild(None)
    say(_summary(preview, not preview.failure))
    server = make_server(preview, host, port)
    addr, real_port = server.server_address[:2]
    stop = threading.Event()
    if watch:
        paths = watch_paths(root)
        start_watcher(preview, paths, stop, say)
        say("监视：" + "、".join(str(p) for p in paths))
    say(f"预览地址：http://{addr}:{real_port}/ （按 Ctrl+C 停止）")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        say("已停止预览。")
    finally:
        stop.set()
        server.server_close()
    return 0

"""qsgen serve: in-memory preview, incremental rebuilds, reload, errors shown on the page."""

from __future__ import annotations

import shutil
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from qsgen import serve
from qsgen.build import pipeline
from qsgen.core.kinds import kind_of_filename

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("serve") / "repo"
    gen_corpus.generate(120, root)
    return root


@pytest.fixture
def repo(corpus, tmp_path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(corpus, root)
    return root


@pytest.fixture
def running(repo):
    preview = serve.Preview(repo)
    assert preview.rebuild(None), preview.errors
    server = serve.make_server(preview, "127.0.0.1", 0)
    th = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    th.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield preview, base
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def a_record(repo: Path, unit: str = "longgang", kind: str = "evidence") -> Path:
    return next(p for p in sorted((repo / "records" / "2023" / unit).glob(f"{kind}-*.md"))
                if kind_of_filename(p.name) == kind)


def test_pages_are_served_with_the_reload_script(running):
    preview, base = running
    status, headers, body = get(base + "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert serve.VERSION_PATH.encode() in body and body.rstrip().endswith(b"</html>")
    assert headers["Cache-Control"] == "no-store"
    status, _h, body = get(base + serve.VERSION_PATH)
    assert status == 200 and body == str(preview.version).encode()
    status, headers, body = get(base + "/2023/scores.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert serve.VERSION_PATH.encode() not in body  # only HTML gets the script
    status, _h, body = get(base + "/no/such/page.html")
    assert status == 404 and "找不到".encode() in body or b"404" in body
    status, _h, _b = get(base + "/units/%E4%B8%8D%E5%AD%98%E5%9C%A8.html")
    assert status == 404


def test_stored_pages_are_exactly_a_clean_build(running, repo, tmp_path):
    preview, base = running
    pipeline.build(repo, tmp_path / "site", quiet=True, use_cache=False)
    built = {p.relative_to(tmp_path / "site").as_posix(): p.read_bytes()
             for p in (tmp_path / "site").rglob("*") if p.is_file()}
    built.pop(".qsgen-site", None)
    served = dict(preview.files)
    served.pop(".qsgen-site", None)
    assert served == built
    # and what a browser gets is that page plus the script, nothing else changed
    _s, _h, body = get(base + "/index.html")
    assert body.replace(serve._reload_script(preview.version).encode(), b"") == served["index.html"]


def test_an_edit_rebuilds_only_what_changed_and_bumps_the_version(running, repo):
    preview, base = running
    rec = a_record(repo)
    v0 = preview.version
    text = rec.read_text("utf-8")
    rec.write_text(text.replace("\n---\n\n", "\n---\n\n预览中新增的一句话。\n\n", 1), "utf-8")
    assert preview.rebuild([str(rec)])
    assert preview.version == v0 + 1
    assert preview.engine.memo.parsed == 1
    assert preview.engine.store.rendered == 1
    _s, _h, body = get(f"{base}/2023/records/longgang/{rec.stem}.html")
    assert "预览中新增的一句话".encode() in body
    # nothing changed: no new version, so open pages do not reload
    assert preview.rebuild([str(rec)])
    assert preview.version == v0 + 1


def test_an_edit_of_a_body_alone_scores_nothing_again(running, repo, tmp_path):
    preview, _base = running
    rec = a_record(repo)
    rec.write_text(rec.read_text("utf-8").replace("\n---\n\n", "\n---\n\n（第1次更新）", 1), "utf-8")
    assert preview.rebuild([str(rec)])
    assert preview.engine.scores[2023].scored == 0
    assert preview.engine.store.rendered == 1
    pipeline.build(repo, tmp_path / "site", quiet=True, use_cache=False)
    built = {p.relative_to(tmp_path / "site").as_posix(): p.read_bytes()
             for p in (tmp_path / "site").rglob("*") if p.is_file()}
    assert {k: v for k, v in preview.files.items() if k != ".qsgen-site"} == \
        {k: v for k, v in built.items() if k != ".qsgen-site"}


def test_a_broken_record_shows_its_error_and_the_server_keeps_running(running, repo):
    preview, base = running
    rec = a_record(repo, "guxian", "case")
    good = rec.read_text("utf-8")
    _s, _h, before = get(base + "/units/guxian.html")
    rec.write_text(good.replace("fine: ", "fine: 1.2万  # ", 1).replace("date: 2023", "date: 2023-13", 1),
                   "utf-8")
    assert not preview.rebuild([str(rec)])
    status, _h, body = get(base + "/units/guxian.html")
    assert status == 200
    assert b'id="qsgen-errors"' in body
    # first in the page, pushing the site's header down instead of covering it
    assert body.index(b"<body") < body.index(b'id="qsgen-errors"') < body.index(b"<header")
    assert b"position:fixed" not in body.split(b'id="qsgen-errors"')[1][:200]
    assert f"records/2023/guxian/{rec.name}".encode() in body
    assert "记录有错误".encode() in body
    # the last good site is still there under the panel
    assert body.replace(preview.error_panel().encode(), b"").replace(
        serve._reload_script(preview.version).encode(), b"") == \
        before.replace(serve._reload_script(preview.version - 1).encode(), b"")
    # hostile text in an error message is escaped
    rec.write_text(good.replace("kind: case", "kind: <script>alert(1)</script>", 1), "utf-8")
    preview.rebuild([str(rec)])
    _s, _h, body = get(base + "/")
    assert b"<script>alert(1)" not in body
    # fixed: the panel goes away
    rec.write_text(good, "utf-8")
    assert preview.rebuild([str(rec)])
    _s, _h, body = get(base + "/units/guxian.html")
    assert b'id="qsgen-errors"' not in body


def test_first_build_failing_still_serves_the_errors(repo):
    rules = repo / "rules" / "2023" / "units.yaml"
    rules.write_text(rules.read_text("utf-8").replace("points: 10", "points: ten", 1), "utf-8")
    preview = serve.Preview(repo)
    assert not preview.rebuild(None)
    status, headers, body = preview.respond("/anything.html")
    assert headers["Content-Type"].startswith("text/html")
    assert b"qsgen-errors" in body and "考核规则有错误".encode() in body
    assert "还没有成功生成过网站".encode() in body


def test_directory_urls_and_traversal(running):
    preview, base = running
    status, _h, body = get(base + "/units/../index.html")
    assert status == 200
    assert preview.respond("/../../etc/passwd")[0] == 404
    assert preview.respond("/%2e%2e/%2e%2e/etc/passwd")[0] == 404


def test_watcher_rebuilds_on_save(repo):
    preview = serve.Preview(repo)
    assert preview.rebuild(None)
    stop = threading.Event()
    lines: list[str] = []
    serve.start_watcher(preview, serve.watch_paths(repo), stop, lines.append)
    try:
        time.sleep(0.5)  # let the watcher start
        rec = a_record(repo, "tousu", "evidence") if list((repo / "records/2023/tousu").glob("evidence-*")) \
            else a_record(repo)
        v0 = preview.version
        rec.write_text(rec.read_text("utf-8") + "\n监视测试。\n", "utf-8")
        deadline = time.time() + 20
        while preview.version == v0 and time.time() < deadline:
            time.sleep(0.05)
        assert preview.version > v0, "the watcher did not rebuild within 20 s"
        assert lines and "已重建" in lines[-1]
    finally:
        stop.set()


def test_port_in_use_moves_to_the_next(running):
    preview, base = running
    port = int(base.rsplit(":", 1)[1])
    server = serve.make_server(preview, "127.0.0.1", port)
    try:
        assert server.server_address[1] != port
    finally:
        server.server_close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_after_a_broken_save_the_error_panel_is_in_view(running, repo, chromium, width):
    """The page reloads itself after a save; with errors, the panel (new at the top) is on
    screen wherever the reader had scrolled to, also with a #fragment in the address. Once the
    record is fixed, later reloads keep the reader's place again."""
    preview, base = running
    rec = a_record(repo, "guxian", "case")
    good = rec.read_text("utf-8")
    page = chromium.new_page(viewport={"width": width, "height": 844})

    def settled() -> None:
        page.wait_for_load_state("load")
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    try:
        for url in ("/2023/units/guxian.html", "/2023/units/guxian.html#items"):
            page.goto(base + url)
            page.mouse.move(width / 2, 400)
            page.mouse.wheel(0, 600)
            page.wait_for_function("scrollY > 0")
            rec.write_text(good.replace("fine: ", "fine: 1.2万  # ", 1).replace("date: 2023", "date: 2023-13", 1),
                           "utf-8")
            assert not preview.rebuild([str(rec)])
            page.wait_for_selector("#qsgen-errors", timeout=10_000)  # the page reloaded itself
            settled()
            top, height, inner = page.evaluate("""() => {
                const r = document.getElementById("qsgen-errors").getBoundingClientRect();
                return [r.top, r.height, innerHeight]; }""")
            assert height > 0 and 0 <= top < inner and top + min(height, inner / 2) <= inner, (url, top, height)
            rec.write_text(good, "utf-8")
            assert preview.rebuild([str(rec)])
            page.wait_for_function("!document.getElementById('qsgen-errors')", timeout=10_000)
            settled()
        # fixed: an ordinary edit reloads the page where the reader is
        page.mouse.wheel(0, 600)
        page.wait_for_function("scrollY > 0")
        at = page.evaluate("scrollY")
        rec.write_text(good.replace("\n---\n", "\n---\n\n预览中新增的一句话。\n", 1), "utf-8")
        v = preview.version
        assert preview.rebuild([str(rec)]) and preview.version == v + 1
        page.wait_for_function(f"performance.getEntriesByType('navigation')[0].type === 'reload' && "
                               f"document.readyState === 'complete' && scrollY === {at}", timeout=10_000)
    finally:
        page.close()
        rec.write_text(good, "utf-8")

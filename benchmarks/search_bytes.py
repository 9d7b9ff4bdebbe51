"""Benchmark: what a search downloads, in a real browser (issue 19: search on a phone).

    python benchmarks/search_bytes.py --records 10000 50000 --work /root/qsgen-search [--write-docs]

For each size the corpus is generated (benchmarks/gen_corpus.py, kept in ``--work`` for the next
run) and built with qsgen; the site is served over http on 127.0.0.1 and headless Chromium
(/usr/bin/chromium, Playwright) opens ``search.html?q=…`` for each query in a fresh browser
context (nothing cached), waits for the result count and adds up the bytes of every file under
search/ that the page loaded (search.js, index.js, gram and row files). Beside it: the whole
search index on disk, and what the search before format 4 loaded for any query (index.js with
every row: the same rows, in one file per unit). ``--write-docs`` puts the table between the
markers in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import re
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import gen_corpus  # noqa: E402

QUERIES = ["知识产权", "龙港所", "1048号"]  # a phrase, a unit name, a case number fragment
DOCS = HERE.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- benchmarks/search_bytes.py: begin -->", "<!-- benchmarks/search_bytes.py: end -->"
CHROMIUM = "/usr/bin/chromium"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def site_of(records: int, work: Path) -> Path:
    """The built site of a corpus of ``records`` records (generated and built when missing)."""
    from qsgen.build.pipeline import build

    corpus = work / f"corpus-{records}"
    if not (corpus / "records").is_dir():
        gen_corpus.generate(records, corpus)
    out = corpus / "_site"
    if not (out / "search" / "index.js").is_file():
        build(corpus, out, quiet=True)
    return out


def sizes(site: Path) -> dict[str, int]:
    search = site / "search"
    files = [p for p in search.rglob("*.js")]
    rows = sum(p.stat().st_size for p in files if "/parts/" in p.as_posix())
    return {"all": sum(p.stat().st_size for p in files),
            "before": rows + (search / "index.js").stat().st_size + (search / "search.js").stat().st_size}


def measure(browser, base: str, site: Path, query: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    loaded: dict[str, int] = {}

    def done(request) -> None:
        path = unquote(urlparse(request.url).path).lstrip("/")
        if path.startswith("search/"):
            loaded[path] = (site / path).stat().st_size

    page.on("requestfinished", done)
    try:
        page.goto(base + "search.html?q=" + quote(query), wait_until="domcontentloaded")
        page.wait_for_function("/^(找到|没有找到|搜索索引)/.test(document.getElementById('search-status').textContent)",
                               timeout=120_000)
        status = page.locator("#search-status").inner_text()
    finally:
        context.close()
    found = re.match(r"找到 (\d+) 条", status)
    return {"query": query, "total": int(found.group(1)) if found else 0, "files": len(loaded),
            "grams": sum(1 for p in loaded if p.startswith("search/grams/")),
            "rows": sum(1 for p in loaded if p.startswith("search/parts/")),
            "bytes": sum(loaded.values())}


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"


def table(results: list[dict]) -> str:
    lines = ["| 记录数 records | 查询 query | 结果 results | 载入文件 files（gram / 行 rows） | 载入字节 bytes | "
             "占整个索引 of the index | 以前（格式 3）每次查询 before |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['records']:,} | {r['query']} | {r['total']:,} | {r['files']}（{r['grams']} / {r['rows']}） | "
                     f"{mb(r['bytes'])} | {100 * r['bytes'] / r['all']:.1f}% of {mb(r['all'])} | {mb(r['before'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[10000, 50000])
    ap.add_argument("--work", type=Path, required=True, help="where the corpora and their sites are kept")
    ap.add_argument("--queries", nargs="+", default=QUERIES)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for n in args.records:
                site = site_of(n, args.work)
                whole = sizes(site)
                with serve(site) as base:
                    for q in args.queries:
                        results.append({"records": n, **measure(browser, base, site, q), **whole})
                        print(table(results[-1:]).splitlines()[-1], flush=True)
        finally:
            browser.close()
    block = (table(results) + "\n\n" + time.strftime("%Y-%m-%d %H:%M %z") +
             "；命令 command：`python benchmarks/search_bytes.py --records "
             + " ".join(map(str, args.records)) + " --work …`")
    print(block)
    if args.write_docs:
        text = DOCS.read_text(encoding="utf-8")
        a, b = text.index(BEGIN) + len(BEGIN), text.index(END)
        DOCS.write_text(text[:a] + "\n" + block + "\n" + text[b:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

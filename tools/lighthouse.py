"""Lighthouse's accessibility and SEO scores of the example site's pages, at desktop (1280 px)
and phone (390 px) width, as the Markdown table in docs/accessibility.md.

Not part of the test suite (about 10 s a page and width); axe-core, which Lighthouse's
accessibility audits run, is (tests/test_a11y.py). Run from the repository root:

    npm ci --prefix tools/lighthouse          # once: Lighthouse 12.2.3, pinned (Node 18 or 20)
    python tools/lighthouse.py                # builds the example site, prints the table
    python tools/lighthouse.py --site _site --page 2023/index.html   # a built site, one page

Needs Chromium (CHROME_PATH, default /usr/bin/chromium); Lighthouse starts it with
--headless --no-sandbox. The site is served on a loopback port under a sub-path (/qs/site/).
Each report is kept as JSON under tools/lighthouse/reports/ (ignored by git).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
REPORTS = ROOT / "tools" / "lighthouse" / "reports"

# the pages tests/test_a11y.py checks with axe-core
PAGES = [
    "index.html",
    "2023/index.html",
    "2024/index.html",
    "2023/units/fagui.html",
    "2023/units/longgang.html",
    "2024/units/longgang.html",
    "2023/records/longgang/case-2023-068.html",
    "2023/records/bangongshi/evidence-t01-1223.html",
    "2023/rules.html",
    "search.html",
    "search.html?q=食品",
    "units/longgang.html",
    "2023/notices/longgang.html",
    "2023/summary.html",
    "404.html",
]
FORMS = {
    "desktop": ["--preset=desktop", "--screenEmulation.width=1280", "--screenEmulation.height=900"],
    "phone": ["--form-factor=mobile", "--screenEmulation.mobile", "--screenEmulation.width=390",
              "--screenEmulation.height=844", "--screenEmulation.deviceScaleFactor=3"],
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def build_example(into: Path) -> Path:
    """The repository's example (rules/ and records/) built under ``into``/www/qs/site."""
    sys.path.insert(0, str(ROOT))
    from qsgen.build.pipeline import build

    repo = into / "repo"
    for part in ("rules", "records"):
        shutil.copytree(ROOT / part, repo / part)
    out = into / "www" / "qs" / "site"
    build(repo, out, quiet=True)
    return out


def run(url: str, form: str, chrome: str, report: Path) -> dict:
    cmd = [str(LIGHTHOUSE), url, "--only-categories=accessibility,seo", "--output=json",
           f"--output-path={report}", "--quiet", "--chrome-flags=--headless --no-sandbox", *FORMS[form]]
    subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": chrome})
    return json.loads(report.read_text("utf-8"))


def failed(data: dict, category: str) -> list[str]:
    refs = data["categories"][category]["auditRefs"]
    return [r["id"] for r in refs if r["weight"] > 0 and data["audits"][r["id"]]["score"] not in (None, 1)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", type=Path, help="a built site (default: build the example in a temporary folder)")
    ap.add_argument("--page", action="append", help="a page under the site (default: the list in this file)")
    ap.add_argument("--form", choices=sorted(FORMS), action="append", help="desktop or phone (default: both)")
    args = ap.parse_args(argv)
    if not LIGHTHOUSE.is_file():
        sys.exit(f"{LIGHTHOUSE} is missing: run npm ci --prefix tools/lighthouse")
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    REPORTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qsgen-lighthouse-") as tmp:
        site = args.site.resolve() if args.site else build_example(Path(tmp))
        www, prefix = (site.parent.parent, "qs/site/") if not args.site else (site, "")
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_address[1]}/{prefix}"
        rows = []
        try:
            for page in args.page or PAGES:
                for form in args.form or list(FORMS):
                    name = page.replace("/", "_").replace("?", "_").replace("=", "_")
                    data = run(base + page, form, chrome, REPORTS / f"{name}.{form}.json")
                    cats = data["categories"]
                    fails = failed(data, "accessibility") + failed(data, "seo")
                    rows.append(f"| {page} | {form} | {round(cats['accessibility']['score'] * 100)} "
                                f"| {round(cats['seo']['score'] * 100)} | {', '.join(fails) or '—'} |")
                    print(rows[-1], file=sys.stderr, flush=True)
        finally:
            httpd.shutdown()
            httpd.server_close()
    print("| page | width | accessibility | SEO | failed audits |")
    print("| --- | --- | ---: | ---: | --- |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

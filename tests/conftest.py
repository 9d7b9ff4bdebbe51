"""Fixtures shared by the browser tests: one Chromium and the example site, built once a session."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules
from needs import need

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("QSGEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium through Playwright (skipped when missing, except in CI)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed (pip install playwright)")
    need(Path(CHROMIUM).is_file(), f"{CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def example_site(tmp_path_factory) -> Path:
    """The example site of this repository (2023 finished, 2024 in progress), built under
    <tmp>/www/qs/site (a sub-path). Tests only read it."""
    from qsgen.build.pipeline import build

    tmp = tmp_path_factory.mktemp("example-site")
    root = tmp / "repo"
    copy_rules(root, years=(2023, 2024))
    shutil.copytree(REPO / "records", root / "records")
    out = tmp / "www" / "qs" / "site"
    build(root, out, quiet=True)
    return out


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def example_server(example_site: Path):
    """The example site over http on a loopback port, at the sub-path /qs/site/."""
    handler = functools.partial(QuietHandler, directory=str(example_site.parent.parent))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/qs/site/"
    httpd.shutdown()
    httpd.server_close()

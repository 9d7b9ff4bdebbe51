"""Print pages -> PDF files with WeasyPrint: A4, CJK fonts embedded (subset), selectable text,
deterministic bytes; nothing is fetched but the site's own files."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from qsgen.core.errors import QsgenError

# Relative links of a page are resolved against this base; the fetcher below serves only the
# site's own files under it (".invalid" never resolves: nothing goes to a network).
BASE = "https://qsgen.invalid/"
INSTALL_HINT = ("安装：pip install 'qsgen[pdf]'（WeasyPrint），以及 Pango："
                "Debian/Ubuntu 上 apt-get install libpango-1.0-0 libpangoft2-1.0-0；"
                "中文字体如 fonts-wqy-microhei 或 fonts-noto-cjk")

Lookup = Callable[[str], bytes | None]  # a site path -> the file's bytes (None: not in the site)


def _weasyprint() -> Any:
    """The weasyprint module; QsgenError in Chinese when it cannot be loaded."""
    try:
        import weasyprint
    except ImportError as e:
        raise QsgenError(f"生成 PDF 需要 WeasyPrint，但没有安装（{e}）。{INSTALL_HINT}") from e
    except OSError as e:  # installed, but Pango is missing
        raise QsgenError(f"生成 PDF 需要 Pango 库，加载失败（{e}）。{INSTALL_HINT}") from e
    return weasyprint


class Engine:
    """The PDF maker a build hands to the site (SiteInputs.pdf): ``engine(html, path, lookup)``.

    ``key`` names the engine's version and this module's code: a page's PDF is a function of
    its HTML, the files it links (the print stylesheet), the fonts of the machine and ``key``.
    """

    def __init__(self, jobs: int = 1) -> None:
        wp = _weasyprint()
        self.jobs = jobs  # processes render_all may use
        import pydyf

        self.wp = wp
        own = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()
        self.key = f"weasyprint {wp.__version__} pydyf {pydyf.__version__} {own}"
        # WeasyPrint logs every CSS property it skips (e.g. the screen-only ones) as a warning
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        class SiteFetcher(URLFetcher):
            """Serves the site's own files (``lookup``) and data: URLs; refuses the rest."""

            def __init__(self, lookup: Lookup) -> None:
                super().__init__(fail_on_errors=True)
                self.lookup = lookup

            def fetch(self, url: str, headers: Any = None) -> Any:
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                if not url.startswith(BASE):
                    raise ValueError(f"只能引用网站自己的文件：{url}")
                rel = unquote(url[len(BASE):].split("#", 1)[0].split("?", 1)[0])
                data = self.lookup(rel)
                if data is None:
                    raise ValueError(f"网站中没有这个文件：{rel}")
                return URLFetcherResponse(url, body=bytes(data), headers={"Content-Type": _mime(rel)})

        self.fetcher = SiteFetcher

    def __call__(self, html: bytes, path: str, lookup: Lookup) -> bytes:
        """The PDF of the page ``html`` found at site path ``path``; the files it links are
        taken from ``lookup`` (a missing one is an error, not a silently unstyled PDF).

        Deterministic: the creation date is the page's own (<meta name="dcterms.created">,
        from the build's source date), the file identifier a digest of the page."""
        wp = self.wp
        identifier = hashlib.blake2b(path.encode("utf-8") + b"\0" + html, digest_size=16).hexdigest()
        try:
            document = wp.HTML(string=html.decode("utf-8"), base_url=BASE + path,
                               url_fetcher=self.fetcher(lookup))
            return document.write_pdf(pdf_identifier=identifier.encode("ascii"), pdf_tags=True)
        except QsgenError:
            raise
        except Exception as e:  # WeasyPrint's own errors: say which page
            raise QsgenError(f"生成 PDF 失败：{path}：{type(e).__name__}: {e}") from e


    def render_all(self, pages: list[tuple[str, bytes]], files: Mapping[str, bytes]) -> list[bytes]:
        """The PDFs of ``pages`` ((site path, html) each), in order; the files they link are
        taken from ``files`` (the site's stylesheets). With ``jobs`` > 1 and a few pages, they
        are rendered by that many fresh worker processes (a notice takes ~0.3-0.7 s of CPU;
        the bytes are the same as rendered here)."""
        jobs = self.jobs
        if jobs <= 1 or len(pages) < PARALLEL_MIN:
            return [self(html, path, files.get) for path, html in pages]
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # the longest pages first, so that no worker is left with a long one at the end
        order = sorted(range(len(pages)), key=lambda i: -len(pages[i][1]))
        out: list[bytes] = [b""] * len(pages)
        with ProcessPoolExecutor(min(jobs, len(pages)), mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker, initargs=(dict(files),)) as pool:
            for i, data in zip(order, pool.map(_render_in_worker, [pages[i] for i in order]), strict=True):
                out[i] = data
        return out


PARALLEL_MIN = 4  # fewer pages are rendered in this process: a worker takes ~0.5 s to start
_WORKER: dict[str, Any] = {}


def _start_worker(files: dict[str, bytes]) -> None:
    _WORKER["engine"], _WORKER["files"] = Engine(), files


def _render_in_worker(page: tuple[str, bytes]) -> bytes:
    path, html = page
    return _WORKER["engine"](html, path, _WORKER["files"].get)


def _mime(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1].lower()
    return {"css": "text/css", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
            "gif": "image/gif", "svg": "image/svg+xml", "webp": "image/webp"}.get(suffix, "application/octet-stream")


def engine(jobs: int = 1) -> Engine:
    """The PDF engine (rendering in up to ``jobs`` processes); QsgenError (in Chinese, with how
    to install it) when it is not usable."""
    return Engine(jobs)

"""What the print pages share (the A4 layout of paper.html) and the links to them from the site's pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from qsgen.site.context import Site
from qsgen.site.urls import PAPER_JS, PRINT_CSS, SUMMARY_FILE, WORKBOOK, pdf_of, prefix_for

if TYPE_CHECKING:  # (the notices' code is imported when a print page is made, not while they are reused)
    from qsgen.site import notices


def links(site: Site, page: str, p: str) -> dict[str, str]:
    """From a site page (prefix ``p``): a print page, its PDF (when the build makes PDFs: else
    "", and no link) and the workbook."""
    return {"page": p + quote(page, safe="/"),
            "pdf": p + quote(pdf_of(page), safe="/") if site.inputs.pdf is not None else "",
            "xlsx": p + WORKBOOK}


def common(site: Site, path: str, state: notices.ResultState, running: str) -> dict[str, Any]:
    """What every print page shows besides its own context: the running header (``running``
    left, the state or the year right), the watermark, the creation date, the toolbar's links."""
    from qsgen.site import notices

    marks = ["示例数据"] if site.inputs.example else []
    if state.watermark:
        marks.append(state.watermark)
    p = prefix_for(path)
    return {"print_css": PRINT_CSS, "paper_js": PAPER_JS,
            "created": notices.iso_date(site.result_date()),
            "running_left": notices.css_string(running),
            "running_right": notices.css_string(state.title if state.watermark else f"{site.rules.year}年度"
                                                + (f" · {state.label}" if state.code == "final" else "")),
            "watermark": " ".join(marks),
            "pdf_href": links(site, path, p)["pdf"],
            "summary_href": SUMMARY_FILE, "workbook_href": WORKBOOK}


def positions(site: Site) -> list[tuple]:
    """Where every unit stands (group, ranks, provisional): part of every print page's inputs."""
    return [(u.unit.slug, u.unit.group, u.rank, u.group_rank, u.provisional) for u in site.results.units]

"""The whole site from the results: every file in order, each obtained through one narrow interface (Pages)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jinja2

from qsgen.core.model import Record, Results, UnitScore
from qsgen.site import exports, search, xlsx
from qsgen.site.context import Site, SiteInputs
from qsgen.site.pages import index as index_page
from qsgen.site.pages import notice as notice_page
from qsgen.site.pages import record as record_page
from qsgen.site.pages import rules as rules_page
from qsgen.site.pages import search as search_page
from qsgen.site.pages import summary as summary_page
from qsgen.site.pages import unit as unit_page
from qsgen.site.urls import (
    PAPER_JS,
    PRINT_CSS,
    WORKBOOK,
    attachment_file,
    notice_file,
    pdf_of,
    publishable,
    record_file,
    unit_file,
)

NOT_FOUND = "404.html"
STYLE = "assets/style.css"

# sink(path, chunks) -> what stands for the file's bytes in the site's file mapping: a large
# file (the search index) is handed over in pieces so that it need never be held whole.
Sink = Callable[[str, Iterable[bytes]], bytes]


def join(path: str, chunks: Iterable[bytes]) -> bytes:
    """The plain sink: the file's bytes."""
    return b"".join(chunks)


class Pages:
    """How the builder obtains each file of the site: here, by rendering it. The incremental
    layer hands the builder an object with these same methods that reuses what did not change
    since the last build (and renders what did, in bulk, before the builder asks: ``begin``);
    the builder never knows which. Every method returns the file's bytes, or a stand-in for
    them that the writer understands."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}  # record id -> its body's text, until its search row is made

    def begin(self, site: Site) -> None:
        """Before any file is asked for."""

    def page(self, path: str, inputs: Callable[[], tuple], make: Callable[[], bytes]) -> bytes:
        """A page that is a function of the code, the templates, the rules and ``inputs()``."""
        return make()

    def unit_page(self, site: Site, us: UnitScore) -> bytes:
        return unit_page.render(site, us)

    def record_page(self, site: Site, rec: Record) -> bytes:
        data, self.texts[rec.id] = record_page.page(site, rec)
        return data

    def search_row(self, site: Site, rec: Record) -> search.Row:
        """The record's row of the search index (asked after its page)."""
        return record_page.search_row(site, rec, self.texts.pop(rec.id, None))

    def search_part(self, site: Site, slug: str, recs: list[Record], make: Callable[[], bytes]) -> bytes:
        """search/parts/<unit>.js of a unit's records (``make`` asks search_row for each)."""
        return make()

    def attachment(self, site: Site, path: str) -> bytes:
        """An attachment's bytes (repository path ``path``)."""
        return site.inputs.attachments[path]

    def export_part(self, site: Site, us: UnitScore) -> tuple[str, list]:
        """The unit's part of scores.json (JSON text) and its row of scores.csv."""
        return exports.unit_json(site.results, us), exports.unit_row(site.results, us)

    def print_pdfs(self, site: Site, paths: list[str], files: dict[str, bytes]) -> dict[str, bytes]:
        """The PDF of each print page of ``paths`` (made already: ``files``), by the build's
        engine (site.inputs.pdf), keyed by where it is published."""
        made = site.inputs.pdf.render_all([(path, files[path]) for path in paths],
                                          {PRINT_CSS: files[PRINT_CSS]})  # (all a print page links)
        return {pdf_of(path): data for path, data in zip(paths, made, strict=True)}

    def end(self, site: Site, files: dict[str, bytes]) -> None:
        """After every file was made."""


def build(site: Site, pages: Pages | None = None, sink: Sink = join) -> dict[str, bytes]:
    """Every file of the site, keyed by its path relative to the site root, sorted."""
    pages = pages if pages is not None else Pages()
    results = site.results
    pages.begin(site)
    files: dict[str, bytes] = {STYLE: (site.templates / "style.css").read_bytes()}
    files[index_page.PATH] = pages.page(index_page.PATH, lambda: index_page.inputs(site),
                                        lambda: index_page.render(site))
    for us in results.units:
        files[unit_file(us.unit.slug)] = pages.unit_page(site, us)
    for rec in results.records.records:
        files[record_file(rec.id)] = pages.record_page(site, rec)
    files[rules_page.PATH] = pages.page(rules_page.PATH, lambda: rules_page.inputs(site),
                                        lambda: rules_page.render(site))
    _search(site, pages, sink, files)
    files[NOT_FOUND] = pages.page(NOT_FOUND, lambda: (NOT_FOUND,),
                                  lambda: site.render(NOT_FOUND, "404.html", "404"))
    for path in sorted(site.inputs.attachments):
        if publishable(path):
            files[attachment_file(path)] = pages.attachment(site, path)
    texts, rows = [], []
    for us in results.units:
        text, row = pages.export_part(site, us)
        texts.append(text)
        rows.append(row)
    files["scores.json"] = exports.scores_json(results, texts)
    files["scores.csv"] = exports.scores_csv(results, rows)
    _paperwork(site, pages, files)
    pages.end(site, files)
    return dict(sorted(files.items()))


def _search(site: Site, pages: Pages, sink: Sink, files: dict[str, bytes]) -> None:
    """The search index (one part per unit with records, then index.js), its client, its page."""
    head, tail = search_page.head_rows(site), search_page.tail_rows(site)
    names: list[str] = []
    for slug, recs in site.results.records.units():  # (records are in path order)
        path = search.part_file(slug)

        def make(slug: str = slug, recs: list[Record] = recs, path: str = path) -> bytes:
            rows = [pages.search_row(site, rec) for rec in recs]
            return sink(path, search_page.part(site, slug, rows))

        files[path] = pages.search_part(site, slug, recs, make)
        names.append(slug)
    files[search.INDEX_FILE] = sink(search.INDEX_FILE, search_page.index(site, head, tail, names))
    files[search.CLIENT_FILE] = search.CLIENT_JS.encode("utf-8")
    docs = len(head) + len(site.results.records.records) + len(tail)
    files[search_page.PATH] = pages.page(search_page.PATH, lambda: search_page.inputs(site, docs),
                                         lambda: search_page.render(site, docs))


def _paperwork(site: Site, pages: Pages, files: dict[str, bytes]) -> None:
    """The office's documents: a result notice per unit and the summary table (print pages,
    with their PDFs when the build has a PDF engine), and scores.xlsx."""
    files[PRINT_CSS] = template_file(site, "print.css")
    files[PAPER_JS] = template_file(site, "paper.js")
    prints = []
    for us in site.results.units:
        path = notice_file(us.unit.slug)
        files[path] = pages.page(path, lambda us=us: notice_page.inputs(site, us),
                                 lambda us=us: notice_page.render(site, us))
        prints.append(path)
    files[summary_page.PATH] = pages.page(summary_page.PATH, lambda: summary_page.inputs(site),
                                          lambda: summary_page.render(site))
    prints.append(summary_page.PATH)
    if site.inputs.pdf is not None:
        files.update(pages.print_pdfs(site, prints, files))
    files[WORKBOOK] = pages.page(WORKBOOK, lambda: _workbook_inputs(site),
                                 lambda: xlsx.scores_xlsx(site.results, site.inputs.source_date))


def _workbook_inputs(site: Site) -> tuple:
    """Besides code, templates, rules and the build date: every unit's score and ranks."""
    return (WORKBOOK, [(u.unit.slug, u.outline or repr(u), u.rank, u.group_rank) for u in site.results.units])


def template_file(site: Site, name: str) -> bytes:
    """A file of the templates' folder as it is; one that is missing (a repository's own
    site_templates/ from before it existed) is reported like a missing template."""
    try:
        return (site.templates / name).read_bytes()
    except FileNotFoundError as e:
        raise jinja2.TemplateNotFound(name) from e


def build_site(results: Results, inputs: SiteInputs | None = None, pages: Pages | None = None,
               sink: Sink = join) -> dict[str, bytes]:
    """Every file of the site for ``results``, keyed by its path relative to the site root, sorted."""
    return build(Site(results, inputs or SiteInputs()), pages, sink)


def page_and_row(site: Site, rec: Record) -> tuple[bytes, Any]:
    """A record's page and its search row, made together (one Markdown parse)."""
    data, text = record_page.page(site, rec)
    return data, record_page.search_row(site, rec, text)

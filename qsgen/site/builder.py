"""The whole site from every year's results: each file in order, obtained through one narrow interface (Pages).

Layout (DESIGN.md §6): each year in its own folder, whose paths never change meaning when
another year starts — ``<year>/index.html`` (ranking), ``<year>/units/<slug>.html``,
``<year>/records/<unit>/<name>.html``, ``<year>/rules.html``, ``<year>/files/…``
(attachments), ``<year>/scores.json``, ``<year>/scores.csv``. At the root: ``index.html``
(the latest year's ranking and every year), ``units/<slug>.html`` (a unit across the
years), ``years.json``, the search (``search.html``, ``search/``) over every year, ``404.html``
and ``assets/style.css``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from qsgen.core.model import Record, Results, UnitScore
from qsgen.site import exports, search, templates
from qsgen.site.context import Site, SiteInputs
from qsgen.site.pages import history as history_page
from qsgen.site.pages import index as index_page
from qsgen.site.pages import lifecycle as lifecycle_page
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
from qsgen.site.years import Years, year_of

NOT_FOUND = "404.html"
STYLE = "assets/style.css"
YEARS_FILE = "years.json"
ROOT = ""  # the scope of the root's pages (a year's scope is its folder, "2023/")

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
    them that the writer understands. Paths are the site's (a year's pages in its folder)."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}  # record id -> its body's text, until its search row is made

    def begin(self, site: Site) -> None:
        """Before any file of the year ``site`` is asked for."""

    def page(self, scope: str, path: str, inputs: Callable[[], tuple], make: Callable[[], bytes]) -> bytes:
        """A page that is a function of the code, the templates, what every page of ``scope``
        shares (a year's folder, or ROOT) and ``inputs()``."""
        return make()

    def unit_page(self, site: Site, us: UnitScore) -> bytes:
        return unit_page.render(site, us)

    def record_page(self, site: Site, rec: Record) -> bytes:
        data, self.texts[rec.id] = record_page.page(site, rec)
        return data

    def record_pages(self, site: Site, recs: Iterable[Record]) -> Iterator[tuple[str, bytes]]:
        """(path, record_page) of each of ``recs``, in order."""
        folder = site.folder
        for rec in recs:
            yield folder + record_file(rec.id), self.record_page(site, rec)

    def search_row(self, site: Site, rec: Record) -> search.Row:
        """The record's row of the search index (asked after its page)."""
        return record_page.search_row(site, rec, self.texts.pop(rec.id, None))

    def search_rows(self, site: Site, recs: list[Record]) -> list[search.Row]:
        """search_row of each of ``recs`` (the records of one unit), in order."""
        return [self.search_row(site, rec) for rec in recs]

    def search_part(self, site: Site, slug: str, recs: list[Record], nb: int,
                    make: Callable[[], search.Part],
                    files_of: Callable[[dict[str, bytes]], dict[str, bytes]] | None = None) -> search.Part:
        """The search index's part of a unit's records (``make`` asks search_row for each),
        for an index of ``nb`` gram files; ``files_of``: what the builder makes of row files
        ({path: bytes}) made otherwise than by ``make`` (as ``make`` does of its own)."""
        return make()

    def search_files(self, site: Site, head: list[search.Row], parts: list[search.Part], tail: list[search.Row],
                     nb: int, sink: Sink) -> Iterator[tuple[str, bytes]]:
        """(path, bytes) of index.js and of the ``nb`` gram files (search_page.files), each kept
        in the site while its bytes are the same (one record changed: a few files)."""
        for path, data in search_page.files(site, head, parts, tail, nb):
            yield path, self.page(ROOT, path, lambda path=path, data=data: (path, search.digest(data)),
                                  lambda path=path, data=data: sink(path, [data]))

    def attachment(self, site: Site, path: str) -> bytes:
        """An attachment's bytes (repository path ``path``)."""
        return site.inputs.attachments[path]

    def attachments(self, site: Site, paths: list[str]) -> dict[str, bytes]:
        """The attachments of ``paths`` (repository paths), by where each is published."""
        return {site.folder + attachment_file(path): self.attachment(site, path) for path in paths}

    def export_part(self, site: Site, us: UnitScore) -> tuple[str, list]:
        """The unit's part of scores.json (JSON text) and its row of scores.csv."""
        return exports.unit_json(site.results, us), exports.unit_row(site.results, us)

    def export_files(self, site: Site) -> tuple[bytes, bytes]:
        """The year's scores.json and scores.csv, from each unit's export_part."""
        texts, rows = [], []
        for us in site.results.units:
            text, row = self.export_part(site, us)
            texts.append(text)
            rows.append(row)
        return exports.scores_json(site.results, texts), exports.scores_csv(site.results, rows)

    def print_pdfs(self, site: Site, paths: list[str], files: dict[str, bytes]) -> dict[str, bytes]:
        """The PDF of each print page of ``paths`` (made already: ``files``), by the build's
        engine (site.inputs.pdf), keyed by where it is published."""
        css = site.folder + PRINT_CSS
        made = site.inputs.pdf.render_all([(path, files[path]) for path in paths],
                                          {css: files[css]})  # (all a print page links)
        return {pdf_of(path): data for path, data in zip(paths, made, strict=True)}

    def idle(self, files: dict[str, bytes]) -> None:
        """The builder has made the year's files but its record pages (``files`` so far) and
        is about to ask for those: a moment for work no page waits for, while they render."""

    def end(self, files: dict[str, bytes]) -> None:
        """After every file was made."""


def build(sites: list[Site], pages: Pages | None = None, sink: Sink = join) -> dict[str, bytes]:
    """Every file of the site of ``sites`` (one per year, sharing one Years), keyed by its path
    relative to the site root, sorted."""
    pages = pages if pages is not None else Pages()
    sites = sorted(sites, key=lambda s: s.year.year)
    latest = sites[-1]
    files: dict[str, bytes] = {STYLE: template_file(latest, "style.css")}
    head: list[search.Row] = []
    tail: list[search.Row] = []
    parts: list[search.Part] = []
    nb = search_buckets(sites)
    for site in sites:
        # the root's pages need every year's results, not its record pages: made while the
        # last year's record pages may still be rendering (worker processes)
        _year(site, pages, sink, files, (lambda: _root(sites, pages, files)) if site is latest else None)
        head += search_page.head_rows(site)
        tail += search_page.tail_rows(site)
        parts += _search_parts(site, pages, sink, files, nb)
    files.update(pages.search_files(latest, head, parts, tail, nb, sink))
    files[search.CLIENT_FILE] = search.CLIENT_JS.encode("utf-8")
    docs = len(head) + sum(len(s.results.records.records) for s in sites) + len(tail)
    files[search_page.PATH] = pages.page(ROOT, search_page.PATH, lambda: search_page.inputs(latest, docs),
                                         lambda: search_page.render(latest, docs))
    pages.end(files)
    return dict(sorted(files.items()))


def search_buckets(sites: list[Site]) -> int:
    """The number of gram files of the search index of ``sites`` (every year's records)."""
    return search.buckets(sum(len(s.results.records.records) for s in sites))


def _year(site: Site, pages: Pages, sink: Sink, files: dict[str, bytes],
          meanwhile: Callable[[], None] | None = None) -> None:
    """A year's folder: its ranking, unit pages, record pages, rules, attachments and exports;
    ``meanwhile`` is called before the record pages are asked for."""
    results, folder = site.results, site.folder
    pages.begin(site)
    files[folder + index_page.PATH] = pages.page(folder, folder + index_page.PATH, lambda: index_page.inputs(site),
                                                 lambda: index_page.render(site))
    for us in results.units:
        files[folder + unit_file(us.unit.slug)] = pages.unit_page(site, us)
    files[folder + rules_page.PATH] = pages.page(folder, folder + rules_page.PATH, lambda: rules_page.inputs(site),
                                                 lambda: rules_page.render(site))
    if results.lifecycle is not None:
        files[folder + lifecycle_page.PATH] = pages.page(folder, folder + lifecycle_page.PATH,
                                                         lambda: lifecycle_page.inputs(site),
                                                         lambda: lifecycle_page.render(site))
    files.update(pages.attachments(site, [path for path in sorted(site.inputs.attachments) if publishable(path)]))
    files[folder + exports.JSON_FILE], files[folder + exports.CSV_FILE] = pages.export_files(site)
    _paperwork(site, pages, files)
    pages.idle(files)
    if meanwhile is not None:
        meanwhile()
    # Last: the incremental layer may still be rendering them (worker processes) while the
    # files above are made.
    files.update(pages.record_pages(site, results.records.records))


def _paperwork(site: Site, pages: Pages, files: dict[str, bytes]) -> None:
    """The office's documents of a year: a result notice per unit and the summary table
    (print pages, with their PDFs when the build has a PDF engine), and scores.xlsx."""
    folder = site.folder
    files[folder + PRINT_CSS] = template_file(site, "print.css")
    files[folder + PAPER_JS] = template_file(site, "paper.js")
    prints = []
    for us in site.results.units:
        path = folder + notice_file(us.unit.slug)
        files[path] = pages.page(folder, path, lambda us=us: notice_page.inputs(site, us),
                                 lambda us=us: notice_page.render(site, us))
        prints.append(path)
    files[folder + summary_page.PATH] = pages.page(folder, folder + summary_page.PATH,
                                                   lambda: summary_page.inputs(site),
                                                   lambda: summary_page.render(site))
    prints.append(folder + summary_page.PATH)
    if site.inputs.pdf is not None:
        files.update(pages.print_pdfs(site, prints, files))
    files[folder + WORKBOOK] = pages.page(folder, folder + WORKBOOK, lambda: _workbook_inputs(site),
                                          lambda: _scores_xlsx(site))


def _workbook_inputs(site: Site) -> tuple:
    """Besides code, templates and the year's rules: every unit's score and ranks, the year's date."""
    return (WORKBOOK, [(u.unit.slug, u.outline or repr(u), u.rank, u.group_rank) for u in site.results.units],
            site.result_date())


def template_file(site: Site, name: str) -> bytes:
    """A file of the templates' folder as it is; one that is missing (a repository's own
    site_templates/ from before it existed) is reported like a missing template."""
    return templates.template_bytes(site.templates, name)


def _scores_xlsx(site: Site) -> bytes:
    """scores.xlsx (its module imported only when the workbook is made: most incremental builds keep it)."""
    from qsgen.site import xlsx

    return xlsx.scores_xlsx(site.results, site.result_date())


def _search_parts(site: Site, pages: Pages, sink: Sink, files: dict[str, bytes], nb: int) -> list[search.Part]:
    """The search index's parts of a year: one per unit with records (its row files go into
    ``files``)."""

    def files_of(made: dict[str, bytes]) -> dict[str, bytes]:
        # a row file is kept in the site while its bytes are the same
        return {path: pages.page(ROOT, path, lambda path=path, data=data: ("search rows", path, search.digest(data)),
                                 lambda path=path, data=data: sink(path, [data]))
                for path, data in made.items()}

    out = []
    for slug, recs in site.results.records.units():  # (records are in path order)
        name = search_page.part_name(site, slug)

        def make(name: str = name, recs: list[Record] = recs) -> search.Part:
            part = search_page.part(site, name, pages.search_rows(site, recs), nb)
            part.files = files_of(part.files)
            return part

        part = pages.search_part(site, slug, recs, nb, make, files_of)
        files.update(part.files)
        out.append(part)
    return out


def _root(sites: list[Site], pages: Pages, files: dict[str, bytes]) -> None:
    """The root: the latest year's ranking with every year, each unit across the years,
    years.json, the page for a missing address."""
    latest = sites[-1]
    files[index_page.PATH] = pages.page(ROOT, index_page.PATH, lambda: index_page.inputs(latest, home=True),
                                        lambda: index_page.render(latest, home=True))
    for slug in latest.years.history_slugs():
        path = history_page.path(slug)
        files[path] = pages.page(ROOT, path, lambda slug=slug: history_page.inputs(sites, slug),
                                 lambda slug=slug: history_page.render(sites, slug))
    files[YEARS_FILE] = pages.page(ROOT, YEARS_FILE, lambda: (YEARS_FILE, tuple(latest.years)),
                                   lambda: exports.years_json(latest.years))
    files[NOT_FOUND] = pages.page(ROOT, NOT_FOUND, lambda: (NOT_FOUND,),
                                  lambda: latest.render(NOT_FOUND, "404.html", "404", root=True))


def sites_of(results: list[Results], inputs: list[SiteInputs]) -> list[Site]:
    """One Site per year, sharing the Years of them all."""
    years = Years([year_of(r) for r in results])
    sites = sorted((Site(r, i, years) for r, i in zip(results, inputs, strict=True)), key=lambda s: s.year.year)
    for before, after in zip(sites, sites[1:], strict=False):
        after.previous_rules = before.rules
    return sites


def build_site(results: Results | list[Results], inputs: SiteInputs | list[SiteInputs] | None = None,
               pages: Pages | None = None, sink: Sink = join) -> dict[str, bytes]:
    """Every file of the site for ``results`` (one year, or a list of years with their inputs),
    keyed by its path relative to the site root, sorted."""
    if isinstance(results, Results):
        results, inputs = [results], [inputs or SiteInputs()]
    return build(sites_of(results, list(inputs or [SiteInputs() for _ in results])), pages, sink)


def page_and_row(site: Site, rec: Record) -> tuple[bytes, Any]:
    """A record's page and its search row, made together (one Markdown parse)."""
    data, text, facts = record_page.page_and_facts(site, rec)
    return data, record_page.search_row(site, rec, text, facts)

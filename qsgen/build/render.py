"""Rendering the site: the site builder with the page store beside it, pages rendered in bulk, big files streamed."""

from __future__ import annotations

from typing import Any

from qsgen.build import workers
from qsgen.core.model import Results
from qsgen.core.runtime import paused_gc
from qsgen.incremental.cache import digest
from qsgen.incremental.pages import CachedPages, code_digest, root_key, year_key
from qsgen.incremental.pagestore import PageStore
from qsgen.incremental.templates import use_compiled_templates
from qsgen.publish.writer import settle, stream_file, stream_later, stream_page
from qsgen.site import build
from qsgen.site.builder import ROOT, search_buckets, sites_of


def render_site(results: Results | list[Results], inputs: Any, store: PageStore | None = None, *,
                rules_digest: str | dict[int, str] | None = None, jobs: int | None = None,
                stream_dir: str | None = None, bytecode_dir: str | None = None,
                meanwhile: Any = None, written_later: bool = False) -> dict[str, bytes]:
    """Every file of the site of ``results`` (a year, or every year with ``inputs`` a list),
    byte-identical to ``site.build_site(results, inputs)``, reusing the pages of ``store``
    whose inputs are unchanged (the store is updated in place) and rendering the rest in bulk
    (worker processes from ~1,000 pages).

    ``rules_digest``: each year's digest of its rules folder (by year), the key of the pages
    made from them. With ``stream_dir`` (the writer's new site, publish.writer.begin) every
    record and unit page rendered and the search index are written there at once and stand
    as ``Written`` in the result, so memory does not grow with the site. ``bytecode_dir``:
    where compiled templates are kept between processes. ``meanwhile``: called once, as soon as
    the workers have pages to render (or before the site is complete, when none are rendered).
    ``written_later``: the files this process streams into ``stream_dir`` (the search index's
    gram files, index.js) may still be being written on a thread when it returns
    (writer.stream_later): writer.settle(stream_dir) waits for them (write_site does). At the
    end of a clean build, when the workers have ended, the kernel then writes the 256 gram
    files of the 10,000-record site on the other core while this process makes the next."""
    if isinstance(results, Results):
        results, inputs = [results], [inputs]
        rules_digest = {results[0].rules.year: rules_digest} if isinstance(rules_digest, str) else rules_digest
    digests = rules_digest if isinstance(rules_digest, dict) else {}
    store = store if store is not None else PageStore()
    jobs = workers.default_jobs() if jobs is None else jobs
    with paused_gc():  # rendering makes no lasting cycles; full collections cost ~10% at 50,000
        sites = sites_of(results, list(inputs))
        latest = sites[-1]
        code = code_digest(getattr(latest.inputs, "templates", None))
        keys = {s.folder: year_key(s.results, s.inputs, digests.get(s.year.year) or digest(repr(s.rules)), code,
                                   s.years) for s in sites}
        keys[ROOT] = root_key(code, latest.inputs.source_date, latest.inputs.templates, latest.years,
                              any(s.inputs.example for s in sites))
        for s in sites:  # (the shells of page templates kept too: `code` covers the latest's templates)
            use_compiled_templates(s, bytecode_dir, code if s.templates == latest.templates else None)
        pages = CachedPages(store, keys, lambda site, work, later=False, parts=None:
                            workers.render_pages(site, work, jobs, stream_dir, later, parts), search_buckets(sites),
                            meanwhile, None if stream_dir is None else lambda files: _flush(stream_dir, files))
        try:
            if stream_dir is None:
                return build(sites, pages)
            sink = stream_later if written_later else stream_file
            files = build(sites, pages, lambda path, chunks: sink(stream_dir, path, chunks))
        except BaseException:
            if stream_dir is not None:
                settle(stream_dir, quiet=True)  # (nothing written there after the caller removes it)
            raise
        finally:
            pages.settle(abort=True)  # (after an error: the workers stop; else nothing is left)
        return files


def _flush(stream_dir: str, files: dict[str, bytes]) -> None:
    """Write the files made so far (plain bytes) into the new site now; each stands as Written."""
    for path, data in files.items():
        if type(data) is bytes:
            files[path] = stream_page(stream_dir, path, data)

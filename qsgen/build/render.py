"""Rendering the site: the site builder with the page store beside it, pages rendered in bulk, big files streamed."""

from __future__ import annotations

from typing import Any

from qsgen.build import workers
from qsgen.core.model import Results
from qsgen.core.runtime import paused_gc
from qsgen.incremental.cache import digest
from qsgen.incremental.pages import CachedPages, code_digest, global_key
from qsgen.incremental.pagestore import PageStore
from qsgen.incremental.templates import use_compiled_templates
from qsgen.publish.writer import stream_file
from qsgen.site import Site, build


def render_site(results: Results, inputs: Any, store: PageStore | None = None, *,
                rules_digest: str | None = None, jobs: int | None = None,
                stream_dir: str | None = None, bytecode_dir: str | None = None) -> dict[str, bytes]:
    """Every file of the site, byte-identical to ``site.build_site(results, inputs)``, reusing
    the pages of ``store`` whose inputs are unchanged (the store is updated in place) and
    rendering the rest in bulk (worker processes from ~1,000 pages).

    With ``stream_dir`` (the writer's new site, publish.writer.begin) every record and unit
    page rendered and the search index are written there at once and stand as ``Written`` in
    the result, so memory does not grow with the site. ``bytecode_dir``: where compiled
    templates are kept between processes."""
    if rules_digest is None:
        rules_digest = digest(repr(results.rules))
    store = store if store is not None else PageStore()
    gkey = global_key(results, inputs, rules_digest, code_digest(getattr(inputs, "templates", None)))
    jobs = workers.default_jobs() if jobs is None else jobs
    with paused_gc():  # rendering makes no lasting cycles; full collections cost ~10% at 50,000
        site = Site(results, inputs)
        use_compiled_templates(site, bytecode_dir)
        pages = CachedPages(store, gkey, lambda work: workers.render_pages(site, work, jobs, stream_dir))
        if stream_dir is None:
            return build(site, pages)
        return build(site, pages, lambda path, chunks: stream_file(stream_dir, path, chunks))


"""The site's files through the page store: a page whose inputs are unchanged is reused, the rest rendered.

``CachedPages`` is the incremental implementation of the site builder's narrow interface
(``qsgen.site.Pages``): the site says what each page is made from (each page module's
``inputs``); this module turns that into a key (a digest, together with the code, templates,
rules and the rest every page of the year shares: ``year_key``; of the root: ``root_key``) and asks the page store whether the page
made from that key last time is still there. Before the builder asks for the first page,
``begin`` works out every record and unit page's key and has the ones that changed rendered in
one go (``render_many``, given by the build: worker processes). The output is byte-identical
to a plain build of the site.

Besides the pages it keeps each record's search index row, each unit's record page keys (while
the unit's score inputs are unchanged: its keys are then not even computed) and its parts of
scores.json and scores.csv. A unit's part of the search index (its row files, its sections of
the gram files) is kept while its records' page keys are; the other files of the index while
their bytes are the same.
"""

from __future__ import annotations

import hashlib
import operator
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, compress, repeat
from pathlib import Path
from typing import Any

from qsgen.core.model import Record, Results, UnitScore
from qsgen.incremental.cache import FORMAT, _hash_code, digest, tree_digest
from qsgen.incremental.pagestore import PageStore
from qsgen.publish.writer import KEPT, Kept
from qsgen.site import Pages, Site, exports, regrams, search
from qsgen.site import templates as site_templates
from qsgen.site.builder import ROOT
from qsgen.site.pages import record as record_page
from qsgen.site.pages import search as search_page
from qsgen.site.pages import unit as unit_page
from qsgen.site.urls import PRINT_CSS, attachment_file, pdf_of, record_file, unit_file

# Code (packages or modules of qsgen) that decides what a page looks like; any change to it
# invalidates every page.
RENDER_CODE = ("site", "core", "repo", "incremental/pages.py", "build/workers.py")


def code_digest(template_dir: Path | None = None) -> str:
    """Hash of the rendering code and the site templates."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {FORMAT}".encode())
    _hash_code(h, RENDER_CODE)
    folder = template_dir or site_templates.TEMPLATE_DIR
    h.update(tree_digest(folder, within=site_templates.confinement(folder)).encode())
    return h.hexdigest()


def year_key(results: Results, inputs: Any, rules_digest: str, code: str, years: Any) -> str:
    """What every cached page of a year shares: code, templates, the year's rules and the date it
    is shown as of (while in progress), its attachment set, the site's years (the year
    switcher), whether PDFs are made, how approvals are shown (a record's own approval is in
    its page's inputs) and whether authors are named, the year's lifecycle (公示, objections, 定稿): not the build's date, so that a finished year's pages stay as they are."""
    return digest(code, rules_digest, results.as_of, inputs.example, sorted(inputs.attachments),
                  results.rules.title, results.rules.year, str(getattr(inputs, "templates", None)),
                  tuple(years), getattr(inputs, "pdf", None) is not None,  # (pages link the PDFs when made)
                  getattr(inputs, "approval_rules", None), getattr(inputs, "show_authors", True),
                  getattr(results, "lifecycle", None))  # (the 公示/定稿 banner is on every page)


def root_key(code: str, source_date: Any, templates: Any, years: Any, example: bool) -> str:
    """What every cached page of the site's root shares: code, templates, the build's date, the years."""
    return digest(code, "root", source_date, str(templates), tuple(years), example)


_ID = operator.attrgetter("id")


def _joined(*parts: str) -> str:
    """A digest of strings none of which has a NUL in them (keys, names, digests): as digest()
    of them, without the repr of them all (a unit's ~1,000 record page keys, a gram file's ~20
    sections, every build)."""
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _gram_key(root: str, path: str, sections: Iterable[tuple[str, str]]) -> str:
    """A gram file's key: the root's key, its path, and the (part name, digest of its section
    of the file) of each part that has one, in order."""
    return _joined(root, "gram file", path, *(x for pair in sections for x in pair))


def _sums(sums: list[str]) -> str:
    """A digest of a unit's records' contents (``sums``: their digests, in order)."""
    return hashlib.blake2b("".join(sums).encode(), digest_size=16).hexdigest()


def shard(site: Site, slug: str) -> str:
    """The name a unit of a year is kept under (its search part's name, its page store shard)."""
    return search_page.part_name(site, slug)


# render_many(site, work, later) -> [(bytes, search row or None)] for work = [("unit",
# UnitScore) | ("record", Record)] of one year, in order: the build renders them (in worker
# processes from ~1,000 pages). With ``later`` it may return instead a function
# finish(abort=False) giving them when asked (the workers render while the builder makes the
# year's other files).
RenderMany = Callable[..., Any]


class CachedPages(Pages):
    """qsgen.site.Pages that reuses the pages of ``store`` whose key is unchanged (see the
    module docstring); ``store`` is updated to this build's pages when the site is built."""

    def __init__(self, store: PageStore, keys: dict[str, str], render_many: RenderMany, nb: int = 0,
                 meanwhile: Callable[[], None] | None = None,
                 flush: Callable[[dict[str, bytes]], None] | None = None) -> None:
        super().__init__()
        # flush(files): the files made so far written out now (while the workers render),
        # each replaced by what stands for its bytes
        self.flush = flush
        self.envs: list[Any] = []  # the Shells of the sites begun (their Jinja environments)
        # called once, as soon as the first pages are handed to render_many (the build's work
        # that no page waits for is done while the workers render)
        self.meanwhile = meanwhile
        self.nb = nb  # the number of gram files of the site's search index (search.buckets)
        self.made_parts: dict[str, tuple] = {}  # part name -> made by a worker with its unit's pages
        # keys: scope (a year's folder, or "" for the site's root) -> what its pages share
        self.store, self.keys, self.render_many = store, keys, render_many
        self.new_pages: dict[str, tuple[str, bytes]] = {}
        self.rows: dict[str, Any] = {}  # record id -> search row made with its page
        self.ready: dict[str, bytes] = {}  # pages worked out by begin(), until the builder asks
        self.rec_keys: dict[str, str] = {}
        self.unit_keys: dict[str, str] = {}
        self.new_docs: dict[str, dict[str, tuple[str, Any]]] = {}
        self.new_keysets: dict[str, tuple[str, list[str], str, str]] = {}
        self.new_exports: dict[str, tuple[str, str, list]] = {}
        # (finish, [(rec, path)], {unit's part name: its indices in that list}) still rendering
        self.pending: list[tuple[Any, list, dict[str, list[int]]]] = []
        self.new_search: dict[str, tuple] = {}
        self.old_runs: dict[str, dict[str, str]] = {}  # part name -> {record id: runs}: see _old_runs
        self.sections: dict[int, tuple[str, dict[int, str]]] = {}  # id(part) -> (name, digest of each section)
        self.whole: set[str] = set()  # units of the year begun whose record pages the store kept whole
        # year's folder -> {unit: the paths of its record pages, kept whole}: handed to the
        # builder as they are (record_pages), not one record at a time
        self.kept_units: dict[str, dict[str, list[str]]] = {}
        store.rendered = store.reused = 0
        store.linkable = set()

    # ---- before the first page: every record and unit page's key, what changed rendered

    def begin(self, site: Site) -> None:
        store, results, folder = self.store, site.results, site.folder
        self.envs.append(site.shells)  # (its environment, made only if a template is compiled)
        if store.empty:
            # Nothing to reuse (a clean build): every record page is rendered. The workers
            # start on them at once; their keys (only saved, for the next build) are worked
            # out here meanwhile.
            todo = [(rec, folder + record_file(rec.id)) for rec in results.records.records]
            self._dispatch(site, todo, set())
            self._record_keys(site)
        else:
            rows_kept = self._record_keys(site)
            todo = self._changed(site, rows_kept)
            self._dispatch(site, todo, rows_kept)
        # unit pages that changed are rendered with the record pages, in parallel too
        gkey, units_todo = self.keys[folder], []
        for us in results.units:
            path = folder + unit_file(us.unit.slug)
            key = digest(gkey, *unit_page.inputs(site, us))
            self.unit_keys[path] = key
            data = store.get(path, key)
            if data is None:
                units_todo.append((us, path, key))
            else:
                self.ready[path] = data
                self.new_pages[path] = (key, data)
                store.reused += 1
        if units_todo:
            pages = self.render_many(site, [("unit", t[0]) for t in units_todo])
            for (_us, path, key), (data, _row) in zip(units_todo, pages, strict=True):
                self.ready[path] = data
                self.new_pages[path] = (key, data)
        store.rendered += len(todo) + len(units_todo)

    def _record_keys(self, site: Site) -> set[str]:
        """Every record page's key (into rec_keys); the units whose rows were saved with
        these keys (their rows are kept)."""
        store, results = self.store, site.results
        gkey = self.keys[site.folder]
        digests = store.digests.table(results.records.records)
        # the set of record paths (none has a NUL in it)
        paths = hashlib.blake2b("\0".join(sorted(site.record_paths)).encode("utf-8", "surrogatepass"),
                                digest_size=16).hexdigest()

        def key_of(rec: Record) -> str:
            return digest(gkey, digests[id(rec)], *record_page.inputs(site, rec, paths))

        # A unit's record page keys are a function of the common key, the unit's score (the
        # score lines its records feed), the commit the provenance was read at, the set of record
        # paths (together: its ``ctx``) and each record's content: while those are as at the last
        # build, its keys are. The records' contents are told by the key its score was kept
        # under (scorememo: UnitScore.inputs, a digest of theirs, in order), so an unchanged
        # unit's are not even looked up; else by the digest of theirs (_sums, kept with the
        # keys). The records read again since (DigestMemo.before) while the rest is the same:
        # only theirs change. Kept per unit: (key, its record page keys, ctx, _sums).
        history_id = getattr(site.inputs, "history_id", None)
        before = store.digests.earlier()
        rows_kept: set[str] = set()
        whole: set[str] = set()  # units whose record pages are all in the site as written
        covered = 0
        for us in results.units:
            own = results.records.by_unit(us.unit.slug)
            name = shard(site, us.unit.slug)
            hit = store.keysets.get(name)
            if hit is not None and (len(hit) < 4 or len(hit[1]) != len(own)):
                hit = None
            keys = entry = None
            if us.outline and history_id is not None:
                ctx = digest(gkey, us.outline, history_id, paths)
                same = _joined(ctx, "inputs", us.inputs) if us.inputs else None
                if same is not None and hit is not None and hit[0] == same:
                    keys, sums = hit[1], hit[3]
                else:
                    got = list(map(digests.__getitem__, map(id, own)))
                    sums = _sums(got)
                    same = same or _joined(ctx, "sums", sums)
                    if hit is not None and (hit[0] == same or hit[2] == ctx and hit[3] == sums):
                        keys = hit[1]
                    elif hit is not None and hit[2] == ctx and before and any(id(rec) in before for rec in own):
                        was = [before.get(id(rec), d) for rec, d in zip(own, got, strict=True)]
                        if _sums(was) == hit[3]:
                            keys = [key_of(rec) if id(rec) in before else k
                                    for rec, k in zip(own, hit[1], strict=True)]
                if hit is not None and keys is hit[1] and name in store.docs and \
                        store.kept_whole(name, len(own)):  # (saved with these keys too)
                    whole.add(us.unit.slug)
                if keys is not None and name in store.docs:  # rows saved with the keys kept
                    rows_kept.add(us.unit.slug)
                entry = (same, ctx, sums)
            if keys is None:
                keys = [key_of(rec) for rec in own]
            if entry is not None:
                self.new_keysets[name] = (entry[0], keys, entry[1], entry[2])
            self.rec_keys.update(zip(map(_ID, own), keys, strict=True))
            covered += len(own)
        if covered != len(results.records.records):
            for rec in results.records.records:  # (records of no unit of the rules)
                if rec.id not in self.rec_keys:
                    self.rec_keys[rec.id] = key_of(rec)
        self.whole = whole
        return rows_kept

    def _changed(self, site: Site, rows_kept: set[str]) -> list[tuple[Record, str]]:
        """The record pages to render (the others are ready, with their rows)."""
        store, folder, todo = self.store, site.folder, []
        # (the loop over every record of an incremental build: kept lean)
        rec_keys, get, unit_docs = self.rec_keys, store.get, store.unit_docs
        ready, new_pages, reused, linkable = self.ready, self.new_pages, 0, store.linkable
        whole, records = self.whole, site.results.records
        kept_units = self.kept_units[folder] = {}
        # (a record page's path is folder + record_file(its id), made by C-level maps: ~9,000
        # ids of the units kept whole)
        page_path = _page_path(folder)
        for slug in sorted(whole):  # (kept in the store as they were, not one by one)
            kept = kept_units[slug] = list(page_path(map(_ID, records.by_unit(slug))))
            linkable.update(kept)
            reused += len(kept)
        for rec in records.records:
            if rec.unit in whole:
                continue
            rid = rec.id
            path = folder + record_file(rid)
            key = rec_keys[rid]
            data = get(path, key)
            # reused with its search row (same key); a page kept without its row (an older
            # cache) is rendered again for the body's text
            if data is None:
                ok = False
            elif rec.unit in rows_kept:
                ok = True
            else:
                doc = unit_docs(shard(site, rec.unit)).get(rid)
                ok = doc is not None and doc[0] == key
            if ok:
                ready[path] = data
                new_pages[path] = (key, data)
                reused += 1
            else:
                todo.append((rec, path))
        store.reused += reused
        return todo

    def _dispatch(self, site: Site, todo: list[tuple[Record, str]], rows_kept: set[str]) -> None:
        """The record pages of ``todo`` handed to render_many (the workers), taken when the
        builder asks for one (settle). A unit all of whose pages are rendered (and rows made)
        again has its search part made by the worker that renders them (search_part takes it)."""
        if not todo:
            return
        whole: dict[str, list[int]] = {}
        if self.nb:
            at: dict[str, list[int]] = {}
            for i, (rec, _path) in enumerate(todo):
                at.setdefault(rec.unit, []).append(i)
            for slug, recs in site.results.records.units():
                if slug not in rows_kept and len(at.get(slug, ())) == len(recs):
                    whole[shard(site, slug)] = at[slug]
        parts = {"nb": self.nb, "units": whole, "made": self.made_parts} if whole else None
        got = self.render_many(site, [("record", t[0]) for t in todo], later=True, parts=parts)
        if callable(got):
            self.pending.append((got, todo, whole))
        else:
            self._take(todo, got)
        self.run_meanwhile()

    def run_meanwhile(self) -> None:
        then, self.meanwhile = self.meanwhile, None
        if then is not None:
            then()

    def _take(self, todo: list[tuple[Record, str]], pages: list[tuple[bytes, Any]]) -> None:
        for (rec, path), (data, row) in zip(todo, pages, strict=True):
            self.ready[path] = data
            self.new_pages[path] = (self.rec_keys[rec.id], data)
            self.rows[rec.id] = row

    def idle(self, files: dict[str, bytes]) -> None:
        """While the workers render: the files made so far are written out (flush), and every
        template is compiled (the builder then makes the root's pages, still before it asks
        for the record pages)."""
        if not self.pending:
            return
        if self.flush is not None:
            self.flush(files)
        if sum(len(todo) for _finish, todo, _whole in self.pending) <= self.store.reused:
            return  # (most pages kept, as after one change: a template is compiled when used)
        for shells in self.envs:
            env = shells.env
            for name in env.list_templates():
                try:
                    env.get_template(name)
                except Exception:  # reported where the template is used, if it is
                    pass

    def settle(self, abort: bool = False) -> None:
        """Wait for the record pages still being rendered (with ``abort``: stop their rendering)."""
        while self.pending:
            finish, todo, whole = self.pending.pop(0)
            if abort or not whole:
                pages = finish(abort)
                if not abort:
                    self._take(todo, pages)
                continue
            # Each unit's pages are taken as soon as they are all in, while the workers render
            # the others, not all after the last one (when this process works alone): with
            # what the page store's save makes of them (PageStore.prepare).
            taken = bytearray(len(todo))

            def each(name: str, pages: list, todo: list = todo, whole: dict = whole, taken: bytearray = taken) -> None:
                mine = [todo[i] for i in whole[name]]
                self._take(mine, pages)
                for i in whole[name]:
                    taken[i] = 1
                keys = self.rec_keys
                if name not in self.store.docs and name not in self.new_docs and \
                        all(row is not None for _data, row in pages):  # (as _rows_of would, later)
                    rows = self.rows
                    docs = self.new_docs[name] = {rec.id: (keys[rec.id], rows.pop(rec.id)) for rec, _path in mine}
                    if self.store.persisted:
                        self.store.prepare_rows(name, docs)
                if self.store.persisted:
                    self.store.prepare({path: (keys[rec.id], data)
                                        for (rec, path), (data, _row) in zip(mine, pages, strict=True)})

            pages = finish(False, each)
            self._take([t for t, done in zip(todo, taken, strict=True) if not done],
                       [p for p, done in zip(pages, taken, strict=True) if not done])

    # ---- the builder's questions

    def page(self, scope: str, path: str, inputs: Callable[[], tuple], make: Callable[[], bytes]) -> bytes:
        key = digest(self.keys[scope], *inputs())
        data = self.store.get(path, key)
        if data is None:
            data = make()
        self.new_pages[path] = (key, data)
        return data

    def unit_page(self, site: Site, us: UnitScore) -> bytes:
        path = site.folder + unit_file(us.unit.slug)
        data = self.ready.pop(path, None)
        if data is None:  # not planned in begin(): render it here
            data = super().unit_page(site, us)
            key = self.unit_keys.get(path) or digest(self.keys[site.folder], *unit_page.inputs(site, us))
            self.new_pages[path] = (key, data)
            self.store.rendered += 1
        return data

    def record_page(self, site: Site, rec: Record) -> bytes:
        if self.pending:
            self.settle()
        self._unkept(site.folder)
        data = self.ready.pop(site.folder + record_file(rec.id), None)
        if data is None:  # not planned in begin(): render it here
            data = super().record_page(site, rec)
        return data

    def _unkept(self, folder: str) -> None:
        """The record pages of the units kept whole of the year ``folder`` made ready one by one
        (asked for otherwise than all at once: record_pages of every record of the year)."""
        for paths in self.kept_units.pop(folder, {}).values():
            self.ready.update(dict.fromkeys(paths, KEPT))

    def record_pages(self, site: Site, recs: Iterable[Record]) -> Iterator[tuple[str, bytes]]:
        """record_page of each of ``recs``, the pages worked out by begin() taken in one go (the
        loop over every record of an incremental build): the units kept whole as C-level
        iterators chained, not yielded one page at a time."""
        if self.pending:
            self.settle()
        folder = site.folder
        records = site.results.records
        kept = self.kept_units.get(folder)
        if kept and recs is records.records:  # (every record of the year: the builder's ask)
            del self.kept_units[folder]
            each = []
            for slug, own in records.units():
                paths = kept.get(slug)
                if paths is not None and len(paths) == len(own):  # (a unit kept whole: as it is)
                    each.append(zip(paths, repeat(KEPT)))
                else:
                    each.append(self._record_pages(site, own))
            return chain.from_iterable(each)
        self._unkept(folder)
        return self._record_pages(site, recs)

    def _record_pages(self, site: Site, recs: Iterable[Record]) -> Iterator[tuple[str, bytes]]:
        """record_page of each of ``recs``: ready (begin) or rendered now."""
        folder, pop, render = site.folder, self.ready.pop, super().record_page
        for rec in recs:
            path = folder + record_file(rec.id)
            data = pop(path, None)
            yield path, (render(site, rec) if data is None else data)

    def search_row(self, site: Site, rec: Record) -> Any:
        return self.search_rows(site, [rec])[0]

    def search_rows(self, site: Site, recs: list[Record]) -> list[search.Row]:
        """search_row of each of ``recs``, the records of one unit (what search_row looks up
        for each: looked up once)."""
        if self.pending:
            self.settle()
        if not recs or any(rec.unit != recs[0].unit for rec in recs):
            return super().search_rows(site, recs)
        name = shard(site, recs[0].unit)
        docs, keys, rows = self.store.unit_docs(name), self.rec_keys, self.rows
        had = name in self.new_docs
        mine, old, out = self.new_docs.setdefault(name, {}), None, []
        for rec in recs:
            rid = rec.id
            key = keys.get(rid)
            hit = docs.get(rid)
            if key is not None and hit is not None and hit[0] == key:
                row = hit[1]
                if row.runs is None:  # (its part is made again: its runs as the last build had them)
                    old = self._old_runs(name) if old is None else old
                    runs = old.get(rid)
                    if runs is not None:
                        row.runs = runs
            else:  # kept as its index row: nothing to redo next time but joining
                row = rows.pop(rid, None) or Pages.search_row(self, site, rec)
            if key is not None:
                mine[rid] = (key, row)
            out.append(row)
        if not mine and not had:
            del self.new_docs[name]
        return out

    def _old_runs(self, name: str) -> dict[str, str]:
        """{record id: its row's runs} of the part ``name`` as the store keeps it, when they are
        those of the rows the store keeps (the page keys they were made with, in order, are
        those of the rows): what a row is is told by its page's key."""
        found = self.old_runs.get(name)
        if found is None:
            found = self.old_runs[name] = {}
            hit = self.store.search.get(name)
            kept = hit[6] if _packed_alike(hit) else None
            docs = self.store.unit_docs(name)
            if kept is not None and kept[1] == digest("runs", [k for k, _row in docs.values()]):
                runs = search.runs_of(kept[0], len(docs))
                if runs is not None:
                    found.update(zip(docs, runs, strict=True))
        return found

    def search_part(self, site: Site, slug: str, recs: list[Record], nb: int,
                    make: Callable[[], search.Part],
                    files_of: Callable[[dict[str, bytes]], dict[str, bytes]] | None = None) -> search.Part:
        """Kept while its records' page keys are (a record's search row is a function of what
        its page is made from; the tables are a function of the rules and code, in the year's
        key) and the number of gram files: its row files stay in the site, its gram sections
        and its rows (never unpickled) in the store. When a few of those keys changed, made
        from the kept part (_part_again) when it can be, else by ``make``."""
        keys = list(map(self.rec_keys.get, map(_ID, recs)))
        if None in keys:
            return make()
        name = shard(site, slug)
        key = _joined(self.keys[site.folder], "search part", name, str(nb), *keys)
        hit, rows, part = self.store.search.get(name), self.store.docs.get(name), None
        if hit is not None and hit[0] == key and rows is not None:
            files = {}
            for path, page_key in hit[4].items():
                data = self.store.get(path, page_key)
                if data is None:
                    break
                files[path] = data
            else:
                part = search.Part(hit[1], files, hit[2], hit[3])
                self.new_docs[name] = rows
                for path, data in files.items():
                    self.new_pages[path] = (hit[4][path], data)
        sealed = hit[5] if part is not None and len(hit) > 5 else None
        # the rows' runs (search.Part.runs) and the digest of their page keys, in order
        runs = hit[6] if part is not None and _packed_alike(hit) else None
        made = self.made_parts.pop(name, None)
        if part is None and made is not None and made[0] and made[0][1] == len(recs) and nb == self.nb:
            meta, files, sections, urls, digests, blob = made  # (made by a worker with the unit's pages)
            self._rows_of(site, name, recs, keys)
            part = search.Part(meta, {path: self.page(ROOT, path, lambda path=path, dig=dig: ("search rows", path, dig),
                                                      lambda data=data: data)
                                      for path, data, dig in files}, sections, urls, digests, blob)
        if part is None and files_of is not None:
            part = self._part_again(site, name, recs, keys, nb, hit, files_of)
        if part is None:
            # (its groups whose sections are the same: as they were; with the runs of its rows
            # as they were, only the sections its changed rows touch are made again)
            with search.packed_before(_groups(hit)), search.made_again(name, self._again(name, hit, recs, nb)):
                part = make()  # (its row files through page(): their keys in new_pages)
        if sealed is None:
            sealed = _section_digests(part)
        if runs is None and part.runs is not None:
            runs = (part.runs, digest("runs", keys))
        self.sections[id(part)] = (name, sealed)
        self.new_search[name] = (key, part.meta, part.sections, part.urls,
                                 {path: self.new_pages[path][0] for path in part.files}, sealed, runs,
                                 search.PACKING, nb)
        return part

    def _part_again(self, site: Site, name: str, recs: list[Record], keys: list[str], nb: int, hit: tuple | None,
                    files_of: Callable[[dict[str, bytes]], dict[str, bytes]]) -> search.Part | None:
        """The part ``name`` of ``recs`` (their page ``keys``) made from the one the store keeps,
        when that was made of the same records, in order, with the same year's key and number
        of gram files (its key, made again of the keys its rows were saved with, is the one
        kept), and only a few of them (regrams.MOST) have another key now: only their rows are
        asked for, only the row files they are in made again (the others kept: store.get),
        their kinds put in the index.js entry, its gram sections made again from its rows'
        runs (regrams.again). The same part as make() would make (tests/test_cache.py);
        None when it cannot be made so (nothing asked for nor kept then)."""
        if not _packed_alike(hit) or len(hit) < 9 or hit[8] != nb or not hit[5] or hit[1][1] != len(recs):
            return None
        docs = self.store.unit_docs(name)
        ids = list(map(_ID, recs))
        if len(docs) != len(recs) or list(docs) != ids:
            return None
        olds = list(map(operator.itemgetter(0), docs.values()))
        changed = list(compress(range(len(keys)), map(operator.ne, keys, olds)))
        if not changed or len(changed) > regrams.MOST or \
                _joined(self.keys[site.folder], "search part", name, str(nb), *olds) != hit[0]:
            return None
        runs = self._old_runs(name)
        if len(runs) != len(recs):
            return None
        remade = {search.part_file(name, i // search.BLOCK): i // search.BLOCK for i in changed}
        if not remade.keys() <= hit[4].keys():
            return None
        kept = {}
        for path, page_key in hit[4].items():  # (the row files no changed row is in)
            if path not in remade:
                data = self.store.get(path, page_key)
                if data is None:
                    return None
                kept[path] = data
        if self.pending:
            self.settle()
        got, rows = {}, self.rows
        for i in changed:
            got[i] = rows.pop(ids[i], None) or Pages.search_row(self, site, recs[i])
        kinds, units = search_page.tables(site)
        kind_no = {k: n for n, k in enumerate(kinds)}
        unit_no = {u: n for n, u in enumerate(units)}
        before = list(runs.values())
        now = list(before)
        try:
            for i, row in got.items():
                if row.url != docs[ids[i]][1].url:
                    raise KeyError(row.url)
                now[i] = search.row_runs(row)
            meta = search.kinds_again(hit[1][2], {i: (kind_no[row.kind], unit_no[row.unit]) for i, row in got.items()})
            made = regrams.again(name, nb, now, before, hit[2], hit[5])
            if made is None:
                raise KeyError(name)
        except KeyError:  # (its rows asked for again by make)
            for i, row in got.items():
                rows[ids[i]] = row
            return None
        mine = self.new_docs[name] = dict(docs)
        for i, row in got.items():
            mine[ids[i]] = (keys[i], row)
        for path, data in kept.items():
            self.new_pages[path] = (hit[4][path], data)
        at = search.BLOCK
        blocks = files_of({path: search.block_file(name, b, kind_no, unit_no,
                                                    [mine[rid][1] for rid in ids[b * at:(b + 1) * at]])
                           for path, b in sorted(remade.items(), key=operator.itemgetter(1))})
        packed, digests = made
        return search.Part([name, len(recs), meta], {path: kept[path] if path in kept else blocks[path] for path in hit[4]},
                           packed, hit[3], digests,
                           search.runs_blob(now))

    def _again(self, name: str, hit: tuple | None, recs: list[Record], nb: int) -> Any:
        """How the part ``name`` of ``recs`` is made again from the one the store keeps
        (regrams.remake, for search.made_again): when the store has its sections as packed by
        this code for ``nb`` gram files, with their digests, and its rows' runs (the runs of
        the same records, in order); else None."""
        if not _packed_alike(hit) or len(hit) < 9 or hit[8] != nb or not hit[5]:
            return None
        runs = self._old_runs(name)
        if list(runs) != [rec.id for rec in recs]:
            return None
        return regrams.remake(name, list(runs.values()), hit[2], hit[5], nb)

    def _rows_of(self, site: Site, name: str, recs: list[Record], keys: list[str]) -> None:
        """search_row for each of ``recs``, the records of the unit ``name`` (their page
        ``keys``): in one go when the store keeps no row of the unit (a clean build's: ~10,000
        rows registered after the workers ended)."""
        if self.pending or name in self.store.docs:
            self.search_rows(site, recs)
            return
        done = self.new_docs.get(name)
        if done is not None and len(done) == len(recs):  # (registered as its pages came in: settle)
            try:
                if [done[rec.id][0] for rec in recs] == keys:
                    return
            except KeyError:
                pass
        rows, mine = self.rows, self.new_docs.setdefault(name, {})
        for rec, key in zip(recs, keys, strict=True):
            mine[rec.id] = (key, rows.pop(rec.id, None) or Pages.search_row(self, site, rec))

    def search_files(self, site: Site, head: list, parts: list[search.Part], tail: list, nb: int,
                     sink: Callable) -> Iterator[tuple[str, bytes]]:
        """A gram file is the sections of the parts that have grams in its bucket, in the parts'
        order: it is keyed by their names and digests (kept with each part) and, while they are
        the same, kept in the site without being put together (decompressing every part's
        sections and hashing the result was ~0.1 s of an incremental build at 10,000 records).
        index.js and the gram files that changed are made as by the plain builder."""
        by_bucket: dict[int, list[tuple[str, str]]] = {}
        named = []
        for p in parts:
            name, sealed = self.sections.get(id(p)) or (p.meta[0], None)
            if sealed is None:  # (a part not obtained through search_part)
                sealed = _section_digests(p)
            named.append((name, sealed))
            for b, dig in sealed.items():
                by_bucket.setdefault(b, []).append((name, dig))
        kept, keys = {}, {}
        for b in range(nb):
            path = search.gram_file(b)
            keys[path] = key = _gram_key(self.keys[ROOT], path, by_bucket.get(b, ()))
            data = self.store.get(path, key)
            if data is not None:
                kept[path] = data
        # (a gram file is a function of its bucket's sections only: the groups of sections
        # (search.pack) holding no bucket to make are left out)
        per = max(1, nb // search.GROUPS)
        spliced = self._spliced(parts, named, [b for b in range(nb) if search.gram_file(b) not in kept], nb)
        groups = {b - b % per for b in range(nb) if search.gram_file(b) not in kept and search.gram_file(b) not in spliced}
        slim = [search.Part(p.meta, {}, {g: data for g, data in p.sections.items() if g in groups}, p.urls)
                for p in parts]
        for path, data in search_page.files(site, head, slim, tail, nb):
            if path in keys:
                if path in kept:
                    data = kept[path]
                else:
                    data = sink(path, [spliced.get(path, data)])
                self.new_pages[path] = (keys[path], data)
                yield path, data
            else:
                yield path, self.page(ROOT, path, lambda path=path, data=data: (path, search.digest(data)),
                                      lambda path=path, data=data: sink(path, [data]))

    def _spliced(self, parts: list[search.Part], named: list[tuple[str, dict[int, str]]], todo: list[int],
                 nb: int) -> dict[str, bytes]:
        """{path: bytes} of the gram files of buckets ``todo`` (not kept) made from the file the
        last build wrote: the sections of the parts whose section of it is the same are cut out
        of it (their lengths are in the packed sections), only the others' are unpacked (one
        changed unit: its groups, not every part's: ~0.02 s at 10,000 records). A file is used
        only while its page key says it was made from exactly the parts' sections of the last
        build, in this order, and its bytes are those written (statcheck, or size and CRC)."""
        old = []
        for name, _sealed in named:
            hit = self.store.search.get(name)
            if hit is None or len(hit) < 6 or hit[5] is None:
                return {}
            old.append((name, hit[5], hit[2]))  # (its digests and packed sections as last built)
        per, out, unpacked = max(1, nb // search.GROUPS), {}, {}
        for b in todo:
            path, g = search.gram_file(b), b - b % per
            was = [(name, digs[b]) for name, digs, _packed in old if b in digs]
            data = self._written(path, _gram_key(self.keys[ROOT], path, was))
            try:
                sizes = [dict(packed[g][1])[b] for _name, digs, packed in old if b in digs]
            except (KeyError, IndexError, TypeError):
                continue
            head = search.gram_head(b)
            if data is None or len(data) != len(head) + sum(sizes) + max(0, len(sizes) - 1) + len(search.GRAM_TAIL) \
                    or not data.startswith(head) or not data.endswith(search.GRAM_TAIL):
                continue
            cut, at = {}, len(head)
            for (name, dig), n in zip(was, sizes, strict=True):
                cut[name] = (dig, data[at:at + n])
                at += n + 1
            sections = []
            for i, (name, sealed) in enumerate(named):
                if b not in sealed:
                    continue
                same = cut.get(name)
                if same is not None and same[0] == sealed[b]:
                    sections.append(same[1])
                else:
                    if (i, g) not in unpacked:
                        unpacked[i, g] = search.unpack(parts[i].sections[g])
                    sections.append(unpacked[i, g][b])
            out[path] = search.gram_bytes(b, sections)
        return out

    def _written(self, path: str, key: str) -> bytes | None:
        """The bytes of the file at ``path`` the last build wrote with ``key``, when it is still
        as written (read from the site); None otherwise."""
        data = self.store.get(path, key)
        if data is None:
            return None
        self.store.linkable.discard(path)  # (its file is not this build's: never linked as it is)
        if isinstance(data, Kept):
            hit = self.store.pages.get(path)
            try:
                with open(os.path.join(self.store.site_dir or "", path), "rb") as f:
                    data = f.read()
            except OSError:
                return None
            if hit is None or len(data) != hit[2] or zlib.crc32(data) != hit[3]:
                return None
        return data

    def attachment(self, site: Site, path: str) -> bytes:
        """An attachment whose file has the size, mtime, inode and ctime it had when the last
        build copied it is left in the site (KEPT), not read."""
        return self.attachments(site, [path])[site.folder + attachment_file(path)]

    def attachments(self, site: Site, paths: list[str]) -> dict[str, bytes]:
        """attachment() of each of ``paths`` (~400 at 10,000 records, most kept: in one loop)."""
        status = getattr(site.inputs.attachments, "status", lambda path: None)
        folder, get, new_pages, out = site.folder, self.store.get, self.new_pages, {}
        for path in paths:
            st = status(path)
            target = folder + attachment_file(path)
            if st is None:
                out[target] = Pages.attachment(self, site, path)
                continue
            key = digest("attachment", path, st)
            data = get(target, key)
            if data is None:
                data = Pages.attachment(self, site, path)
            new_pages[target] = (key, data)
            out[target] = data
        return out

    def export_part(self, site: Site, us: UnitScore) -> tuple[str, list]:
        """Kept while the unit's page key is."""
        key = self.unit_keys.get(site.folder + unit_file(us.unit.slug))
        name = shard(site, us.unit.slug)
        hit = self.store.exports.get(name)
        if key is not None and hit is not None and hit[0] == key:
            text, row = hit[1], hit[2]
        else:
            text, row = super().export_part(site, us)
        if key is not None:
            self.new_exports[name] = (key, text, row)
        return text, row

    def export_files(self, site: Site) -> tuple[bytes, bytes]:
        """scores.json and scores.csv are kept while every unit's part of them is (each part
        while its unit page's key is: export_part), in the same order: the units' parts are
        then not even joined (~1 MB at 10,000 records)."""
        folder, units = site.folder, site.results.units
        names = [shard(site, us.unit.slug) for us in units]
        keys = [self.unit_keys.get(folder + unit_file(us.unit.slug)) for us in units]
        if not units or None in keys:
            return super().export_files(site)
        key = _joined(self.keys[folder], "exports", *chain.from_iterable(zip(names, keys, strict=True)))
        paths = (folder + exports.JSON_FILE, folder + exports.CSV_FILE)
        old, got = self.store.exports, self.store.get
        hits = [old.get(name) for name in names]
        made: tuple[Any, ...] = ()
        if all(hit is not None and hit[0] == k for hit, k in zip(hits, keys, strict=True)):
            made = tuple(got(path, key) for path in paths)
            if None not in made:
                self.new_exports.update(zip(names, hits, strict=True))
        if not made or None in made:
            made = super().export_files(site)
        for path, data in zip(paths, made, strict=True):
            self.new_pages[path] = (key, data)
        return made[0], made[1]

    def print_pdfs(self, site: Site, paths: list[str], files: dict[str, bytes]) -> dict[str, bytes]:
        """A PDF is kept while its print page's key and the engine's are; the others are made
        together (the engine may spread them over worker processes)."""
        engine, out, todo, keys = site.inputs.pdf, {}, [], {}
        for path in paths:
            target = pdf_of(path)
            keys[target] = key = digest(self.new_pages[path][0], engine.key)
            data = self.store.get(target, key)
            if data is None:
                todo.append(path)
            else:
                out[target] = data
        if todo:
            pages = {path: self._bytes(path, files[path]) for path in todo}
            css = site.folder + PRINT_CSS
            out.update(super().print_pdfs(site, todo, {**pages, css: self._bytes(css, files[css])}))
            self.store.rendered += len(todo)
        for target, data in out.items():
            self.new_pages[target] = (keys[target], data)
        return out

    def _bytes(self, path: str, data: bytes) -> bytes:
        """A file's bytes, read back from the site when the store left it there (KEPT)."""
        if isinstance(data, Kept):
            with open(os.path.join(self.store.site_dir or "", path), "rb") as f:
                return f.read()
        return data

    def end(self, files: dict[str, bytes]) -> None:
        self.run_meanwhile()  # (no page was rendered)
        self.settle()
        self.store.replace(self.new_pages)
        self.store.docs = self.new_docs
        self.store.keysets = self.new_keysets
        self.store.exports = self.new_exports
        self.store.search = self.new_search


def _page_path(folder: str) -> Callable[[Iterable[str]], Iterator[str]]:
    """ids -> folder + record_file(id) of each, by C-level maps when record_file puts a fixed
    text before and after the id (checked here; otherwise it is called for each)."""
    before, mark, after = record_file("\0").partition("\0")
    if mark and record_file("a/b") == before + "a/b" + after:
        before = folder + before
        return lambda ids: map("".join, zip(repeat(before), ids, repeat(after)))
    return lambda ids: (folder + record_file(rid) for rid in ids)


def _packed_alike(hit: tuple | None) -> bool:
    """A stored part compressed as this code compresses (search.PACKING): its groups and runs
    may be taken as they are."""
    return hit is not None and len(hit) > 7 and hit[7] == search.PACKING


def _groups(hit: tuple | None) -> Iterator[tuple[tuple[tuple[int, str], ...], bytes]]:
    """A stored part's groups of sections (search.pack), each with ((bucket, digest of its
    section), …): see search.packed_before."""
    if not _packed_alike(hit) or not hit[5]:
        return
    digests = hit[5]
    for data, sizes in hit[2].values():
        if all(b in digests for b, _n in sizes):
            yield tuple((b, digests[b]) for b, _n in sizes), data


def _section_digests(part: search.Part) -> dict[int, str]:
    """{bucket: digest of the part's section of that gram file} (its sections unpacked once,
    when the part is made; kept with it in the store)."""
    if part.digests is not None:
        return part.digests
    out: dict[int, str] = {}
    for packed in part.sections.values():
        for b, data in search.unpack(packed).items():
            out[b] = search.digest(bytes(data))
    return out

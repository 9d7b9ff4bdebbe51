"""A unit's part of the search index made again after a few of its rows changed: only the gram sections their runs touch.

A part's gram sections are a function of its rows' runs only (search.GramIndex): one record
changed, a handful of its runs are gained or lost, and only the items (a gram's entries) of the
grams of those runs differ. ``again`` makes those items again from the part's runs and keeps
every other item, and every other section, as the last build made it: the same bytes as
GramIndex.sections of all the rows (tests/test_regrams.py), in ~a fifth of its time for the
largest unit of the 10,000-record benchmark corpus (1,088 rows; see docs/benchmarks.md).

What an item depends on, and so when it is kept: the item of gram g lists, for each run that
has g in the order the runs were first seen, its field, its name, the places of g in it and
the rows it is in. A run whose rows are unchanged keeps its entry while its name does (a run's
name is the row it was first seen in and its hash, moved on past the hashes of the runs first
seen in that row before it: search.row_names), and the order of such runs among themselves
stays. So an item is kept unless one of its runs gained or lost a row, is new or gone, or was
renamed; those runs are found from the changed rows alone (their rows before are those of now
less the changed rows that gained them, plus those that lost them), the renamed ones among the
runs first seen, before or now, in the rows where those are first seen. The items of a section
are in the order their grams are first met in the runs joined (S): an item kept is placed by
the first place of its first entry, one made again by its first place in S.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from itertools import accumulate
from operator import itemgetter

from qsgen.site import search

# Rows that changed, at most, for the items to be made again (beyond, the runs of so many rows
# touch most sections: everything is made at once, GramIndex.sections).
MOST = 16


def again(name: str, nb: int, rows: list[str], before: list[str],
          packed: dict[int, tuple[bytes, tuple[tuple[int, int], ...]]], digests: dict[int, str]
          ) -> tuple[dict, dict[int, str]] | None:
    """(packed sections, their digests) of the part ``name`` of an index of ``nb`` gram files
    whose rows' runs are ``rows`` (search.GramIndex.rows), as make_part would make them, from
    ``packed`` and ``digests``, those of the same part when its rows' runs were ``before``;
    None when the rows are not as many, or too many of them changed, or the runs' names
    changed their base (search.name_base)."""
    if len(rows) != len(before) or not digests:
        return None
    changed = [k for k, (now, was) in enumerate(zip(rows, before, strict=True)) if now != was]
    if not changed:
        return dict(packed), dict(digests)
    if len(changed) > MOST:
        return None
    index = search.GramIndex(nb)
    index.rows = list(rows)
    keys, docs = index._runs()
    at = dict(zip(keys, range(len(keys)), strict=True))
    gained: dict[str, set[int]] = {}
    lost: dict[str, set[int]] = {}
    for k in changed:
        now, was = _split(rows[k]), _split(before[k])
        kept_now, kept_was = set(now), set(was)
        if [x for x in was if x in kept_now] != [x for x in now if x in kept_was]:
            return None  # (a row's runs it kept came in another order: their names may follow)
        for x in kept_was - kept_now:
            lost.setdefault(x, set()).add(k)
        for x in kept_now - kept_was:
            gained.setdefault(x, set()).add(k)
    was_in = {x: sorted(set(docs[at[x]] if x in at else ()) - gained.get(x, set()) | lost.get(x, set()))
              for x in gained.keys() | lost.keys()}  # the rows each run whose rows changed was in

    def first_was(x: str) -> int:
        return was_in[x][0] if x in was_in else docs[at[x]][0]

    first = list(map(itemgetter(0), docs))
    # the rows where those runs are first seen, before or now: their runs' names may differ
    moved = {f for x, d in was_in.items() for f in ((d[0],) if d else ())} | \
            {docs[at[x]][0] for x in was_in if x in at}
    counts = Counter(first)
    firsts_was = {f: [x for x in _split(before[f]) if first_was(x) == f] for f in moved}
    m = search.name_base(counts.values())
    if m != search.name_base([*(c for f, c in counts.items() if f not in moved),
                              *map(len, firsts_was.values())]):
        return None
    runs = list(map(itemgetter(slice(1, None)), keys))
    fields = list(map(int, map(itemgetter(0), keys)))
    names = search.GramIndex.names(runs, fields, first)
    touched = set(was_in)
    for f, xs in firsts_was.items():
        named = search.row_names(f, [zlib.crc32(x[1:].encode(), int(x[0])) for x in xs], m)
        touched.update(x for x, v in zip(xs, named, strict=True) if x in at and names[at[x]] != v)
    groups = nb // search.SLOTS
    labels: dict[int, set[str]] = {}  # bucket -> its grams the touched runs have (or had)
    for x in touched:
        text = x[1:]
        for label in {*(text[i:i + 2] for i in range(len(text) - 1)), text[-1]}:
            labels.setdefault(search.bucket_of(label, groups), set()).add(label)
    made = _Items(runs, fields, names, docs)
    per = max(1, nb // search.GROUPS)
    out, sums = dict(packed), dict(digests)
    for g in sorted({b - b % per for b in labels}):
        old = search.unpack(packed[g]) if g in packed else {}
        sections: dict[int, bytes | memoryview] = dict(old)  # (joined as they are; made again: read as bytes)
        for b in range(g, g + per):
            if b in labels:
                data = made.section(search.section_head(name), bytes(sections[b]) if b in sections else None, labels[b])
                sums.pop(b, None)
                if data is None:
                    sections.pop(b, None)
                else:
                    sections[b] = data
                    sums[b] = search.digest(data)
        found = [(b, sections[b]) for b in sorted(sections)]
        if found:
            out[g] = (search.compressor().compress(b"".join([data for _b, data in found])),
                      tuple((b, len(data)) for b, data in found))
        else:
            out.pop(g, None)
    return out, sums


def _split(runs: str) -> list[str]:
    """A row's runs (Row.runs): each led by its field's digit."""
    return runs.split(" ") if runs else []


class _Items:
    """The items of a part's gram sections made from its runs (in the order first seen), their
    fields, names and rows."""

    def __init__(self, runs: list[str], fields: list[int], names: list[int], docs: list[list[int]]) -> None:
        self.runs, self.fields, self.names, self.docs = runs, fields, names, docs
        self.text = " ".join(runs) + "  "  # S, as GramIndex.sections joins them
        self.starts = [0, *accumulate(map((1).__add__, map(len, runs)))][:-1]  # where each run is in S
        self._by_name: dict[int, int] | None = None

    def section(self, head: bytes, old: bytes | None, labels: set[str]) -> bytes | None:
        """The section (``head`` and its items) made from ``old``, the section as it was: the
        items of ``labels`` made again (those no run has any more left out), the others kept;
        None when no item is left."""
        items: list[tuple[int, bytes]] = []
        if old is not None:
            body = old[len(head):-1]
            pieces = body.split(b',"')  # (an item is "gram":[…]; no entry has a quote)
            for i, item in enumerate(pieces):
                item = item if i == 0 else b'"' + item
                label = item[1:item.index(b'":[')].decode()
                if label not in labels:
                    items.append((self._first(item), item))
        for label in labels:
            made = self._item(label)
            if made is not None:
                items.append(made)
        if not items:
            return None
        items.sort(key=lambda item: item[0])
        return b"%b%b}" % (head, b",".join([item for _at, item in items]))

    def _first(self, item: bytes) -> int:
        """Where in S the gram of a kept item is first met: the first place of its first entry
        ([field, name, [places], …]; a run's last character has no places: its end)."""
        if self._by_name is None:
            self._by_name = dict(zip(self.names, range(len(self.names)), strict=True))
        entry = item[item.index(b'":[[') + 4:]
        _field, name, rest = entry.split(b",", 2)
        k = self._by_name[int(name)]
        places = rest[1:rest.index(b"]")]
        return self.starts[k] + (int(places.split(b",", 1)[0]) if places else len(self.runs[k]) - 1)

    def _item(self, label: str) -> tuple[int, bytes] | None:
        """(where in S its gram is first met, the item) of the gram ``label`` (two characters)
        or of a run's last character (one: that character before a space in S); None when no
        run has it."""
        text, starts = self.text, self.starts
        seek = label if len(label) == 2 else label + " "
        p = text.find(seek)
        if p < 0:
            return None
        first, entries, k, places = p, [], -1, []
        while p >= 0:
            run = bisect_right(starts, p) - 1
            if run != k:
                if k >= 0:
                    entries.append(self._entry(k, places, len(label)))
                k, places = run, []
            places.append(p - starts[run])
            p = text.find(seek, p + 1)
        entries.append(self._entry(k, places, len(label)))
        return first, b'"%b":[%b]' % (label.encode(), b",".join(entries))

    def _entry(self, k: int, places: list[int], size: int) -> bytes:
        """A run's entry in an item (as GramIndex.sections writes it): [field, name, [places],
        [rows, delta-coded](, length if it is the whole title)]; a last character's has no places."""
        rows = self.docs[k]
        coded = b",".join([b"%d" % (n - p) for n, p in zip(rows, [0, *rows], strict=False)])
        where = b",".join([b"%d" % i for i in places]) if size == 2 else b""
        if self.fields[k] == search.WHOLE:
            return b"[%d,%d,[%b],[%b],%d]" % (self.fields[k], self.names[k], where, coded, len(self.runs[k]))
        return b"[%d,%d,[%b],[%b]]" % (self.fields[k], self.names[k], where, coded)


def remake(name: str, before: list[str], packed: dict, digests: dict[int, str], nb: int
           ) -> Callable[[int, list[str]], tuple[dict, dict[int, str]] | None]:
    """For search.made_again: ``again`` from the part as it was (its rows' runs ``before``, its
    ``packed`` sections and their ``digests``, for ``nb`` gram files)."""
    return lambda n, rows: again(name, n, rows, before, packed, digests) if n == nb else None

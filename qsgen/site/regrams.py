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

When no row is long enough for M to be other than 4096 (SHORT), nothing is worked out for all
the rows (_Local): where a run is first seen, the rows it is in and the runs first seen in a row
are looked for in the rows joined, and an item made again is its item as it was less the
entries of the touched runs, with their entries now put in by the order of S (a run's name
tells the row it is first seen in): the work grows with the rows changed and the runs they
touch, not with the unit (~5 against ~13 ms for the largest unit, 1,088 rows).
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left, bisect_right, insort
from collections import Counter, deque
from collections.abc import Callable
from functools import cmp_to_key
from itertools import accumulate, chain, compress, repeat

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
    if max(map(len, rows), default=0) < SHORT and all(len(before[k]) < SHORT for k in changed):
        return _Local(name, nb, rows, before, gained, lost).again(packed, digests)
    found = [row.split(" ") if row else [] for row in rows]
    seen: dict[str, int] = {}  # each run -> the row it is first seen in, in the order first seen
    _drain(map(seen.setdefault, chain.from_iterable(found),
               chain.from_iterable(map(repeat, range(len(found)), map(len, found)))))
    keys, first = list(seen), list(seen.values())  # (first: ascending)
    made = _Items(keys, found)
    # (the rows of those runs found with those of the runs the items of their grams have: one
    # pass over the rows, unless runs are renamed too)
    made.meet(set().union(*map(_labels, gained.keys() | lost.keys())), {x for x in gained.keys() | lost.keys() if x in seen})
    docs = made.docs
    was_in = {x: sorted(set(docs.get(x, ())) - gained.get(x, set()) | lost.get(x, set()))
              for x in gained.keys() | lost.keys()}  # the rows each run whose rows changed was in

    def first_was(x: str) -> int:
        return was_in[x][0] if x in was_in else seen[x]

    # the rows where those runs are first seen, before or now: their runs' names may differ
    moved = {f for x, d in was_in.items() for f in ((d[0],) if d else ())} | \
            {seen[x] for x in was_in if x in seen}
    counts = Counter(first)
    firsts_was = {f: [x for x in _split(before[f]) if first_was(x) == f] for f in moved}
    m = search.name_base(counts.values())
    if m != search.name_base([*(c for f, c in counts.items() if f not in moved),
                              *map(len, firsts_was.values())]):
        return None
    names = made.names = _Names(keys, first, m, seen)
    touched = set(was_in)
    for f, xs in firsts_was.items():
        named = search.row_names(f, [zlib.crc32(x[1:].encode(), int(x[0])) for x in xs], m)
        touched.update(x for x, v in zip(xs, named, strict=True) if x in seen and names.of(names.at(x)) != v)
    groups = nb // search.SLOTS
    labels: dict[int, set[str]] = {}  # bucket -> its grams the touched runs have (or had)
    for x in touched:
        for label in _labels(x):
            labels.setdefault(search.bucket_of(label, groups), set()).add(label)
    made.meet(set().union(*labels.values()))
    per = max(1, nb // search.GROUPS)
    return _repacked(labels, per, packed, digests,
                     lambda b, old: made.section(search.section_head(name), old, labels[b]))


def _repacked(labels: dict[int, set[str]], per: int, packed: dict, digests: dict[int, str],
              section: Callable[[int, bytes | None], bytes | None]) -> tuple[dict, dict[int, str]]:
    """(packed sections, their digests) with the sections of the buckets ``labels`` made again
    (``section``: of a bucket and its section as it was, None when it had none; None when no
    item is left) and their groups packed again; the other groups as they were."""
    out, sums = dict(packed), dict(digests)
    for g in sorted({b - b % per for b in labels}):
        old = search.unpack(packed[g]) if g in packed else {}
        sections: dict[int, bytes | memoryview] = dict(old)  # (joined as they are; made again: read as bytes)
        for b in range(g, g + per):
            if b in labels:
                data = section(b, bytes(sections[b]) if b in sections else None)
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


def _labels(run: str) -> set[str]:
    """The grams of a run (led by its field's digit) and its last character."""
    text = run[1:]
    return {*(text[i:i + 2] for i in range(len(text) - 1)), text[-1]}


def _split(runs: str) -> list[str]:
    """A row's runs (Row.runs): each led by its field's digit."""
    return runs.split(" ") if runs else []


class _Names:
    """The names of a part's runs (search.GramIndex.names), worked out only for the rows asked
    about: a run's name is a function of the runs first seen in the same row (``first``: the
    row each of ``keys`` is first seen in, ascending) and of M (``m``)."""

    def __init__(self, keys: list[str], first: list[int], m: int, seen: dict[str, int]) -> None:
        self.keys, self.first, self.m, self.seen = keys, first, m, seen
        self._rows: dict[int, tuple[int, list[int]]] = {}

    def _row(self, row: int) -> tuple[int, list[int]]:
        """(the first run first seen in ``row``, the names of those runs)."""
        hit = self._rows.get(row)
        if hit is None:
            lo, hi = bisect_left(self.first, row), bisect_right(self.first, row)
            hit = self._rows[row] = (lo, search.row_names(
                row, [zlib.crc32(x[1:].encode(), int(x[0])) for x in self.keys[lo:hi]], self.m))
        return hit

    def of(self, k: int) -> int:
        """The name of run ``k``."""
        lo, names = self._row(self.first[k])
        return names[k - lo]

    def at(self, key: str) -> int:
        """The number of the run ``key`` (one of ``keys``, first seen in row ``seen[key]``)."""
        row = self.seen[key]
        return self.keys.index(key, bisect_left(self.first, row), bisect_right(self.first, row))

    def run(self, name: int) -> int:
        """The number of the run named ``name``."""
        lo, names = self._row(name // self.m)
        return lo + names.index(name)


class _Items:
    """The items of a part's gram sections made from its runs (``keys``: each led by its
    field's digit, in the order first seen), their names (``names``, set before an item is
    made) and each row's runs (``found``): the grams met (meet) are looked for in S, and the
    rows of the runs they are in found in one pass over the rows."""

    def __init__(self, keys: list[str], found: list[list[str]]) -> None:
        self.keys, self.found = keys, found
        self.names: _Names | None = None
        self.runs = [x[1:] for x in keys]
        self.text = " ".join(self.runs) + "  "  # S, as GramIndex.sections joins them
        self.starts = [0, *accumulate(map((1).__add__, map(len, self.runs)))][:-1]  # where each run is in S
        self.met: dict[str, list[tuple[int, list[int]]]] = {}
        self.docs: dict[str, list[int]] = {}  # run -> the rows it is in, ascending

    def meet(self, labels: set[str], more: set[str] = frozenset()) -> None:
        """Find where the grams ``labels`` are met, and the rows of the runs they are met in
        and of the runs ``more``."""
        want = set(more)
        for label in labels - self.met.keys():
            hits = self.met[label] = self._met(label)
            want.update(self.keys[k] for k, _places in hits)
        self.docs.update(_rows_of(self.found, want - self.docs.keys()))

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
        entry = item[item.index(b'":[[') + 4:]
        _field, name, rest = entry.split(b",", 2)
        k = self.names.run(int(name))  # type: ignore[union-attr]
        places = rest[1:rest.index(b"]")]
        return self.starts[k] + (int(places.split(b",", 1)[0]) if places else len(self.runs[k]) - 1)

    def _met(self, label: str) -> list[tuple[int, list[int]]]:
        """Each run the gram ``label`` (two characters) or a run's last character (one: that
        character before a space in S) is met in, with its places there, in the order of S."""
        text, starts = self.text, self.starts
        seek = label if len(label) == 2 else label + " "
        out: list[tuple[int, list[int]]] = []
        p = text.find(seek)
        while p >= 0:
            run = bisect_right(starts, p) - 1
            if not out or out[-1][0] != run:
                out.append((run, []))
            out[-1][1].append(p - starts[run])
            p = text.find(seek, p + 1)
        return out

    def _item(self, label: str) -> tuple[int, bytes] | None:
        """(where in S its gram is first met, the item) of the gram ``label``; None when no run
        has it."""
        hits = self.met[label]
        if not hits:
            return None
        k, places = hits[0]
        entries = [self._entry(k, places, len(label)) for k, places in hits]
        return self.starts[k] + places[0], b'"%b":[%b]' % (label.encode(), b",".join(entries))

    def _entry(self, k: int, places: list[int], size: int) -> bytes:
        """A run's entry in an item (as GramIndex.sections writes it): [field, name, [places],
        [rows, delta-coded](, length if it is the whole title)]; a last character's has no places."""
        rows = self.docs[self.keys[k]]
        field = int(self.keys[k][0])
        coded = b",".join([b"%d" % (n - p) for n, p in zip(rows, [0, *rows], strict=False)])
        where = b",".join([b"%d" % i for i in places]) if size == 2 else b""
        if field == search.WHOLE:
            return b"[%d,%d,[%b],[%b],%d]" % (field, self.names.of(k), where, coded,  # type: ignore[union-attr]
                                              len(self.runs[k]))
        return b"[%d,%d,[%b],[%b]]" % (field, self.names.of(k), where, coded)  # type: ignore[union-attr]


def _rows_of(found: list[list[str]], want: set[str]) -> dict[str, list[int]]:
    """{run: the rows it is in, ascending} of the runs ``want``, from each row's runs ``found``."""
    out: dict[str, list[int]] = {}
    if not want:
        return out
    hits = list(map(want.intersection, found))
    for row in compress(range(len(hits)), hits):
        for x in hits[row]:
            out.setdefault(x, []).append(row)
    return out


_drain = deque(maxlen=0).extend  # runs an iterator to its end


def remake(name: str, before: list[str], packed: dict, digests: dict[int, str], nb: int
           ) -> Callable[[int, list[str]], tuple[dict, dict[int, str]] | None]:
    """For search.made_again: ``again`` from the part as it was (its rows' runs ``before``, its
    ``packed`` sections and their ``digests``, for ``nb`` gram files)."""
    return lambda n, rows: again(name, n, rows, before, packed, digests) if n == nb else None


# Rows shorter than this (in characters) have fewer than 2,048 runs (a run is a field's digit and
# at least one character, with a space after it): no row is first to see so many that M is more
# than 4096 (search.name_base), before or now; the runs are then looked for in the rows joined
# (_Local) rather than all the rows split.
SHORT = 6000
_M = 4096
_ENTRY = re.compile(rb"\[\d+,(\d+),\[[\d,]*\],\[[\d,]*\](?:,\d+)?\]")  # an entry of an item, its name


class _Local:
    """``again`` worked out from the runs that changed alone, when M is 4096 (SHORT): what it
    asks of the other rows (where a run is first seen, the rows it is in, the runs first seen
    in a row) looked for in the rows joined, T (" \\n run run \\n run … \\n "), not by splitting every
    row; the items of a gram made again from its item as it was, less the entries of the
    touched runs (those whose rows or names changed: their names before), with their entries
    now put in among the others by the order the runs are first seen (a run's name tells its
    row, a row's runs first seen there their order); an item's place in its section likewise."""

    def __init__(self, name: str, nb: int, rows: list[str], before: list[str],
                 gained: dict[str, set[int]], lost: dict[str, set[int]]) -> None:
        self.name, self.nb, self.rows, self.before = name, nb, rows, before
        self.gained, self.lost = gained, lost
        self.text = " \n ".join(["", *rows, ""])  # (one join: a str added to one this long is copied)
        self.begins = list(accumulate(map((3).__add__, map(len, rows)), initial=3))[:-1]  # where each row is in T
        self.tables: dict[int, tuple[list[str], list[int], dict[int, str]]] = {}
        self.index: dict[int, dict[int, int]] = {}

    def first(self, run: str) -> int | None:
        """The row ``run`` is first seen in now (None: in none)."""
        p = self.text.find(" " + run + " ")
        return None if p < 0 else bisect_right(self.begins, p + 1) - 1

    def rows_of(self, run: str) -> list[int]:
        """The rows ``run`` is in now, ascending."""
        text, begins, seek, out = self.text, self.begins, " " + run + " ", []
        p = text.find(seek)
        while p >= 0:
            row = bisect_right(begins, p + 1) - 1
            if not out or out[-1] != row:
                out.append(row)
            p = text.find(seek, p + 1)
        return out

    def table(self, row: int) -> tuple[list[str], list[int], dict[int, str]]:
        """(the runs first seen in ``row`` now, their names, {name: run})."""
        hit = self.tables.get(row)
        if hit is None:
            text, at = self.text, self.begins[row]
            runs = [x for x in dict.fromkeys(_split(self.rows[row])) if text.find(" " + x + " ", 0, at) < 0]
            names = search.row_names(row, [zlib.crc32(x[1:].encode(), int(x[0])) for x in runs], _M)
            hit = self.tables[row] = (runs, names, dict(zip(names, runs, strict=True)))
            self.index[row] = {v: i for i, v in enumerate(names)}
        return hit

    def order(self, a: int, b: int) -> int:
        """<0, 0, >0: the run named ``a`` first seen before, as, after the one named ``b``."""
        ra, rb = a // _M, b // _M
        if ra != rb:
            return ra - rb
        self.table(ra)
        index = self.index[ra]
        return index[a] - index[b]

    def place(self, at: tuple[int, int | None], to: tuple[int, int | None]) -> int:
        """<0, 0, >0: where in S a gram is first met, ``at`` (the name of its run, its place
        there; None: the run's end), before, at, after ``to``."""
        c = self.order(at[0], to[0])
        if c or at[1] == to[1]:
            return c
        n = len(self.table(at[0] // _M)[2][at[0]]) - 2  # (the end: the run's last character)
        return (n if at[1] is None else at[1]) - (n if to[1] is None else to[1])

    def again(self, packed: dict, digests: dict[int, str]) -> tuple[dict, dict[int, str]] | None:
        gained, lost, before = self.gained, self.lost, self.before
        now = {x: self.rows_of(x) for x in gained.keys() | lost.keys()}
        was_in = {x: sorted(set(d) - gained.get(x, set()) | lost.get(x, set())) for x, d in now.items()}

        def first_was(x: str) -> int | None:
            return was_in[x][0] if x in was_in else self.first(x)

        moved = {d[0] for d in was_in.values() if d} | {d[0] for d in now.values() if d}
        old: dict[str, int] = {}  # run -> its name before, of the runs first seen in those rows before
        for f in moved:
            xs = [x for x in dict.fromkeys(_split(before[f])) if first_was(x) == f]
            old.update(zip(xs, search.row_names(f, [zlib.crc32(x[1:].encode(), int(x[0])) for x in xs], _M),
                           strict=True))
        new: dict[str, int] = {}
        for f in moved:
            runs, names, _named = self.table(f)
            new.update(zip(runs, names, strict=True))
        touched = set(was_in) | {x for x, v in old.items() if x in new and new[x] != v}
        gone = {old[x] for x in touched if x in old}
        for x in touched - now.keys():
            now[x] = self.rows_of(x)
        groups = self.nb // search.SLOTS
        labels: dict[int, set[str]] = {}  # bucket -> its grams the touched runs have (or had)
        has: dict[str, list[str]] = {}  # gram -> the touched runs that have it now
        for x in touched:
            for label in _labels(x):
                labels.setdefault(search.bucket_of(label, groups), set()).add(label)
                if now[x]:
                    has.setdefault(label, []).append(x)
        head = search.section_head(self.name)
        by_name = cmp_to_key(self.order)
        by_place = cmp_to_key(self.place)

        def section(b: int, data: bytes | None) -> bytes | None:
            kept: list[tuple[tuple[int, int | None], bytes]] = []
            was: dict[str, bytes] = {}
            if data is not None:
                pieces = data[len(head):-1].split(b',"')  # (an item is "gram":[…]; no entry has a quote)
                for i, item in enumerate(pieces):
                    item = item if i == 0 else b'"' + item
                    label = item[1:item.index(b'":[')].decode()
                    if label in labels[b]:
                        was[label] = item
                    else:
                        kept.append((self._at(item, len(label)), item))
            for label in labels[b]:
                made = self._item(label, was.get(label), has.get(label, ()), now, new, gone, by_name)
                if made is not None:
                    insort(kept, made, key=lambda item: by_place(item[0]))
            return b"%b%b}" % (head, b",".join([item for _at, item in kept])) if kept else None

        return _repacked(labels, max(1, self.nb // search.GROUPS), packed, digests, section)

    @staticmethod
    def _at(item: bytes, size: int) -> tuple[int, int | None]:
        """(the name of its first entry's run, the first place of its gram there; None: the
        run's end) of an item whose gram is of ``size`` characters."""
        entry = item[item.index(b'":[[') + 4:]
        _field, name, rest = entry.split(b",", 2)
        return int(name), (int(rest[1:rest.index(b"]")].split(b",", 1)[0]) if size == 2 else None)

    def _item(self, label: str, was: bytes | None, runs: list[str] | tuple, now: dict[str, list[int]],
              new: dict[str, int], gone: set[int], by_name: Callable) -> tuple[tuple[int, int | None], bytes] | None:
        """(where its gram is first met, the item) of the gram ``label``, from its item as it was
        (``was``): the entries of the runs named ``gone`` left out, those of the touched
        ``runs`` that have it now put in; None when no run has it."""
        entries: list[tuple[int, bytes]] = []
        if was is not None:
            body = was[was.index(b'":[') + 3:-1]
            entries = [(n, e) for n, e in zip(map(int, _ENTRY.findall(body)), _ENTRY_ALL(body), strict=True)
                       if n not in gone]
        size = len(label)
        for x in runs:
            text, field, name, rows = x[1:], int(x[0]), new[x], now[x]
            where = b""
            if size == 2:
                places, p = [], text.find(label)
                while p >= 0:
                    places.append(p)
                    p = text.find(label, p + 1)
                where = b",".join([b"%d" % i for i in places])
            coded = b",".join([b"%d" % (n - p) for n, p in zip(rows, [0, *rows], strict=False)])
            entry = (b"[%d,%d,[%b],[%b],%d]" % (field, name, where, coded, len(text)) if field == search.WHOLE
                     else b"[%d,%d,[%b],[%b]]" % (field, name, where, coded))
            insort(entries, (name, entry), key=lambda e: by_name(e[0]))
        if not entries:
            return None
        item = b'"%b":[%b]' % (label.encode(), b",".join([e for _n, e in entries]))
        return self._at(item, size), item


def _ENTRY_ALL(body: bytes) -> list[bytes]:
    """The entries of an item's body, whole."""
    return [m.group(0) for m in _ENTRY.finditer(body)]

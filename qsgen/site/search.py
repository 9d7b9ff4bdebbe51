"""Static search for Chinese, no server: a small client and an index cut into many small .js files, of which a query loads only those it needs.

A document (a unit, a record, a year's rules) has a url, a title, a kind, a unit and a text
(its fields and the start of its body, TEXT_LIMIT characters). A query is cut into terms at
spaces and punctuation; a document matches when every term is a substring of its title, unit,
kind, URL slug or text (NFKC, lower case); results are ranked by where the terms occur (title
24 when it is the whole title, else 8; unit 4; kind 2; slug 2; text 1), ties in the order the
documents were given; the excerpt is cut around the first hit. Exact for Chinese without word
segmentation, for case numbers, slugs and item ids.

Why not Pagefind: it loads its index and WebAssembly with fetch(), which browsers refuse on
file:// pages; its extended binary took 9.5 s and wrote 42 MB for 10,000 records.

Cost: the gram index is Python work per distinct run of a part (per row a run is in and per gram
of a run only map()s over whole lists), about 0.4 s of CPU for the 10,000-record benchmark corpus
and 0.05 s to compress its sections (Zstandard) until the gram files are put together (1.35 s in
all before issue 21; a per-record bigram table took 1.5 s and was not exact, one with positions
16 s), and each row's runs, found with the row (by the render workers, about 18 µs a row): the
price of a query loading about 0.5 MB instead of every row (8.5 MB at 10,000 records, 43 MB at
50,000); see docs/benchmarks.md.

The index (format 4; issue 19: a phone must not download every record's text for one query)
    search/index.js          ``window.QSGEN_SEARCH_INDEX={...}``: the kinds and units tables,
                             the rows of the units' and rules' documents (few: searched as
                             they are), and per part (a unit's records of a year) its name, its
                             number of rows and its rows' kind and unit numbers (run-length)
    search/parts/<name>/<k>.js   the rows of a part, BLOCK per file (title, url, text):
                             loaded only for the results shown
    search/grams/<b>.js      the gram index, cut into ``buckets`` files
    search/search.js         the client, no dependencies
Every file is a script that assigns to a global (loaded with <script>, never fetch(), so that
the site searches from file:// too).

The gram index. A term has no spaces or punctuation, so where it matches a document's title,
slug or text it lies inside one *run*: a longest piece of letters and digits of that field (a
row keeps its own: Row.runs). Each part's runs are collected (distinct runs, each with the
part's rows it is in, per field: title, whole title, slug, text); each run is filed under
every 2-character gram it contains (with the positions of that gram in the run) and under its
last character. A file ``grams/<b>.js`` holds, per part with grams in bucket b, ``{"<part>":
{gram: [[field, run, [positions], [row numbers in the part, delta-coded](, run length if the
whole title)], …]}}``.
A term of n >= 2 characters needs the files of its n-1 grams: a run holds the term exactly
when its grams follow each other at p, p+1, …; the term's rows are those of its runs. A term
of one character c needs the SLOTS files of c's group (every gram starting with c, and c as a
last character): 1/(buckets/SLOTS) of the gram index. The bucket of a gram ab is (a mod G) *
SLOTS + (b mod SLOTS), of a character c (c mod G) * SLOTS + (c mod SLOTS), with G = buckets /
SLOTS and a, b, c code points. A run is named by the row it was first seen in and a hash of
its text, within its part. The kind and unit of a part's rows are matched against the tables
in index.js. A part's row files and sections are a function of its rows, the tables and the
number of buckets: an incremental build keeps them while the unit's records' pages are kept,
and writes again only the gram files whose bytes changed.

So a query for 知识产权 on a 50,000-record site loads index.js, search.js, three gram files
and the row files of the results it shows, not 42 MB of rows (docs/benchmarks.md, search).
The text of the runs is normalised in Python (unicodedata, str.lower) as the client does in
JavaScript (String.normalize, toLowerCase); letters and digits are Unicode categories L and N
on both sides (re's [^\\W_]). A character Python and the browser classify differently (a
Unicode version apart) could only be missed.

What the search page must contain (made by site.py / site_templates/search.html)
    <input id="search-input">            the query box (``id="q"`` is accepted too); its
                                         form, if any, is handled in place
    <ol id="search-results">             results go here (``id="results"`` accepted too)
    <p id="search-status">               optional: "找到 N 条结果" and similar
    <script src="{p}search/index.js"></script>
    <script src="{p}search/search.js"></script>
    where ``{p}`` is the page's relative prefix to the site root ("" or "../", never "/").
    Result links are ``{p}`` + the document's url. The prefix is taken from the
    ``data-root`` attribute of the search.js <script> if present, else from its own src
    (everything before "search/search.js"), so the same files work from a sub-path and as
    files. If index.js was not included, search.js loads it from the same prefix with a
    <script> element; the gram and row files a query needs are loaded the same way, and the
    status says the index is loading until they are there ("搜索索引载入失败。" if one fails).
    The query is read from ``?q=`` on load and kept there while typing.
    Each result: <li class="search-result"><a href=…>title</a> <span class="search-kind">kind</span>
    <span class="search-unit">unit</span> <p class="search-excerpt">…<mark>hit</mark>…</p></li>;
    built with DOM calls and textContent, never innerHTML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import operator
import re
import sys
import threading
import unicodedata
import zlib
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, groupby, repeat
from pathlib import Path

import zstandard

from qsgen.core import lazyre
from qsgen.core.background import Background
from qsgen.core.errors import QsgenError

TEXT_LIMIT = 300  # characters of a document's text (whitespace collapsed) that are searched
INDEX_FILE = "search/index.js"
CLIENT_FILE = "search/search.js"
PARTS_DIR = "search/parts/"
GRAMS_DIR = "search/grams/"
FORMAT_VERSION = 4
BLOCK = 16  # rows per file of a part (the results shown load the files they are in)
SLOTS = 16  # gram files per group (a one-character term loads one group)

_RUN = lazyre.compile(r"[^\W_]+")  # letters and digits (Unicode L and N), as the client's terms
_WORD = re.compile(r"\w+")  # the same but for "_" (and faster)


def buckets(docs: int) -> int:
    """How many gram files an index of ``docs`` documents is cut into (a power of two: each
    about 1/B of the gram index; bounded)."""
    return 64 if docs < 2000 else 256 if docs < 20000 else 1024


def part_file(name: str, block: int = 0) -> str:
    """The site path of block ``block`` of a part's rows."""
    if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name):
        raise QsgenError(f"搜索索引分片的名称只能用字母、数字、- 和 _：{name!r}")
    return f"{PARTS_DIR}{name}/{block}.js"


def gram_file(bucket: int) -> str:
    return f"{GRAMS_DIR}{bucket}.js"


@dataclass(frozen=True)
class SearchDoc:
    """A document of the search index (a unit, a record, a year's rules)."""

    url: str  # relative to the site root, e.g. "records/longgang/case-1.html"; never "/..."
    title: str
    kind: str  # Chinese label shown with the result: 单位, 案件, 信息报道, 规则 …
    unit: str  # Chinese unit name ("" when none)
    text: str  # plain text; whitespace collapsed and cut to TEXT_LIMIT characters here
    # A record's body as plain text, searched after ``text`` (joined by " ｜ "). Kept apart so
    # that the document shares the site's copy of the text instead of holding a second one.
    body: str | None = None

    def full_text(self) -> str:
        """What is searched: ``text``, then the body (only as much as can be searched)."""
        if self.body is None:
            return self.text
        return self.text + " ｜ " + self.body[: TEXT_LIMIT * 2]


def _check_url(url: str) -> None:
    first = url.split("/", 1)[0]
    if not url or url.startswith("/") or "\\" in url or ":" in first or ".." in url.split("/"):
        raise QsgenError(f"搜索索引中的链接须是相对于站点根目录的路径：{url!r}")


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # (json.dumps with these, less its set-up)


def _js_json(value) -> str:
    text = _JSON(value)
    # Line separators are fine in JSON but were not in older JS string literals.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _js_str(text: str) -> str:
    """_js_json of a str (what the encoder does with one, without its Python-level call)."""
    return _STR_JSON(text).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_STR_JSON = json.encoder.encode_basestring  # (the C encoder's, as JSONEncoder(ensure_ascii=False) uses)


@dataclass(slots=True)
class Row:
    """A document as the index writes it, less its kind and unit numbers (which depend on the
    other documents): the costly part of a row, which cache.py keeps between builds. The JSON
    is kept as UTF-8 bytes, so that neither keeping nor joining rows decodes or encodes text.
    Slotted and pickled as a tuple (one is kept per record: no dict each).

    Its runs (see runs()) stay in the process that made it (the render worker that also makes
    its unit's part of the index) until its part is made, which takes them (``runs`` None
    after): the gram index is made without reading the JSON back, and neither the rows sent
    to the main process and kept to the end of the build nor those kept between builds hold
    them (40 MB at 50,000 records). A row without them (pickled, or its part made already)
    gets them from its JSON: row_runs(). Rows are equal whatever their runs."""

    url: str
    kind: str
    unit: str
    head: bytes  # the JSON of url and title: "records/…","标题"
    text: bytes  # the JSON of the searched text
    runs: str | None = field(default=None, compare=False)  # see runs(); None: not kept

    def __reduce__(self):
        return (_row, (self.url, self.kind, self.unit, self.head, self.text))


def _row(url: str, kind: str, unit: str, head: bytes, text: bytes) -> Row:
    """A Row unpickled (without its runs): its kind and unit shared with every other row's
    (one row per record)."""
    return Row(url, sys.intern(kind), sys.intern(unit), head, text)


def row(d: SearchDoc) -> Row:
    """The index row of one document (url checked, title and text normalised)."""
    return row_of(d.url, d.title, d.kind, d.unit, d.text, d.body)


def row_of(url: str, title: str, kind: str, unit: str, text: str, body: str | None = None) -> Row:
    """row(SearchDoc(url, title, kind, unit, text, body)), without making the SearchDoc."""
    _check_url(url)
    title, text = " ".join(title.split()), _searched_text(text, body)
    # (the JSON of [url, title] less its brackets: each str is encoded alone the same)
    head = _js_str(url) + "," + _js_str(title)
    return Row(url, kind, unit, head.encode("utf-8"), _js_str(text).encode("utf-8"), runs(url, title, text))


def row_runs(r: Row) -> str:
    """A row's runs, from its JSON if it has them no more."""
    return r.runs if r.runs is not None else runs(*json.loads(b"[%s,%s]" % (r.head, r.text)))


def runs(url: str, title: str, text: str) -> str:
    """The distinct runs of a row's title, slug and text (normalised), each led by its field's
    digit (TITLE, WHOLE, SLUG, TEXT), joined by spaces: "1标题 2records 2case 3正文 …" ("" when
    none). A run has no spaces: it is letters and digits."""
    title = normalise(title)
    found = _runs(title)
    out = []
    if found:
        out.append("1" + title if len(found) == 1 and found[0] == title else "0" + " 0".join(dict.fromkeys(found)))
    found = _runs(normalise(slug_words(url) if "index" in url or "#" in url or "?" in url else url.removesuffix(".html")))
    if found:  # (without those, the runs of the URL less .html are those of its slug words)
        out.append("2" + " 2".join(dict.fromkeys(found)))
    found = _runs(normalise(text))
    if found:
        out.append("3" + " 3".join(dict.fromkeys(found)))
    return " ".join(out)


def _title(d: SearchDoc) -> str:
    return " ".join(d.title.split())


def _searched(d: SearchDoc) -> str:
    """The text the index holds: whitespace collapsed, cut to TEXT_LIMIT characters."""
    return _searched_text(d.text, d.body)


def _searched_text(text: str, body: str | None) -> str:
    """_searched of a SearchDoc of ``text`` and ``body`` (its full_text, collapsed and cut)."""
    full = text if body is None else text + " ｜ " + body[: TEXT_LIMIT * 2]
    return " ".join(full[: TEXT_LIMIT * 2].split())[:TEXT_LIMIT]


def as_rows(docs: Iterable[SearchDoc | Row]) -> list[Row]:
    return [d if isinstance(d, Row) else row(d) for d in docs]


def tables(rows: Iterable[Row]) -> tuple[list[str], list[str]]:
    """The index's sorted kinds and units; a URL given twice is an error."""
    seen: set[str] = set()
    kinds, units = set(), set()
    for r in rows:
        if r.url in seen:
            raise QsgenError(f"搜索索引中同一链接出现了两次：{r.url}")
        seen.add(r.url)
        kinds.add(r.kind)
        units.add(r.unit)
    return sorted(kinds), sorted(units)


def build_index(docs: list[SearchDoc | Row], parts: list[tuple[str, list[SearchDoc | Row]]] = (),
                tail: list[SearchDoc | Row] = ()) -> dict[str, bytes]:
    """Every file of the search (index.js, the parts' row files, the gram files, search.js)
    for the documents ``docs``, then each part's, then ``tail``, in that order."""
    head, tail_rows = as_rows(docs), as_rows(tail)
    part_rows = [(name, as_rows(ds)) for name, ds in parts]
    kinds, units = tables([*head, *(r for _n, rs in part_rows for r in rs), *tail_rows])
    nb = buckets(sum(len(rs) for _n, rs in part_rows))
    files: dict[str, bytes] = {}
    made = []
    for name, rs in part_rows:
        part = make_part(name, rs, kinds, units, nb)
        files.update(part.files)
        made.append(part)
    files.update(index_files(kinds, units, head, made, tail_rows, nb))
    files[CLIENT_FILE] = CLIENT_JS.encode("utf-8")
    return files


@dataclass
class Part:
    """What a part (a unit's records of a year) adds to the index: its entry in index.js
    ([name, rows, [[kind, unit, how many], …]]), its row files and its section of each gram
    file it has grams in (packed: see pack()); a function of its rows, the tables and the
    number of buckets only, so that an unchanged part is kept whole."""

    meta: list
    files: dict[str, bytes]
    sections: dict[int, tuple[bytes, tuple[tuple[int, int], ...]]]
    # its rows' urls (a frozenset; as the page store keeps it, a tuple of the same, no two alike)
    urls: frozenset[str] | tuple[str, ...] = frozenset()
    # {bucket: digest() of the part's section of that gram file}, when made with the part (the
    # page store keys gram files by them); None: worked out from the packed sections
    digests: dict[int, str] | None = None
    # its rows' runs (Row.runs), one line each in the rows' order, compressed (as pack()): kept by the page
    # store, so that the part made again after one of its records changed does not work out
    # the runs of every other row from its JSON (row_runs: ~25 µs a row); see runs_of()
    runs: bytes | None = None


def make_part(name: str, rows: list[Row], kinds: list[str], units: list[str], nb: int) -> Part:
    part_file(name)
    kind_no = {k: i for i, k in enumerate(kinds)}
    unit_no = {u: i for i, u in enumerate(units)}
    files = {}
    for k in range(0, len(rows), BLOCK):
        files[part_file(name, k // BLOCK)] = block_file(name, k // BLOCK, kind_no, unit_no, rows[k:k + BLOCK])
    grams = GramIndex(nb)
    urls: set[str] = set()
    for r in rows:
        if r.url in urls:
            raise QsgenError(f"搜索索引中同一链接出现了两次：{r.url}")
        urls.add(r.url)
        grams.add(r)
    again = _AGAIN.get(name)
    made = again(nb, grams.rows) if again is not None else None
    if made is not None:  # (only the sections its changed rows touch made again: see made_again)
        packed, digests = made
    else:
        sections = dict(grams.sections(name))
        digests = {b: digest(data) for b, data in sections.items()}
        packed = pack(sections, nb, digests)
    return Part([name, len(rows), _runs_of_kinds(rows, kind_no, unit_no)], files, packed,
                frozenset(urls), digests, runs_blob(grams.rows))


def block_file(name: str, block: int, kind_no: dict[str, int], unit_no: dict[str, int], rows: list[Row]) -> bytes:
    """The row file of block ``block`` of the part ``name`` (at part_file(name, block)): its
    ``rows``, BLOCK of them (fewer in the last)."""
    return b"".join(_block_pieces(f"{name}/{block}", kind_no, unit_no, rows))


def kinds_again(runs: list[list[int]], changed: dict[int, tuple[int, int]]) -> list[list[int]]:
    """A part's [[kind number, unit number, how many rows in a row], …] (Part.meta[2]) after the
    rows ``changed`` ({row: (its kind number, its unit number)}) changed."""
    each = [(k, u) for k, u, n in runs for _ in range(n)]
    for i, pair in changed.items():
        each[i] = pair
    out: list[list[int]] = []
    for (k, u), same in groupby(each):
        out.append([k, u, len(list(same))])
    return out


# A part made again after some of its rows changed: the page store may put here, by the part's
# name, how to make its packed sections and their digests from the last build's (what pack()
# and the digests of make_part would be): again(nb, each row's runs) -> (packed, digests), or
# None to make them all (site/regrams.py; pages.CachedPages.search_part).
_AGAIN: dict[str, Callable[[int, list[str]], tuple[dict, dict[int, str]] | None]] = {}


@contextlib.contextmanager
def made_again(name: str, again: Callable[[int, list[str]], tuple[dict, dict[int, str]] | None] | None
               ) -> Iterator[None]:
    """make_part of the part ``name`` takes its packed sections from ``again`` (when not None)."""
    if again is not None:
        _AGAIN[name] = again
    try:
        yield
    finally:
        _AGAIN.pop(name, None)


def runs_blob(runs: list[str]) -> bytes:
    """A part's Part.runs: its rows' ``runs``, a line each, in UTF-16 (CJK text: a quarter of
    the time UTF-8 takes to encode and decode, and no bigger compressed), compressed."""
    return compressor().compress("\n".join(runs).encode("utf-16-le", "surrogatepass"))


def runs_of(blob: bytes, count: int) -> list[str] | None:
    """The runs of a part's ``count`` rows from its Part.runs (runs_blob; None when they are
    not so many, or it cannot be read)."""
    try:
        runs = decompressor().decompress(blob).decode("utf-16-le", "surrogatepass").split("\n") if count else []
    except (zstandard.ZstdError, UnicodeDecodeError, TypeError):
        return None
    return runs if len(runs) == count else None


GROUPS = 16  # a part's gram sections are compressed in so many pieces (nb / GROUPS buckets each)
# How pack() and Part.runs compress: kept with what the page store keeps of a part, whose bytes
# are taken as they are (packed_before, runs_of) only while it is the same.
PACKING = "zstd-1 utf-16"


# Groups of sections compressed before, by their buckets and sections' digests: while a part is
# made again (one of its records changed), the page store puts its groups of the last build here
# (packed_before), and pack() compresses only the groups whose sections changed.
_PACKED: dict[tuple[tuple[int, str], ...], bytes] = {}


@contextlib.contextmanager
def packed_before(groups: Iterable[tuple[tuple[tuple[int, str], ...], bytes]]) -> Iterator[None]:
    """pack() takes the compressed bytes of a group whose ((bucket, digest of its section), …) is
    one of ``groups`` as they are (the same sections compress to the same bytes)."""
    _PACKED.update(groups)
    try:
        yield
    finally:
        _PACKED.clear()


def pack(sections: dict[int, bytes], nb: int,
         digests: dict[int, str] | None = None) -> dict[int, tuple[bytes, tuple[tuple[int, int], ...]]]:
    """A part's gram sections ({bucket: bytes}) as held until the gram files are put together:
    {first bucket of a group: (the group's sections, compressed, ((bucket, length), …))}.

    Compressed: at 50,000 records the sections are 66 MB, which every part's would otherwise
    hold in memory to the end of the build; at 10,000, 16 MB, held at the build's peak while
    the workers (which make the parts) render. Compressed by group, one Zstandard frame each
    (level 1: 0.05 s at 10,000 records, 4.2 MB; zlib at level 1 took 0.15 s for 5.5 MB, and
    0.07 s more to take apart in the main process at the end of the build), and taken apart
    by group (index_files): 1/GROUPS of them in memory at a time."""
    per, out = max(1, nb // GROUPS), {}
    squeeze = compressor().compress
    for g in range(0, nb, per):
        found = [(b, sections[b]) for b in range(g, g + per) if b in sections]
        if found:
            kept = _PACKED.get(tuple((b, digests[b]) for b, _data in found)) if _PACKED and digests else None
            out[g] = (kept if kept is not None else squeeze(b"".join([data for _b, data in found])),
                      tuple((b, len(data)) for b, data in found))
    return out


def unpack(packed: tuple[bytes, tuple[tuple[int, int], ...]]) -> dict[int, memoryview]:
    """The sections of one group of pack(): {bucket: its bytes}."""
    data, sizes = packed
    view, out, at = memoryview(decompressor().decompress(data)), {}, 0
    for b, n in sizes:
        out[b] = view[at:at + n]
        at += n
    return out


_CODECS = threading.local()  # (a Zstandard context is for one thread at a time)


def compressor() -> zstandard.ZstdCompressor:
    """This thread's Zstandard compressor, level 1 (the index's sections and runs, packed search rows)."""
    try:
        return _CODECS.compressor
    except AttributeError:
        _CODECS.compressor = zstandard.ZstdCompressor(level=1)
        return _CODECS.compressor


def decompressor() -> zstandard.ZstdDecompressor:
    """This thread's Zstandard decompressor."""
    try:
        return _CODECS.decompressor
    except AttributeError:
        _CODECS.decompressor = zstandard.ZstdDecompressor()
        return _CODECS.decompressor


def index_files(kinds: list[str], units: list[str], head: list[Row], parts: list[Part], tail: list[Row],
                nb: int) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of index.js and of every gram file (each the sections of the parts that
    have grams in it, in the parts' order)."""
    seen = {r.url for r in [*head, *tail]}
    if len(seen) < len(head) + len(tail):
        tables([*head, *tail])  # (says which)
    for i, part in enumerate(parts):
        count = len(seen)
        seen.update(part.urls)
        if len(seen) != count + len(part.urls):  # (one of them seen before: which, said again)
            twice = {r.url for r in [*head, *tail]}.union(*(p.urls for p in parts[:i])).intersection(part.urls)
            if twice:
                raise QsgenError(f"搜索索引中同一链接出现了两次：{min(twice)}")
    yield INDEX_FILE, b"".join(_index_pieces(kinds, units, head, [p.meta for p in parts], tail, nb))
    per = max(1, nb // GROUPS)
    # (each group's sections decompressed on a thread, the next while this one's files are
    # put together: Zstandard works without the interpreter lock; at the end of a clean
    # build this process works alone, and ~1/4 of what it does for the gram files is that)
    # (not for a few groups, as after one change, where most gram files are kept: no thread)
    starts = range(0, nb, per)
    ahead = Background() if sum(len(p.sections) for p in parts) > 2 * len(parts) else None
    later = ahead.later if ahead is not None else lambda call, *args: lambda: call(*args)
    groups = [later(_unpacked, parts, g) for g in starts[:2]]
    try:
        for k, g in enumerate(starts):
            if k + 2 < len(starts):
                groups.append(later(_unpacked, parts, starts[k + 2]))
            found = groups[k]()
            groups[k] = None
            for b in range(g, min(g + per, nb)):
                yield gram_file(b), gram_bytes(b, [s[b] for s in found if b in s])
    finally:
        if ahead is not None:
            with contextlib.suppress(Exception):
                ahead.wait()  # (the thread ends; an error was raised by the group that had it)


def _unpacked(parts: list[Part], g: int) -> list[dict[int, memoryview]]:
    """The sections of the group ``g`` of each of ``parts`` that has one (unpack)."""
    return [unpack(p.sections[g]) for p in parts if g in p.sections]


GRAM_TAIL = b"};\n"


def gram_head(b: int) -> bytes:
    """What the gram file of bucket ``b`` starts with (its sections follow, joined by commas, then GRAM_TAIL)."""
    return b"(window.QSGEN_SEARCH_GRAMS=window.QSGEN_SEARCH_GRAMS||{})[%d]={" % b


def gram_bytes(b: int, sections: list) -> bytes:
    """The gram file of bucket ``b``: the parts' ``sections`` of it, in the parts' order."""
    return b"".join([gram_head(b), b",".join(sections), GRAM_TAIL])


def _runs_of_kinds(rows: list[Row], kind_no: dict[str, int], unit_no: dict[str, int]) -> list[list[int]]:
    """[[kind number, unit number, how many rows in a row], …] of a part's rows."""
    out: list[list[int]] = []
    try:
        for r in rows:
            k, u = kind_no[r.kind], unit_no[r.unit]
            if out and out[-1][0] == k and out[-1][1] == u:
                out[-1][2] += 1
            else:
                out.append([k, u, 1])
    except KeyError as e:
        raise QsgenError(f"搜索索引的类别表或单位表里没有“{e.args[0]}”") from None
    return out


def _row_pieces(kind_no: dict[str, int], unit_no: dict[str, int], rows: Iterable[Row]) -> Iterator[bytes]:
    """The JSON array of ``rows`` as UTF-8 pieces, one per row."""
    sep = b"[["
    try:
        for r in rows:
            yield b"%s%s,%d,%d,%s]" % (sep, r.head, kind_no[r.kind], unit_no[r.unit], r.text)
            sep = b",["
    except KeyError as e:
        raise QsgenError(f"搜索索引的类别表或单位表里没有“{e.args[0]}”") from None
    yield b"[]" if sep == b"[[" else b"]"


def _index_pieces(kinds: list[str], units: list[str], head: list[Row], meta: list, tail: list[Row],
                  nb: int) -> Iterator[bytes]:
    kind_no = {k: i for i, k in enumerate(kinds)}
    unit_no = {u: i for i, u in enumerate(units)}
    yield (f'window.QSGEN_SEARCH_INDEX={{"v":{FORMAT_VERSION},"kinds":{_js_json(list(kinds))},'
           f'"units":{_js_json(list(units))},"docs":').encode()
    yield from _row_pieces(kind_no, unit_no, head)
    yield f',"parts":{_js_json(meta)},"tail":'.encode()
    yield from _row_pieces(kind_no, unit_no, tail)
    yield f',"buckets":{nb},"slots":{SLOTS},"block":{BLOCK}}};\n'.encode()


def _block_pieces(key: str, kind_no: dict[str, int], unit_no: dict[str, int], rows: list[Row]) -> Iterator[bytes]:
    yield f"(window.QSGEN_SEARCH_ROWS=window.QSGEN_SEARCH_ROWS||{{}})[{_js_json(key)}]=".encode()
    yield from _row_pieces(kind_no, unit_no, rows)
    yield b";\n"


def _runs(text: str) -> list[str]:
    """The runs of ``text`` (normalised): its longest pieces of letters and digits, as _RUN.findall().

    The regular expression takes ~250 instructions a character (it looks up each one's Unicode
    category), most of what a row costs. In a URL and in longer text the separators common in
    them are replaced by spaces (neither is a letter or digit) and the text is split at
    whitespace; when every piece is then letters and digits (str.isalnum(): categories L and N,
    as \\w less "_"), those are the runs, else the pieces that are not are cut by _RUN."""
    if text.isascii():  # (a URL)
        found = text.replace("/", " ").replace("-", " ").split()
        return found if "".join(found).isalnum() else _RUN.findall(text)
    if len(text) < 64:  # (a title: each replace() below costs a call)
        return (_RUN if "_" in text else _WORD).findall(text)
    for c in _SEPARATORS:
        text = text.replace(c, " ")  # (the same str when c is not in it)
    found = text.split()
    if "".join(found).isalnum():
        return found
    return [run for piece in found for run in ((piece,) if piece.isalnum() else _RUN.findall(piece))]


# Neither letters nor digits, and common in what is searched once normalised (full-width forms
# are ASCII then): each costs one scan of the text, found or not.
_SEPARATORS = ",。、:·“”-|();.〔〕《》%/+!?"


def normalise(text: str) -> str:
    """As the client's normalise(): NFKC, lower case."""
    if not unicodedata.is_normalized("NFKC", text):  # (a quick check, stopping at the first)
        # Most Chinese text is NFKC but for its full-width punctuation: with those replaced by
        # their NFKC (one ASCII character each, so the NFKC of the whole is the same), it
        # usually is, and the check says so faster than normalize() would make it.
        plain = text
        for wide, narrow in _WIDE:
            plain = plain.replace(wide, narrow)
        text = plain if unicodedata.is_normalized("NFKC", plain) else unicodedata.normalize("NFKC", text)
    return text.lower()


_WIDE = [(c, unicodedata.normalize("NFKC", c)) for c in "，：；（）｜！？"]  # full-width -> ASCII


def slug_words(url: str) -> str:
    """As the client's slugWords(): the URL's path segments without .html and index."""
    path = url.split("#")[0].split("?")[0]
    path = path[:-5] if path.endswith(".html") else path
    return " ".join(p for p in path.split("/") if p and p != "index")


TITLE, WHOLE, SLUG, TEXT = 0, 1, 2, 3  # the fields of a run (WHOLE: the run is the whole title)


def section_head(name: str) -> bytes:
    """What the part ``name``'s section of a gram file starts with (its items follow, joined by
    commas, then "}")."""
    return _js_json(name).encode() + b":{"


def bucket_of(label: str, groups: int) -> int:
    """The gram file of a gram (two characters) or of a run's last character (one), for an
    index of ``groups`` * SLOTS gram files."""
    return (ord(label[0]) % groups) * SLOTS + ord(label[-1]) % SLOTS


def name_base(counts: Iterable[int]) -> int:
    """M of the run names (GramIndex.names): 4096, or the power of two at least twice the
    most runs first seen in one row (``counts``: how many runs each row was first to have)."""
    m, most = 4096, max(counts, default=0)
    while m < 2 * most:
        m *= 2
    return m


def row_names(row: int, hashes: Iterable[int], m: int) -> list[int]:
    """The names of the runs first seen in ``row`` (``hashes``: of their fields and texts, in
    their order): row * m plus each one's hash below m, or the next free one after it."""
    used: set[int] = set()
    out = []
    for h in hashes:
        h %= m
        while h in used:
            h = (h + 1) % m
        used.add(h)
        out.append(row * m + h)
    return out


class GramIndex:
    """The gram files of the parts' rows (see the module docstring), added one row at a time
    in the order of the index.

    A good part of a clean build's CPU (1.3 s at 10,000 records when it took a Python step per
    row a run is in and per gram of a run), so it takes few Python-level steps per run and none
    of those: they are map()s over whole lists (see sections())."""

    def __init__(self, nb: int) -> None:
        self.nb, self.groups = nb, nb // SLOTS
        self.rows: list[str] = []  # each row's runs (Row.runs)

    def add(self, r: Row) -> None:
        """Add the next row (taking its runs: see Row)."""
        self.rows.append(row_runs(r))
        r.runs = None

    def _runs(self) -> tuple[list[str], list[list[int]]]:
        """The part's runs (each led by its field's digit) in the order they were first seen,
        and the rows each is in (ascending)."""
        docs: defaultdict[str, list[int]] = defaultdict(list)
        found = map(str.split, filter(None, self.rows), repeat(" "))  # (a row's at a time)
        numbers = compress(range(len(self.rows)), self.rows)  # (of the rows with runs)
        counts = map((1).__add__, map(str.count, filter(None, self.rows), repeat(" ")))
        _drain(map(list.append, map(docs.__getitem__, chain.from_iterable(found)),
                   chain.from_iterable(map(repeat, numbers, counts))))
        return list(docs), list(docs.values())

    @staticmethod
    def names(runs: list[str], fields: list[int], first: list[int]) -> list[int]:
        """Each run's name in the files: the row it was first seen in, times M, plus a hash of
        its field and text below M (the next free one if another run first seen in that row has
        it): one row changed, the other runs keep their names, and the gram files of runs it
        neither has nor had stay as they were."""
        m = name_base(Counter(first).values())
        hashes = list(map(zlib.crc32, map(str.encode, runs), fields))
        out = list(map(operator.add, map(m.__mul__, first), map(m.__rmod__, hashes)))
        counts = Counter(out)
        if len(counts) == len(out):
            return out
        # Two runs of a row with the same hash (in most parts, a few rows): that row's runs
        # named again in order, each the next free one after its hash (the others, their hash).
        rows = {v // m for v in compress(counts, map((1).__lt__, counts.values()))}
        for n, ks in groupby(compress(range(len(first)), map(rows.__contains__, first)), first.__getitem__):
            ks = list(ks)
            for k, v in zip(ks, row_names(n, [hashes[k] for k in ks], m), strict=True):
                out[k] = v
        return out

    def sections(self, name: str) -> Iterator[tuple[int, bytes]]:
        """(bucket, bytes) of the part ``name``'s section of each gram file it has grams in:
        ``"name":{gram: [entries], …}``.

        The runs are joined by spaces into one string S, two more at its end. The neighbouring
        characters of S are, for a run of n characters, its n - 1 grams, then its last character
        and a space (the key of its last character), then a space and the next run's first
        (nothing); each such pair is read as one number (its 8 bytes in UTF-32). Each run's
        entries, one per pair (b"" for nothing and for a gram's later places in the run), are
        made by one join; the entries of the pairs of S, in one list (_CHUNK runs' at a time),
        are appended by map() each to its pair's bytes: each gram's entries in the order of the
        runs, the grams in the order first seen."""
        keys, docs = self._runs()
        if not keys:
            return
        runs = [key[1:] for key in keys]
        fields = list(map(_FIELD.__getitem__, map(operator.itemgetter(0), keys)))
        sizes = list(map(len, runs))
        first = list(map(operator.itemgetter(0), docs))
        numbers = _numbers(max(len(self.rows), *sizes))
        # an entry: [field, name, [positions], [rows, delta-coded](, length of the whole title)],
        # with a comma after it (dropped after a gram's last)
        pres = list(map(b"[%d,%d,[".__mod__, zip(fields, self.names(runs, fields, first), strict=True)))
        sub, number, start = operator.sub, numbers.__getitem__, (0,)
        # each run's post and "|" (made by one join and split: a %-format a run cost more)
        posts = (b"],[" + b"]],|\n],[".join([numbers[d[0]] if len(d) == 1 else b",".join(map(number, map(sub, d, chain(start, d))))
                                            for d in docs]) + b"]],|").split(b"\n")
        for k in compress(range(len(keys)), map(WHOLE.__eq__, fields)):
            posts[k] = posts[k][:-3] + b",%d],|" % sizes[k]
        # A run of n: its entries' positions, between "" and "", "": joined by its post, "|" and
        # its pre, "post|pre0post|pre1post|…|pre post|pre" (the entry of its last character
        # with no position): the pairs' entries of a chunk of runs, split at "|", once the first
        # (a post) is dropped, the pre left at each run's end and the post at the next's start
        # making the entry of the pair of a space and what follows (nothing: see below).
        places = {n: [b"", *numbers[:n - 1], b"", b""] for n in set(sizes)}
        joiners = list(map(bytes.__add__, posts, pres))
        pairs = _pairs(" ".join(runs) + "  ")
        starts = [0, *accumulate(map((1).__add__, sizes))]  # where each run's pairs are
        grams: defaultdict[int, bytearray] = defaultdict(bytearray)  # pair of S -> its entries
        for k0 in range(0, len(runs), _CHUNK):  # (so many runs at a time: less memory)
            k1 = min(k0 + _CHUNK, len(runs))
            size, start = sizes[k0:k1], starts[k0:k1]
            blobs = list(map(bytes.join, joiners[k0:k1], map(places.__getitem__, size)))
            # a gram twice in a run: all its positions in its first place's entry, b"" in the others
            mine = map(pairs.__getitem__, map(slice, start, map(operator.add, start, size)))
            for k in compress(range(k1 - k0), map(operator.ne, map(len, map(set, mine)), size)):
                two = pairs[start[k]:start[k] + size[k] - 1]
                where: dict[int, list[int]] = {}
                for i, g in enumerate(two):
                    where.setdefault(g, []).append(i)
                pre, post = pres[k0 + k], posts[k0 + k][:-1]
                blobs[k] = b"|".join([post, *(pre + b",".join(map(number, at)) + post if at[0] == i else b""
                                              for i, at in enumerate(map(where.__getitem__, two))), pre + post, pre])
            pieces = b"".join(blobs).split(b"|")
            del pieces[0]
            _drain(map(bytearray.extend, map(grams.__getitem__, pairs[starts[k0]:starts[k1]]), pieces))
        del pairs, pres, posts, joiners, blobs, pieces
        # The pairs' characters a, b: a space as a is nothing; as b, the key of a as a last
        # character (its bucket that of aa).
        order = array("Q", grams)
        text = order.tobytes().decode(_UTF32)
        firsts, seconds = text[0::2], text[1::2]
        real = [a != " " for a in firsts]
        _drain(map(bytearray.pop, compress(grams.values(), real)))  # (the last comma)
        groups = self.groups
        buckets = [(ord(a) % groups) * SLOTS + ord(a if b == " " else b) % SLOTS
                   for a, b in zip(firsts, seconds, strict=True)]
        labels = map(str.encode, map(str.rstrip, map(operator.add, firsts, seconds)))
        items = map(b'"%s":[%s]'.__mod__, zip(labels, map(grams.pop, order), strict=True))  # (each let go when made)
        table: list[list[bytes]] = [[] for _ in range(self.nb)]
        _drain(map(list.append, map(table.__getitem__, compress(buckets, real)), compress(items, real)))
        head = section_head(name)
        for b, found in enumerate(table):
            if found:
                table[b] = []
                yield b, b"%b%b}" % (head, b",".join(found))


_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"


def _pairs(text: str) -> array:
    """Each two neighbouring characters of ``text`` as one number: their 8 bytes in UTF-32."""
    data, n = text.encode(_UTF32), len(text)
    even, odd, out = array("Q"), array("Q"), array("Q", bytes(8 * (n - 1)))
    even.frombytes(data[:8 * (n // 2)])  # (the pairs at 0, 2, 4, …)
    odd.frombytes(data[4:4 + 8 * ((n - 1) // 2)])  # (at 1, 3, 5, …)
    out[0::2], out[1::2] = even, odd
    return out


_FIELD = {str(field): field for field in (TITLE, WHOLE, SLUG, TEXT)}  # a run's first character -> its field
_drain = deque(maxlen=0).extend  # runs an iterator to its end
_CHUNK = 512  # runs whose entries are made at a time


def _numbers(count: int) -> list[bytes]:
    """b"0", b"1", … b"<count>" (row numbers and positions)."""
    return [b"%d" % i for i in range(count + 1)]


def digest(data: bytes) -> str:
    """What a search file is made from, for the page store: its bytes (SHA-256, which the CPU
    computes itself where it can: 1.6 GB/s here against BLAKE2b's 1.1; 16 MB of gram sections
    at 10,000 records, hashed in the workers and their gram files again in this process)."""
    return hashlib.sha256(data).hexdigest()[:32]


# The browser client (search/search.js), kept as a file of its own (package data) and written
# into every site as it is.
CLIENT_JS = (Path(__file__).parent / "search_client.js").read_bytes().decode("utf-8")

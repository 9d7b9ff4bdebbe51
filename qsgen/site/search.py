"""Static search for Chinese: documents' text in a .js file and a small client that scans it, no server.

Why not Pagefind: it loads its index and WebAssembly with fetch(), which browsers refuse on
file:// pages, so the site would not search when opened as files; on this machine the extended
binary took 9.5 s and wrote 42 MB for 10,000 records.

Why not an inverted index (character bigrams, tried first): building it is Python work per
character pair, 0.9 s of CPU for the 10,000-record benchmark corpus, which alone would break the
0.5 s budget of an incremental rebuild (the index is rebuilt whenever any record changes);
pairs only approximate substrings (2999 matched 299 and 2990); and it was not smaller where it
matters: 4.7 MB raw / 0.85 MB gzipped, against 8.7 MB / 0.74 MB for the text itself.

So index.js holds, per document, its url, title, kind, unit and the first TEXT_LIMIT characters
of its text; it builds in well under 0.1 s. The client normalises each document once (NFKC,
lower case) and answers a query by substring search: the query is cut into terms at spaces
and punctuation, a document matches when it contains every term (in title, unit, kind, URL slug
or text). Exact for Chinese without word segmentation ("龙港", "知识产权", "罚款"), for case
numbers ("沁市监罚〔2023〕12号" = the terms 沁市监罚, 2023, 12号), slugs and item ids. Results are
ranked by where the terms occur (title, then unit, kind, text), ties in the order the documents
were given; the excerpt is cut around the first hit, the hits marked with <mark>. Scanning
10,000 documents takes a few milliseconds.

Files returned by build_index
    search/index.js          ``window.QSGEN_SEARCH_INDEX = {...};`` the tables, the documents
                             not in a part, the names of the parts
    search/parts/<name>.js   one per part (the site: one per unit, its records):
                             ``(window.QSGEN_SEARCH_PARTS=…||{})["<name>"]=[rows…];``
    search/search.js         the client, no dependencies

The parts are what lets a rebuild after one record changed write one unit's part instead of
the whole index (8 MB at 10,000 records, 42 MB at 50,000): the kinds and units tables that
rows refer to by number are given by the site (every kind, every unit), not taken from the
rows, so no part depends on another.

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
    <script> element (not fetch), so file:// works too; the parts index.js names are loaded
    the same way. Until all are there the results are those of the parts loaded so far (in
    their final order) and the status says how many parts are still loading.
    The query is read from ``?q=`` on load and kept there while typing.
    Each result: <li class="search-result"><a href=…>title</a> <span class="search-kind">kind</span>
    <span class="search-unit">unit</span> <p class="search-excerpt">…<mark>hit</mark>…</p></li>;
    built with DOM calls and textContent, never innerHTML.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from qsgen.core.errors import QsgenError

TEXT_LIMIT = 300  # characters of a document's text (whitespace collapsed) that are searched
INDEX_FILE = "search/index.js"
CLIENT_FILE = "search/search.js"
PARTS_DIR = "search/parts/"
FORMAT_VERSION = 3


def part_file(name: str) -> str:
    """The site path of a part of the index."""
    if not name or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name):
        raise QsgenError(f"搜索索引分片的名称只能用字母、数字、- 和 _：{name!r}")
    return f"{PARTS_DIR}{name}.js"


@dataclass(frozen=True)
class SearchDoc:
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


def index_data(docs: list[SearchDoc], tail: list[SearchDoc] = ()) -> dict:
    """What index.js assigns for an index without parts (the reference its bytes are tested
    against).

    {"v": 3, "kinds": [label…], "units": [name…], "docs": [[url, title, kind number,
    unit number, text]…], "parts": [name…], "tail": [rows…]}. The client searches "docs",
    then the rows of each part named in "parts" (search/parts/<name>.js, the same row format
    and numbers), then "tail": the order the documents were given (the ranking's tie-break).
    The kinds and units are sorted, so that a document's numbers do not depend on the
    documents before it.
    """
    kinds = {k: i for i, k in enumerate(sorted({d.kind for d in [*docs, *tail]}))}
    units = {u: i for i, u in enumerate(sorted({d.unit for d in [*docs, *tail]}))}
    seen: set[str] = set()

    def rows(ds: Iterable[SearchDoc]) -> list[list]:
        out = []
        for d in ds:
            _check_url(d.url)
            if d.url in seen:
                raise QsgenError(f"搜索索引中同一链接出现了两次：{d.url}")
            seen.add(d.url)
            out.append([d.url, _title(d), kinds[d.kind], units[d.unit], _searched(d)])
        return out

    head = rows(docs)
    return {"v": FORMAT_VERSION, "kinds": list(kinds), "units": list(units), "docs": head,
            "parts": [], "tail": rows(tail)}


def _js_json(value) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Line separators are fine in JSON but were not in older JS string literals.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@dataclass(frozen=True, slots=True)
class Row:
    """A document as index.js writes it, less its kind and unit numbers (which depend on the
    other documents): the costly part of a row, which cache.py keeps between builds. The JSON
    is kept as UTF-8 bytes, so that neither keeping nor joining rows decodes or encodes text.
    Slotted and pickled as a tuple (one is kept per record: no dict each)."""

    url: str
    kind: str
    unit: str
    head: bytes  # the JSON of url and title: "records/…","标题"
    text: bytes  # the JSON of the searched text

    def __reduce__(self):
        return (_row, (self.url, self.kind, self.unit, self.head, self.text))


def _row(url: str, kind: str, unit: str, head: bytes, text: bytes) -> Row:
    """A Row unpickled: its kind and unit shared with every other row's (one row per record)."""
    return Row(url, sys.intern(kind), sys.intern(unit), head, text)


def row(d: SearchDoc) -> Row:
    """The index row of one document (url checked, title and text normalised as index_data)."""
    _check_url(d.url)
    head = _js_json(d.url) + "," + _js_json(_title(d))
    return Row(d.url, d.kind, d.unit, head.encode("utf-8"), _js_json(_searched(d)).encode("utf-8"))


def _title(d: SearchDoc) -> str:
    return " ".join(d.title.split())


def _searched(d: SearchDoc) -> str:
    """The text the index holds: whitespace collapsed, cut to TEXT_LIMIT characters."""
    return " ".join(d.full_text()[: TEXT_LIMIT * 2].split())[:TEXT_LIMIT]


def build_index(docs: list[SearchDoc | Row], parts: list[tuple[str, list[SearchDoc | Row]]] = (),
                tail: list[SearchDoc | Row] = ()) -> dict[str, bytes]:
    """Search files for the site: index.js, one file per part, search.js.

    index.js is ``window.QSGEN_SEARCH_INDEX=`` + the compact JSON of index_data(…)[0], put
    together from each document's Row (byte for byte what json.dumps writes)."""
    def as_rows(ds: Iterable[SearchDoc | Row]) -> list[Row]:
        return [d if isinstance(d, Row) else row(d) for d in ds]

    head, tail_rows = as_rows(docs), as_rows(tail)
    part_rows = [(name, as_rows(ds)) for name, ds in parts]
    kinds, units = tables([*head, *(r for _n, rs in part_rows for r in rs), *tail_rows])
    files = {INDEX_FILE: b"".join(index_pieces(kinds, units, head, [n for n, _rs in part_rows], tail_rows))}
    for name, rs in part_rows:
        files[part_file(name)] = b"".join(part_pieces(name, kinds, units, rs))
    files[CLIENT_FILE] = CLIENT_JS.encode("utf-8")
    return files


def tables(rows: list[Row]) -> tuple[list[str], list[str]]:
    """The index's sorted kinds and units; a URL given twice is an error."""
    seen: set[str] = set()
    for r in rows:
        if r.url in seen:
            raise QsgenError(f"搜索索引中同一链接出现了两次：{r.url}")
        seen.add(r.url)
    return sorted({r.kind for r in rows}), sorted({r.unit for r in rows})


def _row_pieces(kinds: list[str], units: list[str], rows: Iterable[Row]) -> Iterator[bytes]:
    """The JSON array of ``rows`` as UTF-8 pieces, one per row."""
    kind_no = {k: i for i, k in enumerate(kinds)}
    unit_no = {u: i for i, u in enumerate(units)}
    sep = b"[["
    try:
        for r in rows:
            yield b"%s%s,%d,%d,%s]" % (sep, r.head, kind_no[r.kind], unit_no[r.unit], r.text)
            sep = b",["
    except KeyError as e:
        raise QsgenError(f"搜索索引的类别表或单位表里没有“{e.args[0]}”") from None
    yield b"[]" if sep == b"[[" else b"]"


def index_pieces(kinds: list[str], units: list[str], rows: Iterable[Row], parts: list[str] = (),
                 tail: Iterable[Row] = ()) -> Iterator[bytes]:
    """search/index.js as UTF-8 pieces, one per document (written into the new site one by
    one: the index is never held whole)."""
    yield (f'window.QSGEN_SEARCH_INDEX={{"v":{FORMAT_VERSION},"kinds":{_js_json(list(kinds))},'
           f'"units":{_js_json(list(units))},"docs":').encode()
    yield from _row_pieces(kinds, units, rows)
    yield f',"parts":{_js_json(list(parts))},"tail":'.encode()
    yield from _row_pieces(kinds, units, tail)
    yield b"};\n"


def part_pieces(name: str, kinds: list[str], units: list[str], rows: Iterable[Row]) -> Iterator[bytes]:
    """search/parts/<name>.js as UTF-8 pieces: the rows of one part, numbered by the index's
    tables (``kinds`` and ``units`` must be those of index.js)."""
    yield f"(window.QSGEN_SEARCH_PARTS=window.QSGEN_SEARCH_PARTS||{{}})[{_js_json(name)}]=".encode()
    yield from _row_pieces(kinds, units, rows)
    yield b";\n"


CLIENT_JS = r"""/* qsgen static search over window.QSGEN_SEARCH_INDEX (search/index.js). No dependencies. */
(function (global) {
  "use strict";
  var NON_WORD = /[^\p{L}\p{N}]+/gu;
  var LIMIT = 50;
  var EXCERPT = 60;

  function normalise(s) { return String(s).normalize("NFKC").toLowerCase(); }

  // Query terms: runs of letters and digits, normalised like the documents.
  function terms(query) {
    var t = normalise(String(query).replace(NON_WORD, " ")).replace(NON_WORD, " ");
    var seen = {}, out = [];
    t.split(" ").forEach(function (x) { if (x && !seen[x]) { seen[x] = true; out.push(x); } });
    return out;
  }

  function slugWords(url) {
    var path = url.split("#")[0].split("?")[0].replace(/\.html$/, "");
    return path.split("/").filter(function (p) { return p && p !== "index"; }).join(" ");
  }

  // The parts index.js names that are not loaded yet.
  function missingParts(index, parts) {
    return (index.parts || []).filter(function (name) { return !(parts && parts[name]); });
  }

  function prepare(index, docs) {
    var out = new Array(docs.length);
    for (var i = 0; i < docs.length; i++) {
      var d = docs[i], kind = index.kinds[d[2]] || "", unit = index.units[d[3]] || "";
      out[i] = {
        url: d[0], title: d[1], kind: kind, unit: unit, text: d[4],
        nTitle: normalise(d[1]), nUnit: normalise(unit), nKind: normalise(kind),
        nText: normalise(d[4]), nSlug: normalise(slugWords(d[0]))
      };
    }
    return out;
  }

  // The excerpt: about EXCERPT characters of the text around the first hit, as
  // [[text, isHit], …] pieces so the caller can build DOM nodes (no HTML strings).
  function excerpt(doc, ts) {
    var text = doc.text, lower = text.toLowerCase(), nText = doc.nText;
    var same = nText.length === text.length;  // NFKC changed nothing that moves positions
    var first = -1;
    for (var i = 0; i < ts.length; i++) {
      var at = same ? nText.indexOf(ts[i]) : lower.indexOf(ts[i]);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    var start = first < 0 ? 0 : Math.max(0, first - Math.floor(EXCERPT / 3));
    var end = Math.min(text.length, start + EXCERPT);
    var piece = text.slice(start, end), nPiece = (same ? nText : lower).slice(start, end);
    var marks = new Array(piece.length + 1).join("0").split("");
    ts.forEach(function (t) {
      for (var k = nPiece.indexOf(t); k >= 0; k = nPiece.indexOf(t, k + 1))
        for (var m = k; m < k + t.length && m < marks.length; m++) marks[m] = "1";
    });
    var parts = [];
    if (start > 0) parts.push(["…", false]);
    for (var p = 0; p < piece.length;) {
      var q = p;
      while (q < piece.length && marks[q] === marks[p]) q++;
      parts.push([piece.slice(p, q), marks[p] === "1"]);
      p = q;
    }
    if (end < text.length) parts.push(["…", false]);
    return parts;
  }

  // ``parts``: {name: rows} of the parts index.js names (default: window.QSGEN_SEARCH_PARTS).
  // Searches what is loaded: index.docs, the rows of each loaded part in the order of
  // index.parts, index.tail; a part that arrives later is searched from then on.
  function makeSearcher(index, parts) {
    parts = parts || global.QSGEN_SEARCH_PARTS || {};
    var ready = {}, docs = null, loaded = -1;  // documents normalised once, per part
    function current() {
      var names = (index.parts || []).filter(function (name) { return parts[name]; });
      if (docs !== null && names.length === loaded) return docs;
      if (!ready.head) ready.head = prepare(index, index.docs || []);
      if (!ready.tail) ready.tail = prepare(index, index.tail || []);
      docs = ready.head;
      names.forEach(function (name) {
        if (!ready["part " + name]) ready["part " + name] = prepare(index, parts[name]);
        docs = docs.concat(ready["part " + name]);
      });
      docs = docs.concat(ready.tail);
      loaded = names.length;
      return docs;
    }
    function search(query, limit) {
      var ts = terms(query);
      if (ts.length === 0) return { total: 0, results: [] };
      var docs = current();
      var scored = [];
      for (var j = 0; j < docs.length; j++) {
        var d = docs[j], score = 0, all = true;
        for (var t = 0; t < ts.length; t++) {
          var term = ts[t], s = 0;
          if (d.nTitle.indexOf(term) >= 0) s += d.nTitle === term ? 24 : 8;
          if (d.nUnit.indexOf(term) >= 0) s += 4;
          if (d.nKind.indexOf(term) >= 0) s += 2;
          if (d.nSlug.indexOf(term) >= 0) s += 2;
          if (d.nText.indexOf(term) >= 0) s += 1;
          if (s === 0) { all = false; break; }
          score += s;
        }
        if (all) scored.push([score, j]);
      }
      scored.sort(function (x, y) { return y[0] - x[0] || x[1] - y[1]; });
      var n = Math.min(scored.length, limit || LIMIT), results = [];
      for (var r = 0; r < n; r++) {
        var doc = docs[scored[r][1]];
        results.push({ url: doc.url, title: doc.title, kind: doc.kind, unit: doc.unit,
          excerpt: excerpt(doc, ts) });
      }
      return { total: scored.length, results: results };
    }
    // Normalise every document now (about 0.1 s for 10,000) instead of on the first keystroke.
    search.warm = function () { current(); };
    // How many of index.parts are not loaded yet.
    search.missing = function () { return missingParts(index, parts).length; };
    return search;
  }

  global.qsgenSearch = { makeSearcher: makeSearcher, terms: terms, missingParts: missingParts };

  if (typeof document === "undefined") return;

  var script = document.currentScript;
  var root = "";
  if (script) {
    if (script.hasAttribute("data-root")) root = script.getAttribute("data-root");
    else {
      var src = script.getAttribute("src") || "";
      var at = src.lastIndexOf("search/search.js");
      root = at >= 0 ? src.slice(0, at) : "";
    }
  }

  function byId(a, b) { return document.getElementById(a) || document.getElementById(b); }

  function start() {
    var input = byId("search-input", "q");
    var list = byId("search-results", "results");
    var status = document.getElementById("search-status");
    if (!input || !list) return;
    var search = null;
    var query = "", shown = 0;  // the query on show and how many of its results are listed

    // "显示更多" appends the next LIMIT results; a page template without the button gets one.
    var more = document.getElementById("search-more");
    if (!more && list.parentNode) {
      more = document.createElement("button");
      more.type = "button";
      more.id = "search-more";
      more.className = "search-more";
      list.parentNode.insertBefore(more, list.nextSibling || null);
    }
    if (more) {
      more.hidden = true;
      more.addEventListener("click", function () { append(true); });
    }

    function say(text) { if (status) status.textContent = text; }

    function item(r) {
      var li = document.createElement("li");
      li.className = "search-result";
      var link = document.createElement("a");
      link.href = root + r.url;
      link.textContent = r.title;
      li.appendChild(link);
      var parts = [[r.kind, "search-kind"], [r.unit, "search-unit"]];
      for (var k = 0; k < parts.length; k++) {
        if (!parts[k][0]) continue;
        li.appendChild(document.createTextNode(" "));
        var span = document.createElement("span");
        span.className = parts[k][1];
        span.textContent = parts[k][0];
        li.appendChild(span);
      }
      if (r.excerpt.length) {
        var p = document.createElement("p");
        p.className = "search-excerpt";
        for (var e = 0; e < r.excerpt.length; e++) {
          if (r.excerpt[e][1]) {
            var mark = document.createElement("mark");
            mark.textContent = r.excerpt[e][0];
            p.appendChild(mark);
          } else p.appendChild(document.createTextNode(r.excerpt[e][0]));
        }
        li.appendChild(p);
      }
      return { li: li, link: link };
    }

    // The next LIMIT results of the query on show; ``focus``: move the keyboard focus to the
    // first of them (after a click on "显示更多", which may disappear).
    function append(focus) {
      var found = search(query, shown + LIMIT), first = null;
      for (var i = shown; i < found.results.length; i++) {
        var made = item(found.results[i]);
        list.appendChild(made.li);
        if (first === null) first = made.link;
      }
      shown = found.results.length;
      say((found.total > shown
        ? "找到 " + found.total + " 条结果，显示前 " + shown + " 条。"
        : "找到 " + found.total + " 条结果。") + loading());
      if (more) {
        more.hidden = shown >= found.total;
        more.textContent = "显示更多（还有 " + (found.total - shown) + " 条）";
      }
      if (focus && first && first.focus) first.focus();
      return found.total;
    }

    function show() {
      var q = input.value;
      while (list.firstChild) list.removeChild(list.firstChild);
      query = q;
      shown = 0;
      if (more) more.hidden = true;
      if (failed) { say("搜索索引载入失败。"); return; }
      if (!search) { say("正在载入索引……"); return; }
      if (!terms(q).length) { say(loading()); return; }
      if (!append(false)) say(search.missing() ? "暂时没有找到" + loading()
                                               : "没有找到与“" + q.trim() + "”相关的单位或记录。");
    }

    // While parts of the index are still loading, the results so far say so.
    function loading() {
      var n = search ? search.missing() : 0;
      return n ? "（索引还有 " + n + " 段在载入，结果会随之补全……）" : "";
    }

    function keepQuery() {
      try {
        var url = new URL(global.location.href);
        if (input.value) url.searchParams.set("q", input.value); else url.searchParams.delete("q");
        global.history.replaceState(null, "", url.href);
      } catch (e) { /* file:// in some browsers: the query just is not kept */ }
    }

    var failed = false;  // a part of the index could not be loaded: no results, said so

    function ready() {
      search = makeSearcher(global.QSGEN_SEARCH_INDEX, global.QSGEN_SEARCH_PARTS || {});
      show();
      setTimeout(search.warm, 0);
    }

    // A <script> element for ``src`` (not fetch(): browsers refuse it on file:// pages).
    function load(src, done, broken) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = done;
      tag.onerror = broken;
      document.head.appendChild(tag);
    }

    // index.js is there: search what is loaded now, load the parts it names that are not,
    // and search again as each arrives (a phone sees its first results before the last part).
    function loadParts() {
      var index = global.QSGEN_SEARCH_INDEX;
      global.QSGEN_SEARCH_PARTS = global.QSGEN_SEARCH_PARTS || {};
      var missing = missingParts(index, global.QSGEN_SEARCH_PARTS);
      ready();
      missing.forEach(function (name) {
        load(root + "search/parts/" + encodeURIComponent(name) + ".js", function () {
          if (!failed) show();
        }, function () {
          failed = true;
          show();
        });
      });
    }

    try {
      var q = new URLSearchParams(global.location.search).get("q");
      if (q && !input.value) input.value = q;
    } catch (e) { /* ignore */ }

    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { show(); keepQuery(); }, 120);
    });
    if (input.form) input.form.addEventListener("submit", function (ev) {
      ev.preventDefault(); clearTimeout(timer); show(); keepQuery();
    });

    if (global.QSGEN_SEARCH_INDEX) loadParts();
    else {
      say("正在载入索引……");
      load(root + "search/index.js", loadParts, function () { failed = true; show(); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(typeof window !== "undefined" ? window : globalThis);
"""

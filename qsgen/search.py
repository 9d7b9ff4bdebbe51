"""Static search for Chinese: a character-bigram index as a .js file and a small client, no server.

Why not Pagefind: it loads its index and WebAssembly with fetch(), which browsers refuse on
file:// pages, so the site would not search when opened as files; on this machine the extended
binary took 9.5 s and wrote 42 MB for 10,000 records. This index builds in a fraction of a
second, is a few MB for 10,000 records, and is loaded with a plain <script>, which works from
any static host, any sub-path and file://.

The index
    Text is normalised (NFKC, lower case) and cut into runs of letters and digits (Unicode
    categories L and N); every run contributes its adjacent character pairs ("知识产权" ->
    知识 识产 产权, "longgang" -> lo on ng gg ga an ng; a one-character run contributes
    itself). Chinese needs no word segmentation this way and any substring of two or more
    characters of a title, unit, kind, URL slug or the (truncated) text is found. A query is
    cut the same way; a document matches when it has every pair of every query term. Results
    are ranked by where the terms occur (title, then unit, kind, text), ties in the order the
    documents were given.

Files returned by build_index
    search/index.js    ``window.QSGEN_SEARCH_INDEX = {...};`` (docs and postings)
    search/search.js   the client, no dependencies

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
    files. If index.js was not included, search.js loads it from the same prefix.
    The query is read from ``?q=`` on load and kept there while typing.
    Each result: <li class="search-result"><a href=…>title</a> <span class="search-kind">kind</span>
    <span class="search-unit">unit</span> <p class="search-excerpt">…</p></li>; text only
    (textContent), never innerHTML.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from .errors import QsgenError

TEXT_LIMIT = 600  # characters of a document's text that are indexed
EXCERPT_LIMIT = 40  # characters shown under a result
INDEX_FILE = "search/index.js"
CLIENT_FILE = "search/search.js"
FORMAT_VERSION = 1

# Postings: doc numbers ascending, stored as gaps, each gap a base-32 varint over a 64-letter
# alphabet safe in JS strings: letters 0-31 end a number, 32-63 continue it (high digits first).
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"
_END, _MORE = _ALPHABET[:32], _ALPHABET[32:]


@dataclass(frozen=True)
class SearchDoc:
    url: str  # relative to the site root, e.g. "records/longgang/case-1.html"; never "/..."
    title: str
    kind: str  # Chinese label shown with the result: 单位, 案件, 信息报道, 规则 …
    unit: str  # Chinese unit name ("" when none)
    text: str  # plain text; cut to TEXT_LIMIT characters here


_NON_WORD = re.compile(r"[\W_]+")
_LATIN = re.compile(r"[0-9a-z]{3,}")  # shorter runs are exact as pairs already


def normalise(text: str) -> str:
    """NFKC and lower case: full-width ＡＢ１２ are ab12, as in the client's String.normalize."""
    return unicodedata.normalize("NFKC", text).lower()


def _words(text: str) -> list[str]:
    """Normalised runs of letters and digits; the client's terms() does the same steps."""
    t = _NON_WORD.sub(" ", text)  # punctuation first, so NFKC runs only when a run needs it
    if not unicodedata.is_normalized("NFKC", t):
        t = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", t))
    return t.lower().split()


def grams(text: str) -> set[str]:
    """The character pairs (and lone characters) that ``text`` is indexed under."""
    return _grams_and_latin(text)[0]


def _grams_and_latin(text: str) -> tuple[set[str], str]:
    words = _words(text)
    out: set[str] = set()
    add = str.__add__
    for run in words:
        if len(run) == 1:
            out.add(run)
        else:
            out.update(map(add, run, run[1:]))
    latin = " ".join(sorted(set(_LATIN.findall(" ".join(words)))))
    return out, latin


def _url_words(url: str) -> str:
    path = url.split("#", 1)[0].split("?", 1)[0]
    if path.endswith(".html"):
        path = path[:-5]
    return " ".join(p for p in path.split("/") if p and p != "index")


def _varint(n: int) -> str:
    digits = [_END[n & 31]]
    n >>= 5
    while n:
        digits.append(_MORE[n & 31])
        n >>= 5
    return "".join(reversed(digits))


def encode_postings(ids: list[int], _table: list[str] | None = None) -> str:
    """Ascending doc numbers -> the compact string the client decodes (gap - 1 per number)."""
    if _table is None:
        _table = [_varint(g - 1) if g else "" for g in range(max(ids, default=0) + 2)]
    return "".join(map(_table.__getitem__, map(int.__sub__, ids, [-1, *ids[:-1]])))


def decode_postings(s: str) -> list[int]:
    ids: list[int] = []
    n = 0
    prev = -1
    for ch in s:
        v = _ALPHABET.index(ch)
        if v >= 32:
            n = (n << 5) | (v - 32)
        else:
            n = (n << 5) | v
            prev = prev + n + 1
            ids.append(prev)
            n = 0
    return ids


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LIMIT else text[:EXCERPT_LIMIT] + "…"


def _check_url(url: str) -> None:
    first = url.split("/", 1)[0]
    if not url or url.startswith("/") or "\\" in url or ":" in first or ".." in url.split("/"):
        raise QsgenError(f"搜索索引中的链接须是相对于站点根目录的路径：{url!r}")


def index_data(docs: list[SearchDoc]) -> dict:
    """The index as a plain structure (what index.js assigns).

    {"v": 1, "kinds": [label…], "units": [name…],
     "docs": [[url, title, kind number, unit number, excerpt, latin runs]…],
     "grams": {pair: encoded doc numbers}} — doc numbers are positions in "docs", which keeps
    the order the documents were given (the tie-break of the ranking). "latin runs" are the
    document's distinct runs of three or more [0-9a-z], space-separated: pairs alone would let
    2999 match a document that only has 299 and 2990, so the client also checks each query run
    of three or more digits or Latin letters against them (case numbers, amounts, slugs, item ids).
    """
    seen: set[str] = set()
    postings: defaultdict[str, list[int]] = defaultdict(list)
    kinds: dict[str, int] = {}
    units: dict[str, int] = {}
    rows = []
    for n, d in enumerate(docs):
        _check_url(d.url)
        if d.url in seen:
            raise QsgenError(f"搜索索引中同一链接出现了两次：{d.url}")
        seen.add(d.url)
        text = d.text[:TEXT_LIMIT]
        doc_grams, latin = _grams_and_latin(" ".join((d.title, d.unit, d.kind, _url_words(d.url), text)))
        rows.append([d.url, d.title, kinds.setdefault(d.kind, len(kinds)),
                     units.setdefault(d.unit, len(units)), _excerpt(text), latin])
        for g in doc_grams:
            postings[g].append(n)
    table = [_varint(g - 1) if g else "" for g in range(len(docs) + 1)]
    return {
        "v": FORMAT_VERSION,
        "kinds": list(kinds),
        "units": list(units),
        "docs": rows,
        "grams": {g: encode_postings(postings[g], table) for g in sorted(postings)},
    }


def _js_json(value) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    # Line separators are fine in JSON but were not in older JS string literals.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def build_index(docs: list[SearchDoc]) -> dict[str, bytes]:
    """Search files for the site: {"search/index.js": …, "search/search.js": …}."""
    body = "window.QSGEN_SEARCH_INDEX=" + _js_json(index_data(docs)) + ";\n"
    return {
        INDEX_FILE: body.encode("utf-8"),
        CLIENT_FILE: CLIENT_JS.encode("utf-8"),
    }


CLIENT_JS = r"""/* qsgen static search: loads window.QSGEN_SEARCH_INDEX (search/index.js). No dependencies. */
(function (global) {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$";
  var VALUE = {};
  for (var a = 0; a < ALPHABET.length; a++) VALUE[ALPHABET.charAt(a)] = a;
  var NON_WORD = /[^\p{L}\p{N}]+/gu;
  var LATIN = /[0-9a-z]{3,}/g;
  var LIMIT = 50;

  function normalise(s) { return String(s).normalize("NFKC").toLowerCase(); }

  // The same steps as grams() in search.py: punctuation out, NFKC, punctuation out, lower case.
  function terms(query) {
    var t = String(query).replace(NON_WORD, " ").normalize("NFKC").replace(NON_WORD, " ").toLowerCase();
    return t.split(" ").filter(function (x) { return x.length > 0; });
  }

  function decode(s) {
    var ids = [], n = 0, prev = -1;
    for (var i = 0; i < s.length; i++) {
      var v = VALUE[s.charAt(i)];
      if (v >= 32) { n = n * 32 + (v - 32); }
      else { prev = prev + n * 32 + v + 1; ids.push(prev); n = 0; }
    }
    return ids;
  }

  function intersect(a, b) {
    var out = [], i = 0, j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) { out.push(a[i]); i++; j++; }
      else if (a[i] < b[j]) i++; else j++;
    }
    return out;
  }

  function union(lists) {
    var seen = {}, out = [];
    for (var i = 0; i < lists.length; i++)
      for (var j = 0; j < lists[i].length; j++)
        if (!seen[lists[i][j]]) { seen[lists[i][j]] = true; out.push(lists[i][j]); }
    return out.sort(function (x, y) { return x - y; });
  }

  function makeSearcher(index) {
    var cache = {};
    var keys = null;
    function postings(g) {
      if (!Object.prototype.hasOwnProperty.call(cache, g)) {
        var s = Object.prototype.hasOwnProperty.call(index.grams, g) ? index.grams[g] : "";
        cache[g] = decode(s);
      }
      return cache[g];
    }
    function termDocs(t) {
      if (t.length === 1) {  // one character: every pair that contains it
        if (keys === null) keys = Object.keys(index.grams);
        var lists = [];
        for (var k = 0; k < keys.length; k++)
          if (keys[k].indexOf(t) >= 0) lists.push(postings(keys[k]));
        return union(lists);
      }
      var docs = null;
      for (var i = 0; i + 1 < t.length; i++) {
        var p = postings(t.substr(i, 2));
        docs = docs === null ? p : intersect(docs, p);
        if (docs.length === 0) break;
      }
      return docs || [];
    }
    return function search(query, limit) {
      var ts = terms(query);
      if (ts.length === 0) return { total: 0, results: [] };
      var docs = null;
      for (var i = 0; i < ts.length; i++) {
        var d = termDocs(ts[i]);
        docs = docs === null ? d : intersect(docs, d);
        if (docs.length === 0) break;
      }
      var latin = [];
      for (var l = 0; l < ts.length; l++) latin = latin.concat(ts[l].match(LATIN) || []);
      var scored = [];
      for (var j = 0; j < docs.length; j++) {
        var row = index.docs[docs[j]];
        var ok = true;
        for (var m = 0; m < latin.length && ok; m++) ok = row[5].indexOf(latin[m]) >= 0;
        if (!ok) continue;
        var title = normalise(row[1]), kind = normalise(index.kinds[row[2]]),
          unit = normalise(index.units[row[3]]);
        var score = 0;
        for (var t = 0; t < ts.length; t++) {
          if (title === ts[t]) score += 16;
          if (title.indexOf(ts[t]) >= 0) score += 8;
          if (unit.indexOf(ts[t]) >= 0) score += 4;
          if (kind.indexOf(ts[t]) >= 0) score += 2;
        }
        scored.push([score, docs[j]]);
      }
      scored.sort(function (x, y) { return y[0] - x[0] || x[1] - y[1]; });
      var n = Math.min(scored.length, limit || LIMIT), results = [];
      for (var r = 0; r < n; r++) {
        var row2 = index.docs[scored[r][1]];
        results.push({ url: row2[0], title: row2[1], kind: index.kinds[row2[2]],
          unit: index.units[row2[3]], excerpt: row2[4] });
      }
      return { total: scored.length, results: results };
    };
  }

  global.qsgenSearch = { makeSearcher: makeSearcher, terms: terms, decode: decode };

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

    function say(text) { if (status) status.textContent = text; }

    function show() {
      var q = input.value;
      while (list.firstChild) list.removeChild(list.firstChild);
      if (!search) { say("正在载入索引……"); return; }
      if (!terms(q).length) { say(""); return; }
      var found = search(q, LIMIT);
      if (!found.total) { say("没有找到与“" + q.trim() + "”相关的单位或记录。"); return; }
      say(found.total > found.results.length
        ? "找到 " + found.total + " 条结果，显示前 " + found.results.length + " 条。"
        : "找到 " + found.total + " 条结果。");
      for (var i = 0; i < found.results.length; i++) {
        var r = found.results[i];
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
        if (r.excerpt) {
          var p = document.createElement("p");
          p.className = "search-excerpt";
          p.textContent = r.excerpt;
          li.appendChild(p);
        }
        list.appendChild(li);
      }
    }

    function keepQuery() {
      try {
        var url = new URL(global.location.href);
        if (input.value) url.searchParams.set("q", input.value); else url.searchParams.delete("q");
        global.history.replaceState(null, "", url.href);
      } catch (e) { /* file:// in some browsers: the query just is not kept */ }
    }

    function ready() {
      search = makeSearcher(global.QSGEN_SEARCH_INDEX);
      show();
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

    if (global.QSGEN_SEARCH_INDEX) ready();
    else {
      say("正在载入索引……");
      var tag = document.createElement("script");
      tag.src = root + "search/index.js";
      tag.onload = ready;
      tag.onerror = function () { say("搜索索引载入失败。"); };
      document.head.appendChild(tag);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(typeof window !== "undefined" ? window : globalThis);
"""

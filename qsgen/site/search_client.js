/* qsgen static search over window.QSGEN_SEARCH_INDEX (search/index.js) and the gram and row
   files a query needs (loaded with <script>, so that file:// works). No dependencies. */
(function (global) {
  "use strict";
  var NON_WORD = /[^\p{L}\p{N}]+/gu;
  var LIMIT = 50;
  var EXCERPT = 60;
  // what a term scores in each place (title 24 when it is the whole title)
  var T_TITLE = 1, T_WHOLE = 2, T_SLUG = 4, T_TEXT = 8, T_UNIT = 16, T_KIND = 32;

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

  function prepare(index, d) {
    var kind = index.kinds[d[2]] || "", unit = index.units[d[3]] || "";
    return {
      url: d[0], title: d[1], kind: kind, unit: unit, text: d[4],
      nTitle: normalise(d[1]), nUnit: normalise(unit), nKind: normalise(kind),
      nText: normalise(d[4]), nSlug: normalise(slugWords(d[0]))
    };
  }

  // A document's score for the terms (0: not every term is in it), its fields at hand.
  function scoreOf(d, ts) {
    var score = 0;
    for (var t = 0; t < ts.length; t++) {
      var term = ts[t], s = 0;
      if (d.nTitle.indexOf(term) >= 0) s += d.nTitle === term ? 24 : 8;
      if (d.nUnit.indexOf(term) >= 0) s += 4;
      if (d.nKind.indexOf(term) >= 0) s += 2;
      if (d.nSlug.indexOf(term) >= 0) s += 2;
      if (d.nText.indexOf(term) >= 0) s += 1;
      if (s === 0) return 0;
      score += s;
    }
    return score;
  }

  function flagScore(f) {
    return (f & T_WHOLE ? 24 : f & T_TITLE ? 8 : 0) + (f & T_UNIT ? 4 : 0) + (f & T_KIND ? 2 : 0) +
      (f & T_SLUG ? 2 : 0) + (f & T_TEXT ? 1 : 0);
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

  function codePoints(s) {
    var out = [];
    for (var i = 0; i < s.length; i++) {
      var c = s.codePointAt(i);
      out.push(c);
      if (c > 0xffff) i++;
    }
    return out;
  }

  // ``index``: QSGEN_SEARCH_INDEX; ``load(file, done, failed)``: makes the script
  // search/<file>.js run (it assigns to QSGEN_SEARCH_GRAMS / QSGEN_SEARCH_ROWS of ``store``),
  // then calls done() or failed(). Returns search(query, limit, callback): callback({total,
  // results}) once the files the query needs are there, or callback(null) if one failed.
  function makeSearcher(index, load, store) {
    store = store || global;
    var G = index.buckets / index.slots, S = index.slots, B = index.block;
    var parts = index.parts || [], starts = [], count = 0;
    parts.forEach(function (p) { starts.push(count); count += p[1]; });
    var head = null, tail = null;
    var waiting = {};  // file -> callbacks

    function has(file) {
      var at = file.indexOf("/"), where = file.slice(0, at), key = file.slice(at + 1);
      var table = where === "grams" ? store.QSGEN_SEARCH_GRAMS : store.QSGEN_SEARCH_ROWS;
      return !!(table && table[key] !== undefined);
    }

    // Every file of ``files`` there, then done(true); done(false) as soon as one fails.
    function need(files, done) {
      var missing = files.filter(function (f) { return !has(f); });
      var left = missing.length, over = false;
      function one(ok) {
        if (over) return;
        if (!ok) { over = true; done(false); return; }
        if (--left === 0) { over = true; done(true); }
      }
      if (left === 0) { done(true); return; }
      missing.forEach(function (f) {
        if (waiting[f]) { waiting[f].push(one); return; }
        waiting[f] = [one];
        load(f, function () {
          var cbs = waiting[f]; delete waiting[f];
          cbs.forEach(function (cb) { cb(has(f)); });
        }, function () {
          var cbs = waiting[f]; delete waiting[f];
          cbs.forEach(function (cb) { cb(false); });
        });
      });
    }

    function bucket(a, b) { return (a % G) * S + (b % S); }

    function gramFiles(ts) {
      var seen = {}, out = [];
      function add(b) { if (!seen[b]) { seen[b] = true; out.push("grams/" + b); } }
      ts.forEach(function (t) {
        var c = codePoints(t);
        if (c.length === 1) for (var j = 0; j < S; j++) add((c[0] % G) * S + j);
        else for (var i = 0; i + 1 < c.length; i++) add(bucket(c[i], c[i + 1]));
      });
      return out;
    }

    var partNo = {};
    parts.forEach(function (p, n) { partNo[p[0]] = n; });
    function own(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }

    // One term's places in each part document: flags[doc] (T_…), from the gram files (a
    // section per part: its runs, named within the part, and its rows' numbers).
    function termFlags(term) {
      var flags = new Uint8Array(count), c = codePoints(term), hits = [];  // [part, entry, whole title equal]
      if (c.length === 1) {
        for (var j = 0; j < S; j++) {
          var file = store.QSGEN_SEARCH_GRAMS[(c[0] % G) * S + j] || {};
          for (var part in file) {
            if (!own(file, part)) continue;
            var section = file[part];
            for (var key in section) {
              if (!own(section, key) || key.codePointAt(0) !== c[0]) continue;
              section[key].forEach(function (e) { hits.push([part, e, e[0] === 1 && e[4] === 1]); });
            }
          }
        }
      } else {
        var keys = [], files = [];
        for (var i = 0; i + 1 < c.length; i++) {
          keys.push(String.fromCodePoint(c[i], c[i + 1]));
          files.push(store.QSGEN_SEARCH_GRAMS[bucket(c[i], c[i + 1])] || {});
        }
        var lists = function (part) {
          return keys.map(function (key, i) {
            var section = own(files[i], part) ? files[i][part] : null;
            return section && own(section, key) ? section[key] : [];
          });
        };
        for (var name in files[0]) {
          if (!own(files[0], name)) continue;
          var grams = lists(name);
          // the positions of each later gram, by run
          var later = grams.slice(1).map(function (es) {
            var m = {};
            es.forEach(function (e) { m[e[1]] = e[2]; });
            return m;
          });
          grams[0].forEach(function (e) {
            var run = e[1], starts0 = e[2];
            for (var s = 0; s < starts0.length; s++) {
              var p = starts0[s], ok = true;
              for (var g = 0; g < later.length && ok; g++) {
                var pos = later[g][run];
                ok = !!pos && pos.indexOf(p + g + 1) >= 0;
              }
              if (ok) { hits.push([name, e, e[0] === 1 && p === 0 && e[4] === c.length]); return; }
            }
          });
        }
      }
      var seen = {};
      hits.forEach(function (h) {
        var e = h[1], flag = [T_TITLE, T_TITLE, T_SLUG, T_TEXT][e[0]] | (h[2] ? T_WHOLE : 0);
        var id = h[0] + "/" + e[1];
        if (seen[id] && !h[2]) return;
        seen[id] = true;
        var n = partNo[h[0]];
        if (n === undefined) return;
        var docs = e[3], d = starts[n];
        for (var k = 0; k < docs.length; k++) { d += docs[k]; flags[d] |= flag; }
      });
      // kinds and units, from the tables
      var kindHit = index.kinds.map(function (k) { return normalise(k).indexOf(term) >= 0; });
      var unitHit = index.units.map(function (u) { return normalise(u).indexOf(term) >= 0; });
      parts.forEach(function (p, n) {
        var at = starts[n];
        p[2].forEach(function (r) {
          var flag = (kindHit[r[0]] ? T_KIND : 0) | (unitHit[r[1]] ? T_UNIT : 0);
          if (flag) for (var k = at; k < at + r[2]; k++) flags[k] |= flag;
          at += r[2];
        });
      });
      return flags;
    }

    // The part and row of part document ``d``.
    function where(d) {
      var lo = 0, hi = parts.length - 1;
      while (lo < hi) {
        var mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= d) lo = mid; else hi = mid - 1;
      }
      return [lo, d - starts[lo]];
    }

    function rowFile(d) {
      var w = where(d);
      return "parts/" + parts[w[0]][0] + "/" + Math.floor(w[1] / B);
    }

    function rowOf(d) {
      var w = where(d), rows = store.QSGEN_SEARCH_ROWS[parts[w[0]][0] + "/" + Math.floor(w[1] / B)];
      return rows[w[1] % B];
    }

    function search(query, limit, callback) {
      var ts = terms(query);
      if (ts.length === 0) { callback({ total: 0, results: [] }); return; }
      need(gramFiles(ts), function (ok) {
        if (!ok) { callback(null); return; }
        if (!head) {
          head = (index.docs || []).map(function (d) { return prepare(index, d); });
          tail = (index.tail || []).map(function (d) { return prepare(index, d); });
        }
        var scored = [];  // [score, order, document or part document number]
        head.forEach(function (d, i) { var s = scoreOf(d, ts); if (s) scored.push([s, i, d]); });
        if (count) {
          var all = ts.map(termFlags);
          for (var d = 0; d < count; d++) {
            var score = 0;
            for (var t = 0; t < all.length; t++) {
              var s = flagScore(all[t][d]);
              if (!s) { score = 0; break; }
              score += s;
            }
            if (score) scored.push([score, head.length + d, d]);
          }
        }
        tail.forEach(function (d, i) {
          var s = scoreOf(d, ts); if (s) scored.push([s, head.length + count + i, d]);
        });
        scored.sort(function (x, y) { return y[0] - x[0] || x[1] - y[1]; });
        var n = Math.min(scored.length, limit || LIMIT), files = {}, list = [];
        for (var r = 0; r < n; r++)
          if (typeof scored[r][2] === "number") files[rowFile(scored[r][2])] = true;
        for (var f in files) list.push(f);
        need(list, function (ok2) {
          if (!ok2) { callback(null); return; }
          var results = [];
          for (var r = 0; r < n; r++) {
            var doc = scored[r][2];
            if (typeof doc === "number") doc = prepare(index, rowOf(doc));
            results.push({ url: doc.url, title: doc.title, kind: doc.kind, unit: doc.unit,
              excerpt: excerpt(doc, ts) });
          }
          callback({ total: scored.length, results: results });
        });
      });
    }
    return search;
  }

  global.qsgenSearch = { makeSearcher: makeSearcher, terms: terms };

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

  // A <script> element for ``src`` (not fetch(): browsers refuse it on file:// pages).
  function inject(src, done, broken) {
    var tag = document.createElement("script");
    tag.src = src;
    tag.onload = done;
    tag.onerror = broken;
    document.head.appendChild(tag);
  }

  function start() {
    var input = byId("search-input", "q");
    var list = byId("search-results", "results");
    var status = document.getElementById("search-status");
    if (!input || !list) return;
    var search = null, failed = false;
    var query = "", shown = 0, asked = 0;  // the query on show, how many of its results are listed

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
      var mine = ++asked, q = query;
      if (shown) say("正在载入索引……");
      search(q, shown + LIMIT, function (found) {
        if (mine !== asked || q !== query) return;  // a later query or click took over
        if (!found) { failed = true; say("搜索索引载入失败。"); return; }
        var first = null;
        for (var i = shown; i < found.results.length; i++) {
          var made = item(found.results[i]);
          list.appendChild(made.li);
          if (first === null) first = made.link;
        }
        shown = found.results.length;
        if (!found.total) say("没有找到与“" + q.trim() + "”相关的单位或记录。");
        else say(found.total > shown ? "找到 " + found.total + " 条结果，显示前 " + shown + " 条。"
                                     : "找到 " + found.total + " 条结果。");
        if (more) {
          more.hidden = shown >= found.total;
          more.textContent = "显示更多（还有 " + (found.total - shown) + " 条）";
        }
        if (focus && first && first.focus) first.focus();
      });
    }

    function show() {
      var q = input.value;
      while (list.firstChild) list.removeChild(list.firstChild);
      query = q;
      shown = 0;
      asked++;
      if (more) more.hidden = true;
      if (failed) { say("搜索索引载入失败。"); return; }
      if (!search) { say("正在载入索引……"); return; }
      if (!terms(q).length) { say(""); return; }
      say("正在载入索引……");
      append(false);
    }

    function keepQuery() {
      try {
        var url = new URL(global.location.href);
        if (input.value) url.searchParams.set("q", input.value); else url.searchParams.delete("q");
        global.history.replaceState(null, "", url.href);
      } catch (e) { /* file:// in some browsers: the query just is not kept */ }
    }

    function ready() {
      search = makeSearcher(global.QSGEN_SEARCH_INDEX, function (file, done, broken) {
        inject(root + "search/" + file + ".js", done, broken);
      });
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
      inject(root + "search/index.js", ready, function () { failed = true; show(); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(typeof window !== "undefined" ? window : globalThis);

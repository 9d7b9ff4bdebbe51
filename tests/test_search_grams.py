"""The gram index and normalise() held equal, byte for byte, to the straightforward ones they
replaced (tests/fixtures/search_reference_grams.py), on hostile text: NFKC and case, repeated
grams, characters outside the BMP, whole titles, runs named alike in one row."""

from __future__ import annotations

import pickle
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pytest
from fixtures import search_reference_grams as reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsgen.site import search
from qsgen.site.search import SearchDoc

# Chinese, ASCII in both cases, full-width forms (some replaced before the NFKC check, some
# not), compatibility characters, combining marks (which compose after NFKC: ＝ + U+0338 is ≠,
# カ + U+3099 is ガ), a character outside the BMP, separators and the underscore.
ALPHABET = ("知识产权保护罚款案件龙港所宣传" "abcXYZ019" "，：；（）｜！？　＝＜ＡＢｚ１２"
            "①ﬁ㈱ｶﬀ²Ⅻ" "\u0300\u0338\u3099\u0301" "カe=<" "𠮷" " _-·、。\u2028\n\t")
TEXT = st.text(alphabet=ALPHABET, max_size=80)
SLUG = st.text(alphabet="abcXY019-_.", min_size=1, max_size=12)
DOC = st.builds(lambda slug, title, text, body: SearchDoc(f"records/u/{slug}.html", title, "案件", "龙港所", text, body),
                SLUG, TEXT, TEXT, st.none() | st.text(alphabet=ALPHABET, max_size=700))


def _reference(name: str, nb: int, docs: list[SearchDoc]) -> dict[int, bytes]:
    return reference.sections(name, nb, [(d.url, search._title(d), search._searched(d)) for d in docs])


def _sections(name: str, nb: int, docs: list[SearchDoc]) -> dict[int, bytes]:
    part = search.make_part(name, [search.row(d) for d in docs], ["案件"], ["龙港所"], nb)
    return {b: bytes(data) for packed in part.sections.values() for b, data in search.unpack(packed).items()}


def _gram_files(nb: int, parts: list[search.Part]) -> dict[str, bytes]:
    return {path: data for path, data in search.index_files(["案件"], ["龙港所"], [], parts, [], nb)
            if path.startswith(search.GRAMS_DIR)}


def _reference_files(nb: int, parts: list[tuple[str, list[SearchDoc]]]) -> dict[str, bytes]:
    sections = [_reference(name, nb, docs) for name, docs in parts]
    return {search.gram_file(b): b"(window.QSGEN_SEARCH_GRAMS=window.QSGEN_SEARCH_GRAMS||{})[%d]={" % b
            + b",".join(s[b] for s in sections if b in s) + b"};\n" for b in range(nb)}


def _unique(docs: list[SearchDoc]) -> list[SearchDoc]:
    return list({d.url: d for d in docs}.values())


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(parts=st.lists(st.lists(DOC, max_size=8), min_size=1, max_size=3), nb=st.sampled_from([64, 256, 1024]))
def test_gram_files_equal_the_reference(parts, nb):
    seen: set[str] = set()
    named = []
    for i, docs in enumerate(parts):
        docs = [d for d in _unique(docs) if d.url not in seen]
        seen.update(d.url for d in docs)
        named.append((f"p{i}", docs))
    rows = [[search.row(d) for d in docs] for _name, docs in named]
    made = [search.make_part(name, rs, ["案件"], ["龙港所"], nb) for (name, _docs), rs in zip(named, rows, strict=True)]
    assert _gram_files(nb, made) == _reference_files(nb, named)
    # the rows, their runs taken, as kept for the next build: their part made again from their JSON
    assert all(r.runs is None for rs in rows for r in rs)
    again = [search.make_part(name, rs, ["案件"], ["龙港所"], nb) for (name, _docs), rs in zip(named, rows, strict=True)]
    assert _gram_files(nb, again) == _gram_files(nb, made)
    assert [p.files for p in again] == [p.files for p in made]


# The separators _runs() replaces, some next to letters and digits, and what else ALPHABET has.
RUN_TEXT = st.text(alphabet=ALPHABET + search._SEPARATORS + "/-_abc知识", max_size=400)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(text=RUN_TEXT | st.text(max_size=200) | st.text(alphabet="abc019/-_.:?#", max_size=80))
def test_runs_are_the_letters_and_digits(text):
    """_runs() (a split at separators, with the regular expression only for what is left) finds
    exactly the runs of the regular expression, short or long, ASCII or not, normalised or not."""
    for t in (text, search.normalise(text)):
        assert search._runs(t) == search._RUN.findall(t)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(text=st.text(alphabet=ALPHABET, max_size=60) | st.text(max_size=30))
def test_normalise_is_nfkc_and_lower_case(text):
    assert search.normalise(text) == unicodedata.normalize("NFKC", text).lower()


@pytest.mark.parametrize("text", ["＝\u0338", "，\u0338", "（Ａ\u0300）", "ｶ\u3099", "知识产权，保护：罚款（１２）",
                                  "㈱①ﬁ", "ＡＢＣ，abc", "\u3000", ""])
def test_normalise_cases(text):
    assert search.normalise(text) == unicodedata.normalize("NFKC", text).lower()


def test_runs_named_alike_in_one_row():
    """A title of 3,000 runs: many share a hash below M with another run of its row (the next
    free name then), and M grows with the most runs first seen in one row."""
    title = " ".join(f"词{i}" for i in range(3000))
    docs = [SearchDoc("records/u/a.html", title, "案件", "龙港所", "正文 词1 词2"),
            SearchDoc("records/u/b.html", "另一条", "案件", "龙港所", title[:5000])]
    for nb in (64, 1024):
        assert _sections("p", nb, docs) == _reference("p", nb, docs)


def test_repeated_grams_and_single_characters():
    docs = [SearchDoc("records/u/aaaa.html", "aaaa abab 𠮷𠮷𠮷 甲", "案件", "龙港所", "知识知识产权知识 a a b 𠮷"),
            SearchDoc("records/u/b.html", "知识", "案件", "龙港所", "aaaa"),
            SearchDoc("records/u/c.html", "，。", "案件", "龙港所", "")]
    for nb in (64, 1024):
        assert _sections("p", nb, docs) == _reference("p", nb, docs)


def test_sections_packed_and_unpacked_in_several_threads_at_once():
    """(Each thread has its own Zstandard contexts.) Every group gives its sections back."""
    sections = {b: b"%d:" % b * (b + 1) * 40 for b in range(0, 256, 3)}

    def again(_n: int) -> dict[int, bytes]:
        packed = search.pack(sections, 256)
        assert sorted(packed) == sorted({b - b % (256 // search.GROUPS) for b in sections})
        return {b: bytes(data) for group in packed.values() for b, data in search.unpack(group).items()}

    with ThreadPoolExecutor(4) as pool:
        assert all(found == sections for found in pool.map(again, range(12)))


def test_a_part_without_runs_has_no_sections():
    docs = [SearchDoc("_/-.html", "，。", "案件", "龙港所", "！？")]
    assert search.row(docs[0]).runs == ""
    assert search.make_part("p", [search.row(d) for d in docs], ["案件"], ["龙港所"], 64).sections == {}


def test_a_row_keeps_its_runs_until_its_part_is_made():
    """... in the process that made it: pickled (to the main process, to the page store)
    without them, and they are made again from its JSON when needed."""
    row = search.row(SearchDoc("records/u/case-1.html", "知识产权案", "案件", "龙港所", "罚款 3000 元，知识产权"))
    runs = "1知识产权案 2records 2u 2case 21 3罚款 33000 3元 3知识产权"
    assert row.runs == runs and search.row_runs(row) == runs
    sent = pickle.loads(pickle.dumps(row))
    assert sent == row and sent.runs is None and search.row_runs(sent) == runs and row.runs == runs
    part = search.make_part("p", [row], ["案件"], ["龙港所"], 64)
    assert row.runs is None and search.row_runs(row) == runs
    assert search.make_part("p", [sent], ["案件"], ["龙港所"], 64) == part


@pytest.mark.parametrize("url", ["units/longgang/index.html", "index.html", "a/index/b.html", "a/reindex.html",
                                 "records/u/Case-1.HTML", "a/b.html#index", "a/b.html?q=1", "a_b/c_d.html",
                                 "records/u/case-１.html"])
def test_slug_runs(url):
    docs = [SearchDoc(url, "标题", "案件", "龙港所", "正文")]
    assert _sections("p", 64, docs) == _reference("p", 64, docs)
    assert search.row(docs[0]).runs.split(" 3")[0] == search.runs(url, "标题", "")


def test_a_url_in_two_parts_is_refused_whether_kept_as_a_set_or_a_tuple():
    docs = [SearchDoc(f"records/u/{n}.html", f"标题{n}", "案件", "龙港所", "正文", None) for n in "abcd"]
    a = search.make_part("a", [search.row(d) for d in docs[:2]], ["案件"], ["龙港所"], 64)
    b = search.make_part("b", [search.row(d) for d in docs[2:]], ["案件"], ["龙港所"], 64)
    as_kept = [search.Part(p.meta, p.files, p.sections, tuple(p.urls), p.digests, p.runs) for p in (a, b)]
    assert _gram_files(64, [a, b]) == _gram_files(64, as_kept)  # (a page store's parts: tuples)
    again = search.make_part("c", [search.row(d) for d in docs[1:3]], ["案件"], ["龙港所"], 64)
    for parts in ([a, b, again], [*as_kept, again],
                  [a, search.Part(again.meta, again.files, again.sections, tuple(again.urls))]):
        with pytest.raises(search.QsgenError, match="records/u/b.html"):
            _gram_files(64, parts)


@pytest.mark.parametrize("slim", [False, True])
def test_gram_files_are_the_parts_sections_joined_whether_decompressed_ahead_or_not(slim):
    # (search.index_files: a thread decompresses groups ahead when the parts hold many; not for a few)
    nb = 64
    kinds, units = ["案件", "单位", "规则"], ["2023年", "2023年 甲所", "2023年 乙所"]
    parts = []
    for u, name in enumerate(["2023-jia", "2023-yi"]):
        rows = [search.row_of(f"2023/records/{name}/r{i}.html", f"第{i}号 案件{u}", "案件", units[u + 1],
                              f"正文 {i} 龙港 {i * 7 % 13} 罚款 {name}") for i in range(60)]
        parts.append(search.make_part(name, rows, kinds, units, nb))
    if slim:  # (as after one change: only a group or two of each part left to make)
        parts = [search.Part(p.meta, {}, dict(list(p.sections.items())[:1]), p.urls) for p in parts]
    assert (sum(len(p.sections) for p in parts) > 2 * len(parts)) is not slim
    got = dict(search.index_files(kinds, units, [], parts, [], nb))
    for b in range(nb):
        g = b - b % (nb // search.GROUPS)
        want = [search.unpack(p.sections[g])[b] for p in parts
                if g in p.sections and b in search.unpack(p.sections[g])]
        assert got[search.gram_file(b)] == search.gram_bytes(b, want)

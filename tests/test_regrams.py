"""site/regrams.py: a part's gram sections made again after a few of its rows changed are those
GramIndex makes of all its rows, byte for byte (packed the same, the same digests)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen.site import regrams, search

NAME = "2023-unit"
TEXT = st.text("ab甲乙丙1", min_size=1, max_size=6)  # (few letters: runs share grams, repeat them)


@st.composite
def a_row(draw) -> str:
    """A row's runs (Row.runs): a title (whole or in runs), slug runs, text runs; each distinct."""
    out: list[str] = []
    title = draw(st.lists(TEXT, min_size=0, max_size=3, unique=True))
    if len(title) == 1 and draw(st.booleans()):
        out.append("1" + title[0])
    else:
        out += ["0" + t for t in title]
    out += ["2" + t for t in draw(st.lists(TEXT, max_size=3, unique=True))]
    out += ["3" + t for t in draw(st.lists(TEXT, max_size=12, unique=True))]
    return " ".join(out)


def made(rows: list[str], nb: int) -> tuple[dict, dict[int, str]]:
    index = search.GramIndex(nb)
    index.rows = list(rows)
    sections = dict(index.sections(NAME))
    digests = {b: search.digest(data) for b, data in sections.items()}
    return search.pack(sections, nb, digests), digests


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(rows=st.lists(a_row(), min_size=1, max_size=30), nb=st.sampled_from([64, 256, 1024]), data=st.data())
def test_made_again_is_made_whole(rows, nb, data):
    before = list(rows)
    after = list(rows)
    for _ in range(data.draw(st.integers(1, 4))):
        k = data.draw(st.integers(0, len(rows) - 1))
        how = data.draw(st.sampled_from(["new", "add", "drop", "copy"]))
        runs = after[k].split(" ") if after[k] else []
        if how == "new":
            after[k] = data.draw(a_row())
        elif how == "add":
            token = "3" + data.draw(TEXT)
            if token not in runs:
                runs.insert(data.draw(st.integers(0, len(runs))), token)
            after[k] = " ".join(runs)
        elif how == "drop" and runs:
            runs.pop(data.draw(st.integers(0, len(runs) - 1)))
            after[k] = " ".join(runs)
        elif how == "copy":
            after[k] = after[data.draw(st.integers(0, len(rows) - 1))]
    packed, digests = made(before, nb)
    got = regrams.again(NAME, nb, after, before, packed, digests)
    if got is None:  # (too many rows changed, or a changed row's kept runs in another order)
        return
    assert got == made(after, nb)
    short, regrams.SHORT = regrams.SHORT, 0  # (rows as long as that: every row split, _Items)
    try:
        assert regrams.again(NAME, nb, after, before, packed, digests) == got
    finally:
        regrams.SHORT = short


def test_a_row_of_runs_colliding_in_their_names_renames_its_later_runs():
    # runs first seen in one row whose hashes meet below M: named one after the other
    import zlib

    seen: dict[int, str] = {}
    pair = None
    for i in range(100000):
        text = f"甲{i}"
        h = zlib.crc32(text.encode(), 3) % 4096
        if h in seen:
            pair = (seen[h], text)
            break
        seen[h] = text
    assert pair is not None
    before = ["3乙 3" + pair[1], "3丙"]
    after = ["3乙 3" + pair[0] + " 3" + pair[1], "3丙"]  # (the later run now comes second)
    packed, digests = made(before, 256)
    assert regrams.again(NAME, 256, after, before, packed, digests) == made(after, 256)
    packed, digests = made(after, 256)
    assert regrams.again(NAME, 256, before, after, packed, digests) == made(before, 256)


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(rows=st.lists(a_row(), min_size=1, max_size=20), nb=st.sampled_from([64, 256]), data=st.data())
def test_made_again_from_what_again_made(rows, nb, data):
    """Build after build (docs/benchmarks.md, 第八轮): each time from the sections and digests the
    last ``again`` made (its kept sections joined as the unpacked views they are, not copied),
    one row changed; every time, the sections all the rows make."""
    now = list(rows)
    packed, digests = made(now, nb)
    for _ in range(data.draw(st.integers(1, 4))):
        k = data.draw(st.integers(0, len(now) - 1))
        after = list(now)
        after[k] = data.draw(a_row())
        got = regrams.again(NAME, nb, after, now, packed, digests)
        whole = made(after, nb)
        if got is None:
            packed, digests = whole
        else:
            assert got == whole
            assert all(type(data) is bytes for data, _sizes in got[0].values())
            packed, digests = got
        now = after


def test_rows_long_enough_for_another_m_are_all_split():
    # a row first to see 2,048 runs or more: M is 8192 (search.name_base), not the 4096 the
    # runs looked for in the rows joined (_Local) take: made from every row split, the same bytes
    many = " ".join(f"3甲{i}" for i in range(2100))
    assert len(many) >= regrams.SHORT
    before = ["3乙 3丙", many, "3丙 3丁"]
    after = ["3乙 3戊", many, "3丙 3丁"]
    packed, digests = made(before, 256)
    assert regrams.again(NAME, 256, after, before, packed, digests) == made(after, 256)
    packed, digests = made(after, 256)
    assert regrams.again(NAME, 256, [*after[:1], many + " 3己", after[2]], after, packed, digests) == \
        made([*after[:1], many + " 3己", after[2]], 256)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(rows=st.lists(a_row(), min_size=2, max_size=40), nb=st.sampled_from([64, 256]), data=st.data())
def test_runs_moved_between_rows_keep_their_order(rows, nb, data):
    """Runs of a changed row seen first in it before and in a later row now (or the other way),
    and rows emptied and filled: the entries and items are put where S has them."""
    before = list(rows)
    after = list(rows)
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.integers(0, len(rows) - 1))
        how = data.draw(st.sampled_from(["empty", "take", "give"]))
        if how == "empty":
            after[k] = ""
        else:  # (the runs of another row, taken from or given to this one)
            other = after[data.draw(st.integers(0, len(rows) - 1))]
            mine = after[k].split(" ") if after[k] else []
            theirs = other.split(" ") if other else []
            after[k] = " ".join([x for x in theirs if x not in mine] + mine if how == "give"
                                else [x for x in mine if x not in theirs])
    packed, digests = made(before, nb)
    got = regrams.again(NAME, nb, after, before, packed, digests)
    if got is not None:
        assert got == made(after, nb)

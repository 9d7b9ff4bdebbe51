"""Search rows kept packed (site/packedrows.py): each answers as the Row it stands for, pickles
with its chunk once, and is unpacked only when read."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen.site import packedrows, search

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def _rows(texts: list[tuple[str, str]]) -> list[search.Row]:
    docs = [search.SearchDoc(url=f"records/u/r{i}.html", title=title or "无题", kind="信息报道", unit="龙港所",
                             text=text) for i, (title, text) in enumerate(texts)]
    return [search.row(d) for d in docs]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=30))
def test_a_packed_row_is_the_row_it_stands_for(texts):
    rows = _rows(texts)
    packed = packedrows.packed(rows)
    again = pickle.loads(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL))
    for row, p, q in zip(rows, packed, again, strict=True):
        assert isinstance(p, search.Row) and isinstance(q, search.Row)
        assert p == row and row == p and q == row
        assert (q.url, q.kind, q.unit, q.head, q.text) == (row.url, row.kind, row.unit, row.head, row.text)
        assert search.row_runs(q) == row.runs  # (worked out from its JSON: packed without runs)
    # the index made from packed rows is the one made from the rows
    assert search.make_part("u-2023", again, ["信息报道"], ["龙港所"], 64).files == \
        search.make_part("u-2023", _rows(texts), ["信息报道"], ["龙港所"], 64).files


def test_packed_rows_pickle_their_chunk_once_and_are_unpacked_only_when_read():
    rows = _rows([(f"标题{i}", "正文" * 50) for i in range(200)])
    packed = packedrows.packed(rows)
    chunk = packed[0]._chunk
    assert all(p._chunk is chunk for p in packed) and chunk.rows is None
    blob = pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)
    assert len(blob) < len(chunk.blob) + 200 * 20  # the chunk once, then a reference per row
    assert len(chunk.blob) < len(pickle.dumps(rows)) / 2
    again = pickle.loads(blob)
    assert again[0]._chunk is again[199]._chunk and again[0]._chunk.rows is None
    assert again[5].url == "records/u/r5.html"  # read: its chunk is unpacked, once
    assert again[0]._chunk.rows is not None
    again[7].runs = "1x"  # a row's runs, set, stay what was set when its fields are read
    assert again[7].head == rows[7].head and again[7].runs == "1x"


def test_a_packed_row_asked_first_for_its_runs_or_for_no_field():
    rows = _rows([(f"标题{i}", "正文") for i in range(3)])
    again = pickle.loads(pickle.dumps(packedrows.packed(rows), protocol=pickle.HIGHEST_PROTOCOL))
    assert again[1].runs is None  # (packed without runs) and its fields filled in with them
    assert (again[1].url, again[1].head, again[1].text) == (rows[1].url, rows[1].head, rows[1].text)
    again[2].runs = "3x"
    assert again[2].url == rows[2].url and again[2].runs == "3x"
    for name in ("nothing", "_chunk_missing"):
        try:
            getattr(again[0], name)
        except AttributeError:
            pass
        else:
            raise AssertionError(name)

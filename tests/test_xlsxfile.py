"""site/xlsxfile.py writes scores.xlsx with the very bytes XlsxWriter writes: the workbooks of
the fixture, of the example and of a generated corpus, and random sheets (strings that need
escaping, whitespace, control characters, long strings, numbers, blanks, every number of
decimal places) made through both and compared byte for byte."""

from __future__ import annotations

import datetime as dt
import io
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsgen.site import xlsx, xlsxfile

xlsxwriter = pytest.importorskip("xlsxwriter")

ROOT = Path(__file__).resolve().parents[1]


def test_the_fixtures_workbook_is_xlsxwriters():
    from site_fixture import SOURCE_DATE, make_results

    results = make_results()
    assert xlsx.scores_xlsx(results, SOURCE_DATE) == xlsx.scores_xlsx(results, SOURCE_DATE, xlsxwriter.Workbook)
    assert xlsx.scores_xlsx(results) == xlsx.scores_xlsx(results, None, xlsxwriter.Workbook)


def test_the_examples_workbook_is_xlsxwriters():
    from qsgen.build.pipeline import load_and_score

    for results in load_and_score(ROOT)[0]:  # (the repository's own records: the example)
        when = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
        assert xlsx.scores_xlsx(results, when) == xlsx.scores_xlsx(results, when, xlsxwriter.Workbook)


def test_a_generated_corpus_workbook_is_xlsxwriters(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import gen_corpus

    from qsgen.records import load_records
    from qsgen.rules import load_rules
    from qsgen.scoring.engine import score

    gen_corpus.generate(300, tmp_path)
    rules, _ = load_rules(tmp_path)
    records, _ = load_records(tmp_path, rules)
    results = score(rules, records)
    when = dt.datetime(2023, 12, 31, 8, 30)
    assert xlsx.scores_xlsx(results, when) == xlsx.scores_xlsx(results, when, xlsxwriter.Workbook)


_TEXT = st.lists(st.sampled_from(
    [*string.printable, "\x00", "\x07", "\x1f", "\x85", "\u3000", "\u00a0", "_x0041_", "<r>", "</r>", "&amp;",
     "沁", "水", "县", "，", "\U0001f600"]), max_size=30).map("".join) | st.just("<r>x</r>")
_VALUE = st.one_of(st.none(), st.just(""), _TEXT, st.integers(-10**18, 10**18),
                   st.floats(allow_nan=False, allow_infinity=False, width=64))


def _book(workbook, places: int, sheets: list, props: dict) -> bytes:
    """Sheets made as scores_xlsx makes them (xlsx._Sheet), through ``workbook``."""
    buf = io.BytesIO()
    book = workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                          "strings_to_urls": False})
    book.set_properties(props)
    formats = xlsx.book_formats(book, places)
    for n, (headers, rows, caps) in enumerate(sheets):
        sheet = xlsx._Sheet(book, ["汇总", "任务项", "板块", "加减分", "说明"][n], headers, formats, caps)
        for values, numbers, wrap in rows:
            sheet.add(values[:len(headers)] + [None] * (len(headers) - len(values)),
                      {c for c in numbers if c < len(headers)}, {c for c in wrap if c < len(headers)})
        sheet.finish()
    book.close()
    return buf.getvalue()


_SHEET = st.integers(2, 6).flatmap(lambda width: st.tuples(
    st.lists(_TEXT.filter(bool), min_size=width, max_size=width),
    st.lists(st.tuples(st.lists(_VALUE, max_size=width), st.sets(st.integers(0, width - 1)),
                       st.sets(st.integers(0, width - 1))), max_size=6),
    st.dictionaries(st.integers(0, width - 1), st.integers(1, 90), max_size=3)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(places=st.integers(0, 4), sheets=st.lists(_SHEET, min_size=1, max_size=5),
       title=_TEXT, author=_TEXT, when=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1)))
def test_random_sheets_are_written_as_xlsxwriter_writes_them(places, sheets, title, author, when):
    # (a number column holds numbers: scores_xlsx's are; formatting a string with places would fail in both)
    sheets = [(headers, [([v if c not in numbers or isinstance(v, (int, float)) else 1.5 for c, v in enumerate(values)],
                          numbers, wrap) for values, numbers, wrap in rows], caps) for headers, rows, caps in sheets]
    props = {"title": title, "subject": title[::-1], "author": author, "company": author, "created": when,
             "comments": "由 qsgen 生成 & <检查>"}
    assert _book(xlsxfile.Workbook, places, sheets, props) == _book(xlsxwriter.Workbook, places, sheets, props)


def test_a_string_longer_than_a_cell_holds_is_cut_as_xlsxwriter_cuts_it():
    long = "沁" * 32000 + "\U0001f600" * 600 + "尾"
    sheets = [(["项目", "内容"], [(["a", long], set(), {1}), (["\U0001f600" * 20000, "b"], set(), set())], {})]
    props = {"title": "t", "author": "a", "created": dt.datetime(2024, 1, 1)}
    assert _book(xlsxfile.Workbook, 2, sheets, props) == _book(xlsxwriter.Workbook, 2, sheets, props)


def test_what_it_does_not_write_as_xlsxwriter_would_is_refused():
    book = xlsxfile.Workbook(io.BytesIO())
    with pytest.raises(ValueError):
        book.add_format({"italic": True})
    with pytest.raises(ValueError):
        xlsxfile.Workbook(io.BytesIO(), {"constant_memory": True})
    sheet = book.add_worksheet("汇总")
    fmt = book.add_format({"valign": "top"})
    sheet.write_string(0, 1, "x", fmt)
    with pytest.raises(ValueError):
        sheet.write_string(0, 0, "y", fmt)  # (cells in order)
    with pytest.raises(ValueError):
        sheet.freeze_panes(2, 0)

"""records.FileSource: the walk gets each file's FileResult from a source and checks across the results;
the record memo is such a source, replaying exactly what a fresh read gives."""

from __future__ import annotations

import pickle

import pytest
from fixtures.recordkit import EVIDENCE, NEWS, case, load, real_rules, write

from qsgen.incremental import recordmemo
from qsgen.records import FileResult, load_records, read_record_file

P = "records/2023/"


class Spy:
    """A FileSource that reads afresh and notes what the walk asked for."""

    def __init__(self) -> None:
        self.calls: dict[str, tuple] = {}
        self.results: dict[str, FileResult] = {}

    def __call__(self, ctx, folder, entry, path, assessment):
        self.calls[path] = (ctx, folder, entry, path, assessment)
        self.results[path] = result = read_record_file(ctx, folder, entry, path, assessment)
        return result


def _repo(root):
    """Good and bad files of several sorts, in two units."""
    write(root, "longgang/case-1.md", case("沁市监罚〔2023〕1号"))
    write(root, "longgang/case-2.md", case("沁市监罚〔2023〕2号") + "见 [一号](case-1.md) 和 [零号](case-0.md)。\n",
          dedent=False)
    write(root, "longgang/news-1.md", NEWS)
    write(root, "longgang/News-2.md", NEWS)  # a name to fix
    write(root, "longgang/evidence-1.md", EVIDENCE.format(task="s01-1"))
    # an error, and a link to a record not there (told with the error)
    write(root, "longgang/evidence-2.md", EVIDENCE.format(task="s99-1") + "见 [九号](case-9.md)。\n", dedent=False)
    write(root, "longgang/assessment.yaml", "items:\n  s01-1: {score: 28}\n")
    write(root, "zhifadui/case-1.md", case("沁市监罚〔2023〕3号", extra="team: 一中队"))
    write(root, "zhifadui/README.md", "说明\n")


def _same(a, b) -> None:
    (ra, da), (rb, db) = a, b
    assert ra.records == rb.records
    assert ra.assessments == rb.assessments
    assert da == db


def test_the_walk_gets_every_file_from_its_source(tmp_path):
    _repo(tmp_path)
    spy = Spy()
    _same(load_records(tmp_path, real_rules(), spy), load(tmp_path))
    assert sorted(spy.calls) == [P + p for p in (
        "longgang/News-2.md", "longgang/assessment.yaml", "longgang/case-1.md", "longgang/case-2.md",
        "longgang/evidence-1.md", "longgang/evidence-2.md", "longgang/news-1.md", "zhifadui/case-1.md")]
    assert [p for p, call in spy.calls.items() if call[4]] == [P + "longgang/assessment.yaml"]
    assert spy.results[P + "longgang/case-1.md"].case_numbers == (
        ("沁市监罚〔2023〕1号", P + "longgang/case-1.md", 5, "沁市监罚〔2023〕1号"),)
    bad = spy.results[P + "longgang/evidence-2.md"]
    assert bad.bad and bad.records == ()
    assert [d.severity for d in bad.diagnostics] == ["error", "warning"]  # the dead link with the error
    good = spy.results[P + "longgang/case-2.md"]
    assert good.diagnostics == () and len(good.records) == 1  # its dead link is a check across files


def test_a_file_result_is_a_plain_value(tmp_path):
    _repo(tmp_path)
    spy = Spy()
    load_records(tmp_path, real_rules(), spy)
    for path, call in spy.calls.items():
        again = read_record_file(*call)
        assert again == spy.results[path]
        assert pickle.loads(pickle.dumps(again)) == again
    with pytest.raises(AttributeError):
        again.bad = True  # type: ignore[misc]


def test_the_checks_across_files_run_on_the_results_given(tmp_path):
    _repo(tmp_path)
    rules = real_rules()
    first = Spy()
    load_records(tmp_path, rules, first)
    changed = P + "zhifadui/case-1.md"
    write(tmp_path, "zhifadui/case-1.md", case("沁市监罚〔2023〕1号", extra="team: 一中队"))  # longgang's number
    write(tmp_path, "longgang/case-0.md", case("沁市监罚〔2023〕4号"))  # case-2.md's link now resolves

    def replay(ctx, folder, entry, path, assessment):
        if path in first.results and path != changed:
            return first.results[path]
        return read_record_file(ctx, folder, entry, path, assessment)

    result = load_records(tmp_path, rules, replay)
    _same(result, load(tmp_path))
    duplicates = [d.path for d in result[1] if "重复" in d.message]
    assert duplicates == [P + "longgang/case-1.md", changed]
    assert not any("零号" in d.message or "case-0.md" in d.message for d in result[1])


def test_the_record_memo_replays_what_a_fresh_read_gives(tmp_path):
    _repo(tmp_path)
    rules = real_rules()
    memo = recordmemo.RecordMemo()
    _same(memo.load(tmp_path, rules), load(tmp_path))
    assert memo.reused == 0
    spy = Spy()
    load_records(tmp_path, rules, spy)
    _same(memo.load(tmp_path, rules), load(tmp_path))
    assert memo.reused == len(memo.entries) == 6  # the files read without any diagnostic
    assert memo.parsed == 2  # News-2.md and evidence-2.md (errors) are read again
    for path, (_key, result) in memo.entries.items():
        assert result == read_record_file(*spy.calls[path])


def test_a_fresh_memo_remembers_every_file_as_one_at_a_time_would(tmp_path, monkeypatch):
    # (_Replay._fresh: a memo with nothing of the files, as in a clean build, takes them in one
    # loop: the same entries, shards to save, count and digests noted as _remember's)
    from qsgen.incremental import cache

    _repo(tmp_path)
    write(tmp_path, "longgang/evidence-X.md", EVIDENCE.format(task="s01-1"))  # names that clash
    write(tmp_path, "longgang/evidence-x.md", EVIDENCE.format(task="s01-1"))
    rules = real_rules()
    fresh, calls = recordmemo.RecordMemo(), []
    taken = recordmemo._Replay._fresh
    monkeypatch.setattr(recordmemo._Replay, "_fresh", lambda self, *a: calls.append(1) or taken(self, *a))
    fresh_digests = cache.DigestMemo()
    got = fresh.load(tmp_path, rules, fresh_digests)
    assert calls == [1]

    def one_at_a_time(self, todo, results, listed, out):
        for (i, key, clashed), result in zip(todo, results, strict=True):
            out[i] = self._remember(listed[i][2], key, clashed, result)

    monkeypatch.setattr(recordmemo._Replay, "_fresh", one_at_a_time)
    slow, slow_digests = recordmemo.RecordMemo(), cache.DigestMemo()
    _same(slow.load(tmp_path, rules, slow_digests), got)
    _same(got, load(tmp_path))
    assert fresh.entries == slow.entries and len(fresh.entries) == 6  # (read without any diagnostic)
    assert fresh.dirty == slow.dirty == {"2023-longgang", "2023-zhifadui"}
    assert fresh.parsed == slow.parsed == 10 and fresh.reused == slow.reused == 0
    assert fresh_digests.before == slow_digests.before == {}
    # a memo that has files already takes each one as before
    calls.clear()
    monkeypatch.setattr(recordmemo._Replay, "_fresh", lambda self, *a: calls.append(1) or taken(self, *a))
    write(tmp_path, "longgang/news-1.md", NEWS + "又一段。\n", dedent=False)
    _same(fresh.load(tmp_path, rules), load(tmp_path))
    assert calls == [] and fresh.parsed == 5  # (news-1.md, and the four with a diagnostic)


def test_a_warm_memo_reads_a_file_with_errors_again(tmp_path):
    _repo(tmp_path)
    rules = real_rules()
    memo = recordmemo.RecordMemo()
    first = memo.load(tmp_path, rules)
    assert any("case-9.md" in d.message for d in first[1])
    write(tmp_path, "longgang/case-9.md", case("沁市监罚〔2023〕9号"))  # what evidence-2.md links to
    write(tmp_path, "longgang/news-2.md", NEWS)  # the name News-2.md is told to take
    second = memo.load(tmp_path, rules)
    _same(second, load(tmp_path))
    assert not any("case-9.md" in d.message for d in second[1])


def test_a_name_clash_undone_brings_the_record_back(tmp_path):
    _repo(tmp_path)
    rules = real_rules()
    memo = recordmemo.RecordMemo()
    write(tmp_path, "longgang/evidence-X.md", EVIDENCE.format(task="s01-1"))
    write(tmp_path, "longgang/evidence-x.md", EVIDENCE.format(task="s01-1"))
    records, diags = memo.load(tmp_path, rules)
    assert {d.path for d in diags if "只差大小写" in d.message} == {P + "longgang/evidence-X.md",
                                                                P + "longgang/evidence-x.md"}
    assert P + "longgang/evidence-x.md" not in {r.path for r in records.records}
    (tmp_path / P / "longgang/evidence-X.md").unlink()
    records, diags = memo.load(tmp_path, rules)
    _same((records, diags), load(tmp_path))
    assert P + "longgang/evidence-x.md" in {r.path for r in records.records}

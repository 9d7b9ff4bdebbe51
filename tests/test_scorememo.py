"""scorememo.py: per-unit scores reused while a unit's inputs are unchanged, on disk and warm."""

from __future__ import annotations

import io
import pickle
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules

from qsgen.incremental import cache, scorememo
from qsgen.records import load_records
from qsgen.rules import load_rules
from qsgen.scoring.engine import score

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    copy_rules(root)
    shutil.copytree(REPO / "records" / "2023", root / "records" / "2023")
    return root


def _load(root: Path):
    rules, _ = load_rules(root)
    records, diags = load_records(root, rules)
    assert not [d for d in diags if d.severity == "error"]
    return rules, records


def _digests(records) -> dict[int, str]:
    return {id(r): cache.record_digest(r) for r in records.records}


def _saved(repo):
    """Rules and records of ``repo``, every unit scored into a memo saved to disk."""
    rules, records = _load(repo)
    memo = scorememo.ScoreMemo("base")
    memo.score(rules, records, _digests(records))
    memo.save(repo, rules)
    return rules, records


def _same(a, b) -> None:
    assert [u.unit.slug for u in a.units] == [u.unit.slug for u in b.units]
    for x, y in zip(a.units, b.units, strict=True):
        assert x == y  # every score, line, rank and explanation
        assert repr(x) == repr(y)


def test_scores_equal_plain_scoring_and_every_unit_is_reused_next_time(repo):
    rules, records = _load(repo)
    memo = scorememo.ScoreMemo("base")
    first = memo.score(rules, records, _digests(records))
    _same(first, score(rules, records))
    assert (memo.scored, memo.reused) == (len(rules.units), 0)
    assert all(u.inputs and u.outline for u in first.units)
    again = memo.score(rules, records, _digests(records))
    assert (memo.scored, memo.reused) == (0, len(rules.units))
    _same(again, score(rules, records))


def test_on_disk_scores_resolve_to_the_rules_just_loaded(repo):
    _saved(repo)
    rules2, records2 = _load(repo)  # a new process: new rule objects
    loaded = scorememo.ScoreMemo.load(repo, "base")
    results = loaded.score(rules2, records2, _digests(records2))
    assert loaded.reused == len(rules2.units)
    _same(results, score(rules2, records2))
    by_slug = {u.slug: u for u in rules2.units}
    for us in results.units:
        assert us.unit is by_slug[us.unit.slug]
        assert all(it.item in us.unit.items for it in us.items)
        assert all(a.rule in rules2.adjustments for a in us.adjustments)
    assert scorememo.ScoreMemo.load(repo, "another code version").entries == {}


def test_a_changed_record_rescores_only_its_unit(repo):
    rules, records = _load(repo)
    memo = scorememo.ScoreMemo("base")
    memo.score(rules, records, _digests(records))
    case = next(p for p in sorted((repo / "records" / "2023" / "longgang").glob("case-*.md")))
    text = case.read_text("utf-8")
    assert "fine:" in text
    case.write_text(text.replace("fine:", "fine: 50000\nold_fine:", 1).replace("\nold_fine:", "\n# old:", 1),
                    "utf-8")
    rules, records = _load(repo)
    results = memo.score(rules, records, _digests(records))
    assert (memo.scored, memo.reused) == (1, len(rules.units) - 1)
    _same(results, score(rules, records))


def test_a_damaged_entry_is_only_a_miss(repo):
    rules, records = _saved(repo)
    loaded = scorememo.ScoreMemo.load(repo, "base")
    slug = next(iter(loaded.entries))
    loaded.entries[slug] = (loaded.entries[slug][0], b"not a pickle")
    results = loaded.score(rules, records, _digests(records))
    assert loaded.scored == 1
    _same(results, score(rules, records))


def test_a_unit_scored_ahead_from_its_own_records_is_taken_and_from_others_is_not(repo):
    """prescore (a clean build scores a unit once its folder is read): taken by score() when
    the unit's inputs there are these very ones, scored again when they are not."""
    from qsgen.core.model import RecordSet

    rules, records = _load(repo)
    digests = _digests(records)
    units = [u for u in rules.units if records.by_unit(u.slug)]
    whole, short = units[0], units[1]
    memo = scorememo.ScoreMemo("base")
    own = records.by_unit(whole.slug)  # its folder's records and assessment only
    memo.prescore(rules, whole, RecordSet(rules.year, own, {k: a for k, a in records.assessments.items()
                                                            if k == whole.slug}), digests)
    ahead = memo.entries[whole.slug][1]
    part = records.by_unit(short.slug)[1:]  # a record short (say, read after the others)
    memo.prescore(rules, short, RecordSet(rules.year, part, dict(records.assessments)), digests)
    results = memo.score(rules, records, digests)
    assert (memo.scored, memo.reused) == (len(rules.units) - 1, 1)
    assert next(u for u in results.units if u.unit is whole) is ahead
    _same(results, score(rules, records))
    again = scorememo.ScoreMemo("base")
    again.score(rules, records, digests)
    kept = again.entries[whole.slug][1]
    again.prescore(rules, whole, records, digests)  # remembered already: left as it is
    assert again.entries[whole.slug][1] is kept


def test_a_unit_scored_ahead_from_the_very_records_is_not_hashed_again(repo, monkeypatch):
    """score() takes the key prescore() worked out for a unit whose record objects (in order)
    and assessment are the very ones; any other unit's inputs are hashed."""
    from qsgen.core.model import RecordSet

    rules, records = _load(repo)
    digests = _digests(records)
    memo = scorememo.ScoreMemo("base")
    first = next(u for u in rules.units if records.by_unit(u.slug))
    memo.prescore(rules, first, RecordSet(rules.year, records.by_unit(first.slug),
                                          {k: a for k, a in records.assessments.items() if k == first.slug}), digests)
    hashed = []
    real = scorememo.unit_inputs
    monkeypatch.setattr(scorememo, "unit_inputs", lambda base, recs, slug, d: hashed.append(slug) or real(base, recs, slug, d))
    results = memo.score(rules, records, digests)
    assert first.slug not in hashed and len(hashed) == len(rules.units) - 1
    assert next(u for u in results.units if u.unit is first).inputs == real("base\0None", records, first.slug, digests)
    _same(results, score(rules, records))


def test_a_unit_whose_records_changed_in_their_bodies_alone_keeps_its_pickle_under_its_new_inputs(repo):
    """A body-only change keeps the unit's score (see ScoreMemo.score's ``before``): saved
    again under the new key with the very pickle it was loaded from, not pickled anew; what
    the next build loads from it carries the new key as its inputs."""
    rules, records = _saved(repo)
    rules, records = _load(repo)
    digests = _digests(records)
    target = records.records[0]
    before = {id(target): digests[id(target)]}  # (what the record "replaced" digested to)
    digests = {**digests, id(target): "another digest"}
    memo = scorememo.ScoreMemo.load(repo, "base")
    kept = memo.entries[target.unit][1]
    results = memo.score(rules, records, digests, before=before)
    assert memo.reused == len(rules.units)
    mine = next(u for u in results.units if u.unit.slug == target.unit)
    key, us, pickled = memo.entries[target.unit]
    assert us is mine and us.inputs == key and pickled is kept
    memo.save(repo, rules)
    again = scorememo.ScoreMemo.load(repo, "base")
    assert again.entries[target.unit][0] == key
    results2 = again.score(rules, records, digests)
    assert again.reused == len(rules.units)
    assert next(u for u in results2.units if u.unit.slug == target.unit).inputs == key
    _same(results2, score(rules, records))


def test_fractions_come_back_as_the_very_fractions_pickled(repo):
    """A Fraction is pickled as its numerator and denominator (not its str, parsed again):
    what comes back is an equal Fraction, normalised as it was, of every size and sign."""
    rules, records = _saved(repo)
    loaded = scorememo.ScoreMemo.load(repo, "base")
    _same(loaded.score(rules, records, _digests(records)), score(rules, records))
    names, objects = scorememo._rule_names(rules), scorememo._rule_objects(rules)
    us = score(rules, records).units[0]
    values = [Fraction(0), Fraction(-7, 3), Fraction(10**30 + 1, 3**40), Fraction(5)]
    us.base, us.projected = values[1], values[2]
    us.computation = [str(v) for v in values]
    us.outline = "x"
    buf = io.BytesIO()
    scorememo._Pickler(buf, names).dump((us, values))
    assert b"Fraction" not in buf.getvalue()  # (no str of one to parse again)
    again = pickle.Unpickler(io.BytesIO(buf.getvalue()))
    again.persistent_load = objects.__getitem__
    back, got = again.load()
    assert back == us and repr(back) == repr(us)
    for a, b in zip(got, values, strict=True):
        assert type(a) is Fraction and a == b and (a.numerator, a.denominator) == (b.numerator, b.denominator)
        assert hash(a) == hash(b) and str(a) == str(b)


def test_an_entry_naming_an_unknown_rule_object_is_only_a_miss(repo):
    rules, records = _saved(repo)
    slug = rules.units[0].slug
    data = scorememo.ScoreMemo.load(repo, "base").entries[slug][1]
    objects = scorememo._rule_objects(rules)
    assert scorememo._load(data, objects, slug) is not None
    del objects[("unit", slug)]
    assert scorememo._load(data, objects, slug) is None


def test_a_kept_score_unpickles_its_adjustments_and_computation_only_when_asked(repo):
    """The parts no page of an unchanged unit reads are pickled apart and unpickled when first
    asked for (by attribute, comparison or repr): then equal to a fresh score's."""
    rules, records = _saved(repo)
    loaded = scorememo.ScoreMemo.load(repo, "base")
    results = loaded.score(rules, records, _digests(records))
    assert loaded.reused == len(rules.units)
    for us in results.units:
        assert "_rest" in us.__dict__
        assert not set(scorememo._LAZY) & set(us.__dict__)
        assert us.total is not None and us.items is not None  # (the rest stays packed)
        assert "_rest" in us.__dict__
    _same(results, score(rules, records))
    assert not any("_rest" in us.__dict__ for us in results.units)
    lazy = scorememo.ScoreMemo.load(repo, "base").score(rules, records, _digests(records)).units[0]
    fresh = next(u for u in score(rules, records).units if u.unit.slug == lazy.unit.slug)
    assert lazy.adjustments == fresh.adjustments and lazy.computation == fresh.computation
    with pytest.raises(AttributeError):
        lazy.no_such_field  # noqa: B018


def test_a_kept_score_pickles_as_a_whole_one(repo):
    """A kept score handed on (a worker rendering its unit's page) is pickled with its rest."""
    rules, records = _saved(repo)
    units = scorememo.ScoreMemo.load(repo, "base").score(rules, records, _digests(records)).units
    fresh = {u.unit.slug: u for u in score(rules, records).units}
    for us in units:
        back = pickle.loads(pickle.dumps(us))
        assert type(back) is type(fresh[us.unit.slug]) and "_rest" not in back.__dict__
        assert back == fresh[us.unit.slug] and repr(back) == repr(fresh[us.unit.slug])


def test_a_damaged_rest_is_taken_from_the_unit_scored_again(repo):
    rules, records = _saved(repo)
    loaded = scorememo.ScoreMemo.load(repo, "base")
    for slug, (key, (head, _rest, names)) in list(loaded.entries.items()):
        loaded.entries[slug] = (key, (head, b"not a pickle", names))
    results = loaded.score(rules, records, _digests(records))
    assert loaded.reused == len(rules.units)
    _same(results, score(rules, records))


def test_a_rest_naming_an_unknown_rule_object_is_only_a_miss(repo):
    rules, records = _saved(repo)
    entries = scorememo.ScoreMemo.load(repo, "base").entries
    slug, data = next((slug, v[1]) for slug, v in entries.items() if any(n[0] == "rule" for n in v[1][2]))
    objects = scorememo._rule_objects(rules)
    assert scorememo._load(data, objects, slug) is not None
    del objects[next(n for n in data[2] if n[0] == "rule")]
    assert scorememo._load(data, objects, slug) is None


def test_the_outline_tells_what_a_unit_page_shows_and_nothing_else(repo):
    # (outline: the score's repr and its records' id, kind, title and date, hashed apart by a NUL)
    import dataclasses

    rules, records = _load(repo)
    results = score(rules, records)
    again = score(rules, records)
    for us, twin in zip(results.units, again.units, strict=True):
        own = records.by_unit(us.unit.slug)
        assert scorememo.outline(us, own) == scorememo.outline(twin, own)
        if not own:
            continue
        assert "\0" not in repr(us) + repr([(r.id, r.kind, r.title, r.date) for r in own])
        body = [dataclasses.replace(own[0], body=own[0].body + "又一段。\n"), *own[1:]]
        assert scorememo.outline(us, body) == scorememo.outline(us, own)
        retitled = [dataclasses.replace(own[0], title=own[0].title + "（改）"), *own[1:]]
        assert scorememo.outline(us, retitled) != scorememo.outline(us, own)
        assert scorememo.outline(dataclasses.replace(us, total=us.total + 1), own) != scorememo.outline(us, own)
        assert scorememo.outline(us, own[1:]) != scorememo.outline(us, own)

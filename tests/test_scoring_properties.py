"""Property tests of the scoring engine (hypothesis): monotonicity, quota bounds, ranking, caps."""

from fractions import Fraction as F

from helpers_rules import (
    NEWS_10,
    NEWS_31,
    Progress,
    case,
    const,
    item,
    jiguan,
    judge_all,
    lead,
    make_rules,
    news,
    part,
    quota,
    rec,
    records,
    station,
    team_quota,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from qsgen.core.model import QuotaPart
from qsgen.scoring.engine import quota_counted, score

CATEGORIES = ["知识产权", "广告", "药品", "无照经营", "其他"]
LEVELS = ["national", "provincial", "city", "county"]
MINS = {"知识产权": 2, "广告": 1, "药品": 3}

FAST = settings(max_examples=60, deadline=None)

fines = st.one_of(
    st.sampled_from(["0", "9999", "10000", "49999.99", "50000", "99999", "100000"]),
    st.decimals(min_value=0, max_value=200000, places=2, allow_nan=False, allow_infinity=False).map(str),
)
case_specs = st.tuples(st.sampled_from(CATEGORIES), fines, st.sampled_from(["general", "simple"]),
                       st.sampled_from(["一中队", "二中队"]), st.booleans())


def units():
    unlicensed = [part("u", kind="case", where={"category": "无照经营"}, amount=const("0.5")),
                  part("u10k", kind="case", where={"category": "无照经营", "fine": {"ge": 10000}},
                       amount=const(1))]
    zf = jiguan("zhifadui", items=[
        item("t01", 50),
        item("t06", 50, method="quota", quota=team_quota({"一中队": (12, MINS), "二中队": (12, MINS)}),
             progress=Progress("cases")),
    ], teams=["一中队", "二中队"])
    return [
        jiguan("fagui", news_quota=NEWS_10, lead_target=4),
        zf,
        station("longgang", case_quota=quota(10, MINS), news_quota=NEWS_31, extras={"s01-1": unlicensed}),
    ]


def make_cases(slug, specs):
    return [case(slug, cat, fine=fine, procedure=proc, team=team, transferred=tr)
            for cat, fine, proc, team, tr in specs]


def totals(us, recs):
    rules = make_rules(us)
    result = score(rules, records(recs, {u.slug: judge_all(u) for u in us}))
    return {u.unit.slug: u.total for u in result.units}


@FAST
@given(st.lists(case_specs, max_size=30), case_specs.filter(lambda s: F(s[1]) > 0),
       st.sampled_from(["fagui", "zhifadui", "longgang"]))
def test_adding_a_fined_case_never_lowers_the_total(existing, new, slug):
    us = units()
    recs = make_cases(slug, existing)
    before = totals(us, recs)[slug]
    after = totals(us, recs + make_cases(slug, [new]))[slug]
    assert after >= before
    if slug == "fagui":
        assert after - before >= F("3.5")   # B6a: every fined case earns 3.5


@FAST
@given(st.lists(st.sampled_from(CATEGORIES), max_size=40), st.sampled_from(CATEGORIES),
       st.integers(min_value=6, max_value=30))
def test_counted_bounded_and_monotone(cats, extra, total):
    p = QuotaPart(None, total, MINS)
    c = quota_counted(p, cats)
    assert 0 <= c <= total
    assert c <= len(cats)
    assert quota_counted(p, cats + [extra]) >= c
    assert quota_counted(p, cats + [extra]) <= c + 1


@FAST
@given(st.lists(st.integers(min_value=0, max_value=6).map(lambda n: F(n, 3)), min_size=1, max_size=12))
def test_ranking_is_consistent_with_totals(scores):
    us = [jiguan(f"u{i}", items=[item("t01", 10)]) for i in range(len(scores))]
    judged = {u.slug: {"t01": s} for u, s in zip(us, scores, strict=True)}
    result = score(make_rules(us, []), records([], judged))
    n = len(us)
    ranks = [u.rank for u in result.units]
    assert all(1 <= r <= n for r in ranks)
    assert ranks == sorted(ranks)
    for a in result.units:
        for b in result.units:
            if a.total > b.total:
                assert a.rank < b.rank
            if a.total == b.total:
                assert a.rank == b.rank
    # without ties the ranks are exactly 1..n
    if len(set(scores)) == n:
        assert ranks == list(range(1, n + 1))
    # competition ranking: a rank is one more than the number of better units
    for u in result.units:
        assert u.rank == 1 + sum(1 for o in result.units if o.total > u.total)
        assert u.group_rank == u.rank   # one group here


other_records = st.one_of(
    st.builds(lambda lv, adopted: ("news", {"level": lv, "adopted_by": adopted}),
              st.sampled_from(LEVELS), st.lists(st.sampled_from(LEVELS), max_size=2)),
    st.just(("case-lead", {})),
    st.builds(lambda c, lv, qa: ("commendation", {"category": c, "level": lv, "issuer": "x", "quota_allocated": qa}),
              st.sampled_from(["B1", "B2", "B3", "B4"]), st.sampled_from(LEVELS), st.booleans()),
    st.builds(lambda p: ("discretionary", {"points": p, "meeting": "m"}), st.integers(1, 10)),
    st.builds(lambda lv: ("criticism", {"level": lv, "issuer": "x"}), st.sampled_from(LEVELS)),
    st.builds(lambda n: ("accountability", {"persons": n}), st.integers(1, 3)),
    st.builds(lambda f: ("enforcement-error", {"found_by": f}), st.sampled_from(["review", "litigation", "supervision"])),
    st.just(("attendance", {})),
    st.just(("absence", {})),
    st.builds(lambda p: ("misconduct", {"points": p}), st.integers(5, 10)),
)


@FAST
@given(st.lists(other_records, max_size=40), st.lists(case_specs, max_size=15),
       st.sampled_from(["fagui", "zhifadui", "longgang"]))
def test_adjustment_amounts_are_non_negative_and_within_cap(others, cases_, slug):
    us = units()
    recs = make_cases(slug, cases_)
    for kind, fields in others:
        if kind == "news":
            recs.append(news(slug, fields["level"], adopted_by=[("o", lv) for lv in fields["adopted_by"]]))
        elif kind == "case-lead":
            recs.append(lead(slug))
        else:
            recs.append(rec(slug, kind, **fields))
    result = score(make_rules(us), records(recs, {u.slug: judge_all(u) for u in us}))
    u = result.unit(slug)
    for a in u.adjustments:
        assert a.amount >= 0
        assert all(ln.amount >= 0 for ln in a.lines)
        assert a.raw == sum((ln.amount for ln in a.lines), F(0))
        if a.rule.cap is not None:
            assert a.amount <= a.rule.cap
            assert a.amount == min(a.raw, a.rule.cap)
        else:
            assert a.amount == a.raw
    assert u.bonus == sum((a.amount for a in u.adjustments if a.rule.sign > 0), F(0))
    assert u.deduction == sum((a.amount for a in u.adjustments if a.rule.sign < 0), F(0))
    assert u.total == u.base + u.bonus - u.deduction

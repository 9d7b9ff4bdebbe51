"""The score lines a record feeds worked out for that record alone (uses.record_uses, what an
incremental build asks for a record read again) are those of its unit's whole table
(uses.unit_uses): equal, in the same order, for every record; site.Uses gives the same
answers whichever way it worked them out (docs/benchmarks.md, 第八轮)."""

from __future__ import annotations

import random

import pytest
from fixtures.recordkit import generated_repo
from site_fixture import make_results

from qsgen.build import pipeline
from qsgen.core import display
from qsgen.site import uses


def _plain(value):
    return display.fmt_plain(value)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = generated_repo(tmp_path_factory.mktemp("corpus") / "repo", 300)
    results, _warnings = pipeline.load_and_score(root)
    return results[0]


@pytest.mark.parametrize("which", ["fixture", "generated"])
def test_record_uses_are_the_units_table(which, request):
    results = make_results() if which == "fixture" else request.getfixturevalue("generated")
    ids = [rec.id for rec in results.records.records] + ["no-such-record"]
    fed = 0
    for us in results.units:
        table = uses.unit_uses(us, _plain)
        for rid in ids:
            alone = uses.record_uses(us, _plain, rid)
            assert alone == table.get(rid)
            assert repr(alone) == repr(table.get(rid))  # (page keys are digests of reprs)
            fed += alone is not None
    assert fed > 0


def test_uses_answers_alike_asked_in_any_order(generated):
    records = {rec.id: rec for rec in generated.records.records}
    table = {}
    for us in generated.units:
        table.update(uses.unit_uses(us, _plain))
    ids = [*records, "no-such-record"]
    for seed in range(5):
        asked = random.Random(seed).choices(ids, k=40 if seed < 3 else 400)
        u = uses.Uses(records, generated.units, _plain)
        for rid in asked:
            assert u.get(rid) == table.get(rid)
            assert u.get(rid, "none") == table.get(rid, "none")

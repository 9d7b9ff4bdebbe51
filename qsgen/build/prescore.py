"""A clean build's units scored while the other unit folders are still being read (read_many's on_folder feeding ScoreMemo.prescore)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from qsgen.core.model import RecordSet
from qsgen.incremental.cache import record_digest


def prescorer(scores: Callable[[], dict | None], digests: Any,
              as_of_year: Callable[[Any], _dt.date | None]) -> Callable[[Any, Any, list], None]:
    """on_folder for read_many (with the LoadContext first): the folder's unit scored into its
    year's ScoreMemo (``scores()``: by year, or None) as of ``as_of_year(rules)`` from the
    folder's records, when none of its files has an error. load_year's scoring then takes it
    only if the unit's inputs are these very ones (ScoreMemo.prescore), so a folder scored
    here for nothing (a record of another unit's folder, an error found later) costs time,
    never a wrong score. ``digests``: the build's cache.DigestMemo."""
    as_of: dict[int, Any] = {}

    def on_folder(ctx: Any, folder: Any, results: list) -> None:
        rules = ctx.rules
        memo = (scores() or {}).get(rules.year)
        if memo is None or any(r.bad or any(d.severity == "error" for d in r.diagnostics) for r in results):
            return
        try:
            if rules.year not in as_of:
                as_of[rules.year] = as_of_year(rules)
            recs = sorted((rec for r in results for rec in r.records), key=lambda rec: rec.path)
            assessments = {r.assessment.unit: r.assessment for r in results if r.assessment is not None}
            known, table = digests.by_id, {}
            for rec in recs:
                hit = known.get(id(rec))
                table[id(rec)] = hit[1] if hit is not None and hit[0] is rec else record_digest(rec)
            memo.prescore(rules, folder.unit, RecordSet(rules.year, recs, dict(sorted(assessments.items()))),
                          table, as_of[rules.year])
        except Exception:  # (scored again by load_year, which reports what went wrong)
            pass

    return on_folder

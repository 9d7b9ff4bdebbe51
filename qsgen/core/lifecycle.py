"""The result's lifecycle as plain data (DESIGN.md §6): 公示, objections and answers, 定稿, corrections."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from fractions import Fraction

# The states (YearLifecycle.state) and the files' names are in core/stages.py: every build asks
# for those, and this module is imported only for a year that has a lifecycle.


@dataclass(frozen=True)
class Notice:
    """The 公示: its first and last day (working days of the official calendar)."""

    start: _dt.date
    end: _dt.date
    workdays: int
    where: str  # where to hand in an objection
    how: str  # how to object


@dataclass(frozen=True)
class Final:
    """A year's result made final: when, by which decision."""

    date: _dt.date
    decision: str  # the decision document's reference


@dataclass(frozen=True)
class Answer:
    """The answer to an objection (维持 or 变更)."""

    record: str  # record id
    date: _dt.date
    result: str  # 维持 | 变更
    reason: str
    decided_by: str
    change: str
    late: bool  # dated after the deadline


@dataclass(frozen=True)
class Objection:
    """A unit's objection to a score of its result."""

    record: str  # record id
    unit: str  # slug
    contests: str  # item or adjustment rule id
    contests_title: str  # its words, for the reader
    grounds: str
    date: _dt.date
    deadline: _dt.date  # the office answers by this day
    answer: Answer | None
    overdue: bool  # unanswered after the deadline (as of the build's date)

    @property
    def status(self) -> str:
        return "已答复" if self.answer is not None else "待答复"


@dataclass(frozen=True)
class Correction:
    """A correction of a final result."""

    record: str
    unit: str
    date: _dt.date
    reason: str
    decision: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class UnitChange:
    """A unit whose total or rank differs from the finalised result (the manifest's)."""

    slug: str
    name: str
    total_before: Fraction
    total_after: Fraction
    rank_before: int
    rank_after: int


@dataclass(frozen=True)
class YearLifecycle:
    """What the site shows of a year's lifecycle; a function of records/<year>/status.yaml, the
    calendar, the year's objection/answer/correction records, its manifest and the build's
    date (only through ``overdue``)."""

    state: str  # IN_PROGRESS | NOTICE | FINAL
    notice: Notice | None
    final: Final | None
    answer_workdays: int
    objections: tuple[Objection, ...] = ()
    corrections: tuple[Correction, ...] = ()
    changes: tuple[UnitChange, ...] = ()
    manifest_digest: str = ""  # SHA-256 of manifest.json
    signature: str = ""  # "verified" | "invalid" | "unsigned" | "" (no manifest)
    signer: str = ""

    def of_unit(self, slug: str) -> list[Objection]:
        return [o for o in self.objections if o.unit == slug]

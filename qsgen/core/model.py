"""Plain domain data passed between the pipeline stages: rules, records, scores."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, fields
from decimal import Decimal
from fractions import Fraction
from operator import attrgetter
from typing import Any, ClassVar

# Canonical (English) values of enumerations; Chinese spellings are aliases
# accepted on input (see qsgen/kinds.py) and shown on the site.
LEVELS = ("national", "provincial", "city", "county")  # highest first
LEVEL_NAMES = {"national": "国家级", "provincial": "省级", "city": "市级", "county": "县级"}


@dataclass(frozen=True, order=True)
class Source:
    """Where a thing was written: repository-relative POSIX path, 1-based line/col."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


# --------------------------------------------------------------------- rules


@dataclass
class Amount:
    """How much one matching record (or one unit of a measure) is worth.

    Exactly one form is set (validated by the rules loader):
    - ``constant``: a fixed amount;
    - ``by`` + ``values``: look the record field (or measure key) ``by`` up in ``values``;
    - ``by`` + ``times``: per-key rate multiplied by the measure's count for that key;
    - ``field`` + ``min``/``max``: the amount is the record's own field, within the range;
    - ``field`` + ``times``: the record's field multiplied by ``times``;
    - ``times``: a rate multiplied by a measure's count;
    - ``tiers`` (with ``field``): [(lower_bound_inclusive, amount), ...] on a record field,
      the highest bound reached wins, below the first bound gives nothing;
    - ``steps``: the same on a measure's count (applied once to the whole count).
    """

    constant: Fraction | None = None
    by: str | None = None
    values: dict[str, Fraction] | None = None
    field: str | None = None
    min: Fraction | None = None
    max: Fraction | None = None
    times: Fraction | dict[str, Fraction] | None = None
    tiers: list[tuple[Fraction, Fraction]] | None = None
    steps: list[tuple[Fraction, Fraction]] | None = None


@dataclass
class Part:
    """One way an adjustment or an item extra earns points.

    ``per`` is ``"record"`` (each record of ``kind`` matching ``where`` contributes),
    ``"flag"`` (the assessor sets ``id: true`` in assessment.yaml), or the name of a
    measure (``news_surplus``, …), declared in core/measures.py and computed by scoring/measures.py.
    """

    id: str
    per: str
    label: str = ""
    kind: str | None = None
    where: dict[str, Any] = field(default_factory=dict)
    amount: Amount = field(default_factory=Amount)
    zero_when: dict[str, Any] = field(default_factory=dict)
    once: bool = False
    source: Source | None = None
    # Judged only at the end of the year (a shortfall against an annual quota): while the
    # year is in progress its lines are shown as projected, not counted (口径, issue 14).
    year_end: bool = False


@dataclass
class AdjustmentRule:
    """A bonus (B1..B7) or deduction (D1..D10) of the method."""

    id: str
    sign: int  # +1 bonus, -1 deduction
    title: str
    text: str  # the method's own words
    responsible: str  # department id (see Rules.departments)
    parts: list[Part]
    cap: Fraction | None = None
    applies_to: dict[str, Any] = field(default_factory=dict)  # e.g. {"case_quota": False}
    note: str = ""  # 口径 written in Chinese, shown on the rules page
    source: Source | None = None

    @property
    def kinds(self) -> set[str]:
        return {p.kind for p in self.parts if p.kind}


@dataclass
class QuotaPart:
    """One quota scope: the whole unit (name None) or one team of 执法队."""

    name: str | None
    total: int
    minimums: dict[str, int] = field(default_factory=dict)  # category -> minimum


@dataclass
class Quota:
    """An item's quota, in parts."""

    parts: list[QuotaPart]

    @property
    def total(self) -> int:
        return sum(p.total for p in self.parts)


@dataclass
class Progress:
    """What the site computes from evidence next to an item.

    type: ``news`` (unit news quota by level), ``leads`` (lead target), ``cases``
    (the unit's case quota), ``count`` (sum of ``count`` of evidence records for the item,
    against ``target``), ``rate`` (latest ``rate`` of evidence records, against ``target`` %).
    """

    type: str
    target: Fraction | None = None
    unit: str = ""  # e.g. 家, 次, 家次


@dataclass
class Item:
    """An assessment item of the rules."""

    id: str  # t01 / s04-3
    text: str
    max: Fraction
    method: str = "assessed"  # or "quota"
    section: str | None = None
    quota: Quota | None = None
    progress: Progress | None = None
    extras: list[Part] = field(default_factory=list)
    source: Source | None = None


@dataclass
class Section:
    """A section of items (a 所's assessment)."""

    id: str  # s01
    title: str
    items: list[Item]
    weight: Fraction = Fraction(1)


@dataclass
class Unit:
    """An assessed unit."""

    slug: str
    name: str
    group: str  # group id
    items: list[Item]  # all items in method order (for 所: every section's items)
    sections: list[Section] = field(default_factory=list)  # empty for 机关 units
    news_quota: dict[str, int] | None = None  # level -> count
    lead_target: int | None = None
    teams: list[str] = field(default_factory=list)
    source: Source | None = None
    # The units of the previous year's rules this one continues (renamed, merged or split);
    # empty: the unit of the same slug, if there was one.
    previous: list[str] = field(default_factory=list)

    @property
    def case_quota(self) -> Quota | None:
        for item in self.items:
            if item.quota is not None:
                return item.quota
        return None

    def item(self, item_id: str) -> Item | None:
        for it in self.items:
            if it.id == item_id:
                return it
        return None


@dataclass
class Group:
    """A group of units ranked together."""

    id: str
    name: str


@dataclass
class Interpretation:
    """A 口径: a choice made where the method is silent."""

    id: str
    title: str
    text: str


@dataclass
class Rules:
    """A year's rules."""

    year: int
    title: str
    document: str
    period: tuple[_dt.date, _dt.date]
    places: int
    rounding: str  # a decimal module rounding constant name, e.g. ROUND_HALF_UP
    groups: list[Group]
    departments: dict[str, str]  # id -> Chinese name
    case_categories: dict[str, str]  # alias (incl. canonical) -> canonical category
    units: list[Unit]
    adjustments: list[AdjustmentRule]
    interpretations: list[Interpretation]
    root: str = "rules/2023"
    # The result's lifecycle (assessment.yaml objections:): the shortest 公示 and the deadline
    # to answer an objection, in working days (口径16, 17).
    notice_workdays: int = 5
    answer_workdays: int = 10

    def unit(self, slug: str) -> Unit | None:
        for u in self.units:
            if u.slug == slug:
                return u
        return None

    def group_name(self, group_id: str) -> str:
        for g in self.groups:
            if g.id == group_id:
                return g.name
        return group_id


# ------------------------------------------------------------------- records


@dataclass(slots=True)
class Record:
    """One evidence or event file: records/<year>/<unit>/<kind>-<name>.md.

    Slotted, and pickled as the tuple of its fields (pickling an object through its __dict__
    makes Python 3.11+ create that dict for good); see packed_record for pickling many."""

    id: str  # "<unit>/<file stem>", unique within a year, used in URLs
    path: str  # repository-relative POSIX path
    unit: str
    kind: str
    title: str
    date: _dt.date
    fields: dict[str, Any]  # kind-specific fields, typed and canonical (see kinds.py)
    body: str  # Markdown source of the body
    attachments: list[str] = field(default_factory=list)  # repo-relative paths
    lines: dict[str, int] = field(default_factory=dict)  # field -> line in the file
    body_line: int = 1  # line where the body starts
    # Whether the body has ".md" (may link to a record file), when known without reading it:
    # the record cache's stand-in (incremental/recordmemo.LazyRecord) knows; None: read the body.
    names_md: ClassVar[bool | None] = None

    def __reduce__(self):
        return (Record, record_fields(self))


RECORD_FIELDS = tuple(f.name for f in fields(Record))
record_fields = attrgetter(*RECORD_FIELDS)  # a Record as the tuple of its fields, in order
_BODY = RECORD_FIELDS.index("body")


def packed_record(rec: Record) -> tuple:
    """A Record to pickle (the record cache, the render workers): the tuple of its fields
    with the body as UTF-8 bytes. Pickling the str itself would make Python keep a UTF-8
    copy inside every body for as long as it lives (~0.9 KB a record; 45 MB at 50,000)."""
    t = record_fields(rec)
    return (*t[:_BODY], t[_BODY].encode("utf-8", "surrogatepass"), *t[_BODY + 1:])


def unpacked_record(t: tuple) -> Record:
    """packed_record's inverse: its slots set as they are (no __init__ call: a record cache
    of 10,000 records is unpickled in half the time)."""
    rec = _new(Record)
    (rec.id, rec.path, rec.unit, rec.kind, rec.title, rec.date, rec.fields, body, rec.attachments, rec.lines,
     rec.body_line) = t
    rec.body = body.decode("utf-8", "surrogatepass")
    return rec


_new = object.__new__


@dataclass
class Judgement:
    """The assessment file's score of an item."""

    score: Fraction
    note: str = ""
    flags: dict[str, bool] = field(default_factory=dict)  # item extras of per: flag
    line: int = 1


@dataclass
class Assessment:
    """The assessment office's judged scores: records/<year>/<unit>/assessment.yaml."""

    unit: str
    path: str
    assessor: str = ""
    date: _dt.date | None = None
    items: dict[str, Judgement] = field(default_factory=dict)


@dataclass
class RecordSet:
    """A year's records and assessment files."""

    year: int
    records: list[Record]  # sorted by path
    assessments: dict[str, Assessment]  # unit slug -> assessment

    def by_unit(self, slug: str) -> list[Record]:
        return list(self._groups().get(slug, ()))

    def units(self) -> list[tuple[str, list[Record]]]:
        """(unit slug, its records) for each unit with records, in the order of ``records``."""
        return [(slug, list(recs)) for slug, recs in self._groups().items()]

    def _groups(self) -> dict[str, list[Record]]:
        # Indexed on first use (asked once per unit by scoring and the site; a scan each time
        # was quadratic-ish at 10,000 records). The index follows the records list it was made
        # from: a caller that replaces ``records`` gets a fresh one.
        index = self.__dict__.get("_by_unit")
        if index is None or index[0] is not self.records or index[1] != len(self.records):
            groups: dict[str, list[Record]] = {}
            for r in self.records:
                groups.setdefault(r.unit, []).append(r)
            index = (self.records, len(self.records), groups)
            self.__dict__["_by_unit"] = index
        return index[2]


# -------------------------------------------------------------------- scores


@dataclass
class Line:
    """One contribution to an adjustment or an item extra, traced to its records."""

    rule: str  # B6a / D9 / s01-3:unlicensed_case
    part: str  # part id
    amount: Fraction  # >= 0; the sign comes from the rule
    records: list[str] = field(default_factory=list)  # record ids
    explain: str = ""  # Chinese, e.g. "罚没款 12000 元 ≥ 10000 元：+1"
    projected: bool = False  # a year-end part while the year is in progress: shown, not counted


@dataclass
class AdjustmentScore:
    """What an adjustment rule adds or takes from a unit's score."""

    rule: AdjustmentRule
    lines: list[Line]
    raw: Fraction  # sum of lines
    amount: Fraction  # after the cap; >= 0
    explain: str = ""  # Chinese summary, e.g. "合计 6.2，超过上限 5，按 5 计"
    projected: Fraction = Fraction(0)  # >= 0: what the projected lines would add at year end

    @property
    def signed(self) -> Fraction:
        return self.rule.sign * self.amount


@dataclass
class ProgressValue:
    """Progress computed from evidence, e.g. news 国家级 1/1, 省级 2/3."""

    label: str  # 国家级 / 知识产权 / 线索 / 检查
    done: Fraction
    target: Fraction | None
    records: list[str] = field(default_factory=list)


@dataclass
class ItemScore:
    """A unit's score of one item."""

    item: Item
    # "judged" | "pending" | "computed" | "ongoing" (a quota item while the year is in
    # progress: judged at year end, ``projected`` is what it would score now)
    state: str
    score: Fraction | None  # None while pending or ongoing; includes extras
    judged: Fraction | None = None  # the assessor's score (assessed items)
    extras: list[Line] = field(default_factory=list)
    progress: list[ProgressValue] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # record ids of kind evidence for it
    note: str = ""
    explain: str = ""  # how the score was computed (Chinese)
    projected: Fraction | None = None  # ongoing items: the score if the year ended today


@dataclass
class SectionScore:
    """A unit's score of one section."""

    section: Section
    items: list[ItemScore]
    score: Fraction  # sum of item scores (pending counts as 0 and marks provisional)


@dataclass
class UnitScore:
    """A unit's score, items, adjustments and ranks."""

    unit: Unit
    items: list[ItemScore]
    sections: list[SectionScore]
    base: Fraction
    bonus: Fraction
    deduction: Fraction  # >= 0, subtracted
    total: Fraction
    adjustments: list[AdjustmentScore]  # every rule that applies, in rule order
    provisional: bool
    computation: list[str] = field(default_factory=list)  # Chinese lines a reader can redo
    rank: int = 0
    group_rank: int = 0
    # While the year is in progress: the signed sum of what the year-end parts would add if
    # the year ended today (negative for shortfall deductions); not in ``total``.
    projected: Fraction = Fraction(0)
    # Set by scorememo.py ("" when unknown): a digest of everything the score was computed
    # from, and one of what a page about the unit shows (the score, its records' titles).
    inputs: str = field(default="", compare=False, repr=False)
    outline: str = field(default="", compare=False, repr=False)

    # A score the incremental layer kept may come without the parts no page of an unchanged
    # unit reads (scorememo: its adjustments and computation): ``_rest`` in its __dict__
    # fills them in when first asked for (by attribute, comparison, repr, copy or pickling).
    def __getattr__(self, name: str) -> Any:
        rest = self.__dict__.pop("_rest", None)
        if rest is None:
            raise AttributeError(f"'UnitScore' object has no attribute '{name}'")
        rest(self)
        return getattr(self, name)

    def __getstate__(self) -> dict[str, Any]:
        rest = self.__dict__.pop("_rest", None)
        if rest is not None:
            rest(self)
        return self.__dict__


@dataclass
class Results:
    """A year's scored results."""

    rules: Rules
    records: RecordSet
    units: list[UnitScore]  # in overall rank order, ties by unit order in the rules
    # The date the year is scored as of while it is in progress (before its period ended);
    # None for a year whose period is over.
    as_of: _dt.date | None = None
    # The year's lifecycle (core/lifecycle.py YearLifecycle: 公示, objections, 定稿,
    # corrections), set by the build after scoring; None when the year has no status file.
    lifecycle: Any = None

    def unit(self, slug: str) -> UnitScore | None:
        for u in self.units:
            if u.unit.slug == slug:
                return u
        return None


def to_fraction(value: Decimal | int | str | Fraction) -> Fraction:
    """Exact conversion; never goes through a binary float."""
    if isinstance(value, Fraction):
        return value
    return Fraction(Decimal(value)) if isinstance(value, str) else Fraction(value)

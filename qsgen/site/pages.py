"""Results -> the static site as {relative path: bytes}: pure and deterministic."""

from __future__ import annotations

import datetime as _dt
import functools
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from qsgen.core import display
from qsgen.core.kinds import KINDS
from qsgen.core.model import LEVEL_NAMES, Amount, ItemScore, Part, Record, Results, UnitScore
from qsgen.site import exports, markdown


def _default_templates() -> Path:
    """qsgen's own templates: site_templates/ of this checkout, else the installed copy (pyproject.toml)."""
    checkout = Path(__file__).resolve().parent.parent / "site_templates"
    if (checkout / "base.html").is_file():
        return checkout
    import importlib.util

    spec = importlib.util.find_spec("qsgen_site_templates")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    return checkout


TEMPLATE_DIR = _default_templates()

STATE_NAMES = {"judged": "已评", "pending": "待评", "computed": "计算"}
PROCEDURE_NAMES = {"general": "一般程序", "simple": "简易程序"}
FOUND_BY_NAMES = {"review": "行政复议", "litigation": "行政诉讼", "supervision": "执法监督检查"}
PROGRESS_NAMES = {"news": "信息报道", "leads": "案件线索", "cases": "案件任务", "count": "数量",
                  "rate": "比率"}


@dataclass
class SiteInputs:
    """What the site needs besides the scores; gathered (with I/O) by build.py."""

    history: dict[str, Any] = field(default_factory=dict)  # path -> gitinfo.Commit
    attachments: Mapping[str, bytes] = field(default_factory=dict)  # repo path -> content
    source_date: _dt.datetime | None = None  # last commit / SOURCE_DATE_EPOCH
    example: bool = False  # records/<year>/EXAMPLE exists: mark every page 示例数据
    templates: Path | None = None  # the repository's site_templates/ (default: qsgen's own)
    # The commit ``history`` was read at (a file's last commit is a function of it and the
    # path); cache.py reuses record page keys while it is the same. None: unknown, no reuse.
    history_id: str | None = None


# ------------------------------------------------------------------ urls


@functools.lru_cache(maxsize=1 << 17)  # asked for every record by several pages; quote() is slow
def record_url(record_id: str) -> str:
    """Site-relative URL of a record page (percent-encoded)."""
    return "records/" + quote(record_id) + ".html"


def record_file(record_id: str) -> str:
    return "records/" + record_id + ".html"


def unit_url(slug: str) -> str:
    return "units/" + quote(slug) + ".html"


def attachment_file(repo_path: str) -> str:
    """Where an attachment (repo path under records/) is copied in the site."""
    rel = repo_path[len("records/"):] if repo_path.startswith("records/") else repo_path
    return "files/" + rel


# Attachments are copied into the site only when their type cannot run code in a browser:
# an .html or .svg file served from the site's own origin could carry script.
IMAGE_TYPES = {"png", "jpg", "jpeg", "gif", "webp"}
PASSIVE_TYPES = IMAGE_TYPES | {
    "pdf", "ofd", "txt", "csv", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps",
    "odt", "ods", "odp", "rtf", "zip", "rar", "7z", "mp3", "mp4", "m4a", "wav", "bmp", "tif", "tiff",
}


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def publishable(path: str) -> bool:
    """Whether an attachment of this type is copied into the site (see PASSIVE_TYPES)."""
    return _suffix(path) in PASSIVE_TYPES


def prefix_for(path: str) -> str:
    """Relative prefix from a page at ``path`` back to the site root ("", "../", ...)."""
    depth = path.count("/")
    return "../" * depth


def short_name(name: str) -> str:
    """A unit name without its parenthesised alias, for charts: 价格监督管理股（…） -> 价格监督管理股."""
    short = re.sub(r"[（(].*?[）)]", "", name).strip() or name
    return short if len(short) <= 18 else short[:17] + "…"


def bureau_of(title: str, year: int) -> str:
    head = title.split(str(year))[0].strip()
    return head or title


def _shared(records: list[str]) -> str:
    """What a record page adds to a score line that several records earn together (a surplus
    of news or cases counts all of them once): the amount is the line's, not the record's."""
    return f"（{len(records)} 条记录合计）" if len(records) > 1 else ""


# ------------------------------------------------------------- the builder


# reverse index: which score lines a record feeds


def unit_uses(us: UnitScore, plain: Any) -> dict[str, list[dict[str, str]]]:
    """Record id -> the score lines of unit ``us`` it feeds (a record feeds only its own
    unit's: scoring sees no other unit's records)."""
    uses: dict[str, list[dict[str, str]]] = {}
    # Most records feed a line worded like many others ("任务项 t01 的佐证"): one entry
    # for all of them (never changed after), not one per record (~15 MB at 50,000 records).
    entries: dict[tuple[str, str], dict[str, str]] = {}

    def add(rid: str, what: str, anchor: str) -> None:
        entry = entries.get((what, anchor))
        if entry is None:
            entry = entries[what, anchor] = {
                "unit": us.unit.slug, "unit_name": us.unit.name, "what": what, "anchor": anchor}
        lst = uses.setdefault(rid, [])
        if entry not in lst:
            lst.append(entry)

    for it in us.items:
        for rid in it.evidence:
            add(rid, f"任务项 {it.item.id} 的佐证", "item-" + it.item.id)
        labels: dict[str, list[str]] = {}
        for pv in it.progress:
            for rid in pv.records:
                labels.setdefault(rid, [])
                if pv.label not in labels[rid]:
                    labels[rid].append(pv.label)
        for rid, names in labels.items():
            add(rid, f"任务项 {it.item.id} 的完成进度（{'、'.join(names)}）", "item-" + it.item.id)
        for ln in it.extras:
            for rid in ln.records:
                add(rid, f"任务项 {it.item.id} 加分 {plain(ln.amount)}{_shared(ln.records)}",
                    "item-" + it.item.id)
    for adj in us.adjustments:
        word = "加分" if adj.rule.sign > 0 else "减分"
        for ln in adj.lines:
            for rid in ln.records:
                add(rid, f"{adj.rule.id} {adj.rule.title}：{word} {plain(ln.amount)}"
                             f"{_shared(ln.records)}", "rule-" + adj.rule.id)
    return uses


class _Uses:
    """Record id -> the score lines it feeds (what its page lists under 计分用途), worked out
    one unit at a time on first ask: an incremental build asks for a few records only. Holds
    no reference to the site (a cycle would keep the site alive, see _Site.__init__)."""

    def __init__(self, records: dict[str, Record], units: list[UnitScore], plain: Any) -> None:
        self.records = records
        self.units = {us.unit.slug: us for us in units}
        self.plain = plain
        self.done: dict[str, dict[str, list[dict[str, str]]]] = {}

    def get(self, record_id: str, default: Any = None) -> Any:
        rec = self.records.get(record_id)
        us = self.units.get(rec.unit) if rec is not None else None
        if us is None:
            return default
        table = self.done.get(us.unit.slug)
        if table is None:
            table = self.done[us.unit.slug] = unit_uses(us, self.plain)
        return table.get(record_id, default)


class _Site:
    # The new site's folder when pages are written into it as they are made (cache.build_site
    # sets it; writer.begin made it): large files are then written there, not held.
    stream_dir: str | None = None

    def __init__(self, results: Results, inputs: SiteInputs) -> None:
        self.results = results
        self.rules = results.rules
        self.inputs = inputs
        self.records: dict[str, Record] = {r.id: r for r in results.records.records}
        self.record_paths: dict[str, str] = {r.path: r.id for r in results.records.records}
        self.places = self.rules.places
        self.rounding = self.rules.rounding
        self.files: dict[str, bytes] = {}
        self.templates = inputs.templates or TEMPLATE_DIR
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.templates)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        # Functions of the display settings, not bound methods: a filter holding the site
        # would make site and environment a reference cycle, and builds run with the cyclic
        # collector paused: the site and all it holds (~30 MB at 50,000 records) would stay.
        fmt = {"places": self.places, "rounding": self.rounding}
        self.env.filters["num"] = functools.partial(_num, **fmt)
        self.env.filters["signed"] = functools.partial(_signed, **fmt)
        self.env.filters["plain"] = plain = functools.partial(_plain, **fmt)
        self.uses = _Uses(self.records, results.units, plain)
        # record id -> plain text of its body, kept by record_page for the search index (one
        # Markdown parse per record instead of two; cache.py fills it for pages it reuses)
        self.body_texts: dict[str, str] = {}

    # formatting ---------------------------------------------------------
    def num(self, value: Fraction | None) -> str:
        return _num(value, self.places, self.rounding)

    def signed(self, value: Fraction) -> str:
        return _signed(value, self.places, self.rounding)

    def plain(self, value: Fraction | int | None) -> str:
        return _plain(value, self.places, self.rounding)

    # common -------------------------------------------------------------
    def common(self, path: str, page: str) -> dict[str, Any]:
        r = self.rules
        sd = self.inputs.source_date
        return {
            "p": prefix_for(path),
            "page": page,
            "bureau": bureau_of(r.title, r.year),
            "title": r.title,
            "year": r.year,
            "document": r.document,
            "example": self.inputs.example,
            "source_date": sd.strftime("%Y-%m-%d") if sd else "",
            "places": self.places,
            "rounding_name": "四舍五入" if self.rounding == "ROUND_HALF_UP" else "四舍六入五成双",
        }

    def render(self, path: str, template: str, page: str, **ctx: Any) -> None:
        html = self.env.get_template(template).render(**self.common(path, page), **ctx)
        self.files[path] = html.encode("utf-8")

    def rec_link(self, record_id: str, p: str) -> dict[str, str]:
        r = self.records.get(record_id)
        title = r.title if r else record_id
        return {"href": p + record_url(record_id), "title": title, "id": record_id,
                "date": r.date.isoformat() if r else ""}


    # pages -------------------------------------------------------------------
    def build(self) -> dict[str, bytes]:
        self.files["assets/style.css"] = (self.templates / "style.css").read_bytes()
        self.index()
        for us in self.results.units:
            self.unit_page(us)
        for rec in self.results.records.records:
            self.record_page(rec)
        self.rules_page()
        self.search_page()
        self.render("404.html", "404.html", "404")
        for path in sorted(self.inputs.attachments):
            if publishable(path):
                self.attachment(path)
        self.export_files()
        return dict(sorted(self.files.items()))

    def attachment(self, path: str) -> None:
        """Copy one attachment (repository path) into the site."""
        self.files[attachment_file(path)] = self.inputs.attachments[path]

    def export_files(self) -> None:
        self.files["scores.json"] = exports.scores_json(self.results)
        self.files["scores.csv"] = exports.scores_csv(self.results)

    def unit_row(self, us: UnitScore, p: str, ranks: list[int], key: str) -> dict[str, Any]:
        rank = getattr(us, key)
        return {
            "slug": us.unit.slug,
            "name": us.unit.name,
            "href": p + unit_url(us.unit.slug),
            "group": self.rules.group_name(us.unit.group),
            "base": self.num(us.base),
            "bonus": self.num(us.bonus),
            "deduction": self.num(us.deduction),
            "total": self.num(us.total),
            "rank": rank,
            "tied": ranks.count(rank) > 1,
            "provisional": us.provisional,
            "pending": sum(1 for it in us.items if it.state == "pending"),
        }

    def chart(self, units: list[UnitScore], p: str, narrow: bool = False) -> dict[str, Any]:
        """Geometry of a horizontal bar chart of totals (inline SVG, no script).

        Wide: labels left of the bars. Narrow (phones): each label above its bar.
        """
        totals = [u.total for u in units]
        lo = min([Fraction(0), *totals])
        hi = max([Fraction(100), *totals])
        if narrow:
            label_w, bar_w, row_h, top, bar_h = 8, 296, 40, 24, 14
            width = 360
        else:
            label_w, bar_w, row_h, top, bar_h = 250, 420, 26, 24, 18
            width = label_w + bar_w + 70

        def xpos(v: Fraction) -> Fraction:
            return label_w + (v - lo) * bar_w / (hi - lo)

        f1 = lambda v: display.fmt(v, 1)  # noqa: E731
        zero = xpos(Fraction(0))
        bars = []
        for i, u in enumerate(units):
            y = top + i * row_h + (18 if narrow else 0)
            end = xpos(u.total)
            left, right = min(zero, end), max(zero, end)
            bars.append({
                "y": y, "label": short_name(u.unit.name), "name": u.unit.name,
                "lx": label_w if narrow else label_w - 8, "ly": y - 5 if narrow else y + 14,
                "href": p + unit_url(u.unit.slug),
                "x": f1(left), "w": f1(max(right - left, Fraction(1, 2))),
                "vx": f1(right + 5), "vy": y + (12 if narrow else 14), "value": self.num(u.total),
                "provisional": u.provisional,
            })
        ticks = []
        step = Fraction(20) if hi - lo <= 140 else Fraction(50)
        t = (lo // step) * step
        while t <= hi:
            if t >= lo:
                ticks.append({"x": f1(xpos(t)), "label": self.plain(t)})
            t += step
        height = top + len(units) * row_h + (18 if narrow else 8)
        return {"bars": bars, "ticks": ticks, "width": width, "height": height, "bar_h": bar_h,
                "anchor": "start" if narrow else "end", "top": top - 6, "bottom": height - 4,
                "zero": f1(zero)}

    def index(self) -> None:
        path, p = "index.html", ""
        units = self.results.units
        overall_ranks = [u.rank for u in units]
        overall = [self.unit_row(u, p, overall_ranks, "rank") for u in units]
        groups = []
        for g in self.rules.groups:
            members = sorted((u for u in units if u.unit.group == g.id), key=lambda u: u.group_rank)
            if not members:
                continue
            ranks = [u.group_rank for u in members]
            groups.append({
                "id": g.id, "name": g.name,
                "rows": [self.unit_row(u, p, ranks, "group_rank") for u in members],
                "chart": self.chart(members, p),
                "narrow": self.chart(members, p, narrow=True),
            })
        provisional = [u for u in units if u.provisional]
        pending_items = sum(1 for u in units for it in u.items if it.state == "pending")
        self.render(path, "index.html", "index", overall=overall, groups=groups,
                    provisional_count=len(provisional), pending_items=pending_items,
                    record_count=len(self.results.records.records),
                    any_tie=any(r["tied"] for r in overall))

    def item_row(self, it: ItemScore, p: str) -> dict[str, Any]:
        judged_note = ""
        if it.state == "computed" and it.judged is not None:
            judged_note = self.num(it.judged)
        return {
            "id": it.item.id,
            "text": it.item.text,
            "max": self.plain(it.item.max),
            "score": self.num(it.score) if it.score is not None else "—",
            "state": it.state,
            "state_name": STATE_NAMES.get(it.state, it.state),
            "method": "按记录计算" if it.item.method == "quota" else "考核办评分",
            "progress": [{
                "label": pv.label,
                "done": self.plain(pv.done),
                "target": self.plain(pv.target) if pv.target is not None else "",
                "met": pv.target is not None and pv.done >= pv.target,
                "records": [self.rec_link(rid, p) for rid in pv.records],
            } for pv in it.progress],
            "evidence": [self.rec_link(rid, p) for rid in it.evidence],
            "extras": [{
                "amount": self.plain(ln.amount), "explain": ln.explain,
                "records": [self.rec_link(rid, p) for rid in ln.records],
            } for ln in it.extras],
            "note": it.note,
            # "评分 8.8" only repeats the score; show the explanation when it adds something
            "explain": it.explain if (it.state != "judged" or it.extras) else "",
            "judged_note": judged_note,
        }

    def unit_page(self, us: UnitScore) -> None:
        path = "units/" + us.unit.slug + ".html"
        p = prefix_for(path)
        unit = us.unit
        group_size = sum(1 for u in self.results.units if u.unit.group == unit.group)
        sections = []
        if us.sections:
            for ss in us.sections:
                sections.append({
                    "id": ss.section.id, "title": ss.section.title,
                    "score": self.num(ss.score), "weight": self.plain(ss.section.weight),
                    "rows": [self.item_row(it, p) for it in ss.items],
                })
        else:
            sections.append({"id": "", "title": "", "score": self.num(us.base), "weight": "",
                             "rows": [self.item_row(it, p) for it in us.items]})
        adjustments, idle = [], []
        for adj in us.adjustments:
            if not adj.lines:
                idle.append({"id": adj.rule.id, "title": adj.rule.title})
                continue
            adjustments.append({
                "id": adj.rule.id, "title": adj.rule.title,
                "type": "加分" if adj.rule.sign > 0 else "减分",
                "bonus": adj.rule.sign > 0,
                "responsible": self.rules.departments.get(adj.rule.responsible, adj.rule.responsible),
                "amount": self.signed(adj.signed),
                "raw": self.plain(adj.raw), "capped": adj.raw != adj.amount,
                "cap": self.plain(adj.rule.cap) if adj.rule.cap is not None else "",
                "explain": adj.explain,
                "lines": [{
                    "amount": self.plain(ln.amount), "explain": ln.explain,
                    "records": [self.rec_link(rid, p) for rid in ln.records],
                } for ln in adj.lines],
            })
        records = []
        by_kind: dict[str, list[Record]] = {}
        for r in self.results.records.by_unit(unit.slug):
            by_kind.setdefault(r.kind, []).append(r)
        for kind in KINDS:
            if kind in by_kind:
                recs = sorted(by_kind[kind], key=lambda r: (r.date, r.id))
                records.append({"kind": KINDS[kind].name,
                                "rows": [self.rec_link(r.id, p) for r in recs]})
        assessment = self.results.records.assessments.get(unit.slug)
        self.render(
            path, "unit.html", "unit",
            unit={"slug": unit.slug, "name": unit.name,
                  "group": self.rules.group_name(unit.group), "stations": bool(us.sections)},
            s={"base": self.num(us.base), "bonus": self.num(us.bonus),
               "bonus_signed": self.signed(us.bonus), "deduction_signed": self.signed(-us.deduction),
               "has_bonus": us.bonus != 0, "has_deduction": us.deduction != 0,
               "deduction": self.num(us.deduction), "total": self.num(us.total),
               "rank": us.rank, "group_rank": us.group_rank, "provisional": us.provisional,
               "unit_count": len(self.results.units), "group_size": group_size,
               "pending": sum(1 for it in us.items if it.state == "pending"),
               "item_count": len(us.items)},
            sections=sections, adjustments=adjustments, idle=idle,
            computation=us.computation, records=records,
            assessment={"assessor": assessment.assessor,
                        "date": assessment.date.isoformat() if assessment.date else "",
                        "path": assessment.path,
                        "git": self.git_info(assessment.path)} if assessment else None,
        )

    def field_value(self, rec: Record, name: str, value: Any, p: str) -> dict[str, Any]:
        """A front-matter value as shown to a reader: {text, href?, list?}."""
        if name == "task":
            unit = self.rules.unit(rec.unit)
            item = unit.item(str(value)) if unit else None
            text = f"{value}" + (f"　{item.text}" if item else "")
            return {"text": text, "href": p + unit_url(rec.unit) + "#item-" + str(value)}
        if name == "adopted_by":
            return {"list": [f"{a.get('outlet', '')}（{LEVEL_NAMES.get(a.get('level', ''), a.get('level', ''))}）"
                             for a in value]}
        if name == "level":
            return {"text": LEVEL_NAMES.get(value, str(value))}
        if name == "procedure":
            return {"text": PROCEDURE_NAMES.get(value, str(value))}
        if name == "found_by":
            return {"text": FOUND_BY_NAMES.get(value, str(value))}
        if name == "fine":
            return {"text": display.fmt_money(value) + " 元"}
        if isinstance(value, bool):
            return {"text": "是" if value else "否"}
        if name == "url" and isinstance(value, str) and value.startswith(("http://", "https://")):
            return {"text": value, "href": value, "external": True}
        if isinstance(value, (Fraction,)):
            return {"text": self.plain(value)}
        if isinstance(value, list):
            return {"list": [str(v) for v in value]}
        return {"text": str(value)}

    def git_info(self, path: str) -> dict[str, str] | None:
        commit = self.inputs.history.get(path)
        if commit is None:
            return None
        return {"author": commit.author, "short": commit.short, "sha": commit.sha,
                "subject": commit.subject, "date": _commit_date(commit.date)}

    def record_page(self, rec: Record) -> None:
        path = record_file(rec.id)
        p = prefix_for(path)
        kind = KINDS.get(rec.kind)
        meta = []
        if kind:
            for name, spec in kind.fields.items():
                if name in rec.fields and rec.fields[name] is not None:
                    meta.append({"label": spec.label or name,
                                 **self.field_value(rec, name, rec.fields[name], p)})
        attachments = []
        rec_dir = posixpath.dirname(rec.path)
        for a in rec.attachments:
            attachments.append({"name": posixpath.relpath(a, rec_dir) if a.startswith(rec_dir) else a,
                                "href": p + quote(attachment_file(a)),
                                "present": a in self.inputs.attachments,
                                "published": publishable(a),
                                "image": _suffix(a) in IMAGE_TYPES})
        git = self.git_info(rec.path)
        unit = self.rules.unit(rec.unit)
        body, self.body_texts[rec.id] = markdown.render_with_text(rec.body) if rec.body.strip() else ("", "")
        body = _rewrite_relative(body, rec, p, self.inputs.attachments, self.record_paths)
        self.render(
            path, "record.html", "record",
            rec={"id": rec.id, "title": rec.title, "kind": kind.name if kind else rec.kind,
                 "kind_id": rec.kind, "date": rec.date.isoformat(), "path": rec.path,
                 "unit": unit.name if unit else rec.unit, "unit_href": p + unit_url(rec.unit)},
            meta=meta, attachments=attachments, git=git,
            body=Markup(body),  # sanitised by nh3 in markdown.render
            uses=[{**u, "href": p + unit_url(u["unit"]) + "#" + u["anchor"]}
                  for u in self.uses.get(rec.id, [])],
        )

    def amount_text(self, a: Amount, part: Part) -> str:
        """An Amount in Chinese words, for the rules page."""
        pl = self.plain
        if a.constant is not None:
            return f"{pl(a.constant)} 分"
        if a.tiers:
            field_label = _field_label(part.kind, a.field)
            return "；".join(f"{field_label} ≥ {display.fmt_money(lo)}：{pl(v)} 分" for lo, v in a.tiers)
        if a.steps:
            return "；".join(f"≥ {pl(lo)}：{pl(v)} 分" for lo, v in a.steps) + "（按总数取一档）"
        if a.by and a.values:
            return "、".join(f"{_key_name(k)} {pl(v)} 分" for k, v in a.values.items())
        if a.by and isinstance(a.times, dict):
            return "、".join(f"{_key_name(k)} 每个 {pl(v)} 分" for k, v in a.times.items())
        if a.field and a.times is not None and not isinstance(a.times, dict):
            return f"{_field_label(part.kind, a.field)} × {pl(a.times)} 分"
        if a.field:
            lo = pl(a.min) if a.min is not None else ""
            hi = pl(a.max) if a.max is not None else ""
            rng = f"（{lo}–{hi} 分）" if lo or hi else ""
            return f"按记录的“{_field_label(part.kind, a.field)}”{rng}"
        if a.times is not None and not isinstance(a.times, dict):
            return f"每个 {pl(a.times)} 分"
        return ""

    def rules_page(self) -> None:
        path = "rules.html"
        r = self.rules
        jiguan, stations = [], []
        seen_sections = None
        for u in r.units:
            entry = {"slug": u.slug, "name": u.name, "group": r.group_name(u.group),
                     "href": unit_url(u.slug),
                     "news_quota": "、".join(f"{LEVEL_NAMES[k]} {v}" for k, v in (u.news_quota or {}).items()),
                     "lead_target": u.lead_target,
                     "quota": [{"name": qp.name or "", "total": qp.total,
                                "minimums": "、".join(f"{c} {n}" for c, n in qp.minimums.items())}
                               for qp in (u.case_quota.parts if u.case_quota else [])],
                     "rows": [self.rule_item(it) for it in u.items] if not u.sections else [],
                     "total": self.plain(sum((it.max for it in u.items), Fraction(0)))}
            if u.sections:
                stations.append(entry)
                if seen_sections is None:
                    seen_sections = [{"id": s.id, "title": s.title, "weight": self.plain(s.weight),
                                      "rows": [self.rule_item(it) for it in s.items],
                                      "total": self.plain(sum((it.max for it in s.items), Fraction(0)))}
                                     for s in u.sections]
            else:
                jiguan.append(entry)
        adjustments = [{
            "id": a.id, "type": "加分" if a.sign > 0 else "减分", "bonus": a.sign > 0,
            "title": a.title, "text": a.text, "note": a.note,
            "responsible": r.departments.get(a.responsible, a.responsible),
            "cap": self.plain(a.cap) if a.cap is not None else "",
            "applies": _applies_text(a.applies_to),
            "parts": [{"label": pt.label or pt.id, "per": _per_text(pt),
                       "amount": self.amount_text(pt.amount, pt),
                       "zero": "；".join(_zero_text(_field_label(pt.kind, k), v)
                                        for k, v in pt.zero_when.items())}
                      for pt in a.parts],
        } for a in r.adjustments]
        self.render(
            path, "rules.html", "rules",
            period=[d.isoformat() for d in r.period], rules_root=r.root,
            groups=[{"id": g.id, "name": g.name,
                     "count": sum(1 for u in r.units if u.group == g.id)} for g in r.groups],
            jiguan=jiguan, stations=stations, sections=seen_sections or [],
            adjustments=adjustments,
            interpretations=[{"id": i.id, "title": i.title, "text": i.text} for i in r.interpretations],
            categories=_categories(r.case_categories),
        )

    def rule_item(self, it) -> dict[str, Any]:
        return {"id": it.id, "text": it.text, "max": self.plain(it.max),
                "method": "按记录计算" if it.method == "quota" else "考核办评分",
                "progress": PROGRESS_NAMES.get(it.progress.type, it.progress.type) if it.progress else "",
                "extras": [f"{x.label or x.id}（{self.amount_text(x.amount, x)}）" for x in it.extras]}

    def stream_file(self, path: str, chunks: Iterable[bytes]) -> bytes:
        """Write ``chunks`` as the file ``path`` of stream_dir now; what stands for its bytes
        in the site's file mapping (cache.Written, as for a streamed page)."""
        from qsgen.incremental import cache

        return cache.stream_file(self.stream_dir or "", path, chunks)

    def body_text(self, rec: Record) -> str:
        text = self.body_texts.get(rec.id)
        return markdown.plain_text(rec.body) if text is None else text

    def record_search_doc(self, rec: Record):
        """A record's entry in the search index (a pure function of the record and the rules;
        cache.py keeps it between the rebuilds of qsgen serve)."""
        from qsgen.site import search

        unit = self.rules.unit(rec.unit)
        kind = KINDS.get(rec.kind)
        facts = []
        for name in (kind.fields if kind else {}):
            value = rec.fields.get(name)
            if value is None or name in ("url", "task"):
                continue
            shown = self.field_value(rec, name, value, "")
            facts.append("、".join(shown["list"]) if "list" in shown else shown["text"])
        facts.append(rec.date.isoformat())
        return search.SearchDoc(
            url=record_url(rec.id), title=rec.title, kind=kind.name if kind else rec.kind,
            unit=unit.name if unit else rec.unit,
            text=" · ".join(f for f in facts if f), body=self.body_text(rec))

    def search_page(self) -> None:
        from qsgen.site import search

        first = []  # the units, in rank order; then every record; then the rules
        for us in self.results.units:
            u = us.unit
            text = " ".join([u.name, self.rules.group_name(u.group)]
                            + [f"{it.item.id} {it.item.text}" for it in us.items])
            first.append(search.SearchDoc(url=unit_url(u.slug), title=u.name, kind="单位",
                                          unit=u.name, text=text))
        last = [search.SearchDoc(url="rules.html", title="考核规则", kind="规则", unit="",
                                 text=" ".join([a.id + " " + a.title + " " + a.text
                                                for a in self.rules.adjustments]
                                               + [i.title + " " + i.text
                                                  for i in self.rules.interpretations]))]
        head, tail = [search.row(d) for d in first], [search.row(d) for d in last]
        kinds, units = self.search_tables()
        names: list[str] = []  # one part per unit with records (records are in path order)
        for slug, recs in self.results.records.units():
            self.search_part(slug, recs, kinds, units)
            names.append(slug)
        search.tables(head + tail)  # (a URL given twice is an error)
        pieces = search.index_pieces(kinds, units, head, names, tail)
        if self.stream_dir is None:
            self.files[search.INDEX_FILE] = b"".join(pieces)
        else:  # written into the new site piece by piece
            self.files[search.INDEX_FILE] = self.stream_file(search.INDEX_FILE, pieces)
        self.files[search.CLIENT_FILE] = search.CLIENT_JS.encode("utf-8")
        self.render("search.html", "search.html", "search", scripts=[search.INDEX_FILE, search.CLIENT_FILE],
                    doc_count=len(head) + len(self.results.records.records) + len(tail))

    def search_tables(self) -> tuple[list[str], list[str]]:
        """The search index's kinds and units: every kind and unit there can be (a function of
        the code and the rules), so that no part of the index depends on another."""
        kinds = sorted({k.name for k in KINDS.values()} | {"单位", "规则"})
        units = sorted({u.name for u in self.rules.units} | {""})
        return kinds, units

    def search_part(self, slug: str, recs: list[Record], kinds: list[str], units: list[str]) -> None:
        """search/parts/<unit>.js: the search rows of one unit's records."""
        from qsgen.site import search

        path = search.part_file(slug)
        pieces = search.part_pieces(slug, kinds, units, [self.record_search_row(rec) for rec in recs])
        self.files[path] = b"".join(pieces) if self.stream_dir is None else self.stream_file(path, pieces)

    def record_search_row(self, rec: Record) -> Any:
        """A record's row of the search index (cache.py keeps it between builds)."""
        from qsgen.site import search

        return search.row(self.record_search_doc(rec))


def _num(value: Fraction | None, places: int, rounding: str) -> str:
    return "—" if value is None else display.fmt(value, places, rounding)


def _signed(value: Fraction, places: int, rounding: str) -> str:
    return display.fmt_signed(value, places, rounding)


def _plain(value: Fraction | int | None, places: int, rounding: str) -> str:
    return "—" if value is None else display.fmt_plain(value, places, rounding)


_HREF = re.compile(r'(src|href)="([^"#:?][^":?]*?)"')


def _rewrite_relative(body: str, rec: Record, p: str, attachments: dict[str, bytes],
                      record_ids: dict[str, str] | None = None) -> str:
    """Relative links in a body: to an attachment -> the copied file; to another record's .md
    file -> that record's page. Anything else is left as written."""
    from urllib.parse import unquote

    rec_dir = posixpath.dirname(rec.path)

    def sub(m: re.Match) -> str:
        raw = m.group(2)
        path, _, frag = raw.partition("#")
        target = posixpath.normpath(posixpath.join(rec_dir, unquote(path)))
        if (target in attachments or target in rec.attachments) and publishable(target):
            return f'{m.group(1)}="{p}{quote(attachment_file(target))}"'
        if record_ids and target in record_ids:
            return f'{m.group(1)}="{p}{record_url(record_ids[target])}{"#" + frag if frag else ""}"'
        return m.group(0)

    return _HREF.sub(sub, body)


def _commit_date(date: Any) -> str:
    """gitinfo's ISO 8601 author date -> "2023-06-02 10:00" (the author's own clock)."""
    if isinstance(date, str):
        try:
            date = _dt.datetime.fromisoformat(date)
        except ValueError:
            return date
    return date.strftime("%Y-%m-%d %H:%M")


def _field_label(kind: str | None, name: str | None) -> str:
    if not name:
        return ""
    k = KINDS.get(kind or "")
    if k and name in k.all_fields:
        return k.all_fields[name].label or name
    return {"effective_level": "级别", "fine": "罚没款（元）"}.get(name, name)


def _key_name(key: Any) -> str:
    return LEVEL_NAMES.get(str(key), str(key))


def _value_name(v: Any) -> str:
    if v is True or v == "true":
        return "是"
    if v is False or v == "false":
        return "否"
    return _key_name(v)


def _per_text(part: Part) -> str:
    if part.per == "record":
        kind = KINDS.get(part.kind or "")
        name = kind.name if kind else (part.kind or "")
        cond = "，".join(f"{_field_label(part.kind, k)}：{_cond_text(v)}" for k, v in part.where.items())
        text = f"每条“{name}”记录" + (f"（{cond}）" if cond else "")
        if part.once:
            text += "，只计一次"
        return text
    if part.per == "flag":
        return "考核办在评分文件中标记"
    return {"news_surplus": "信息报道超出任务数", "news_shortfall": "信息报道未完成数（按级别）",
            "lead_surplus": "案件线索超出目标数", "lead_shortfall": "案件线索未完成数",
            "case_surplus_general": "超出案件任务的一般程序案件数",
            "case_shortfall": "案件任务未完成数"}.get(part.per, part.per)


def _cond_text(v: Any) -> str:
    if isinstance(v, dict):
        ops = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
        parts = []
        for k, x in v.items():
            if k == "not":
                parts.append("否" if _truthy(x) else f"不为 {_value_name(x)}")
            else:
                parts.append(f"{ops.get(k, k)} {x}")
        return "，".join(parts)
    if isinstance(v, list):
        return "或".join(_value_name(x) for x in v)
    return _value_name(v)


def _zero_text(label: str, value: Any) -> str:
    if _truthy(value):
        return f"属{label}的计 0 分"
    return f"{label}为 {_value_name(value)} 时计 0 分"


def _applies_text(applies: dict[str, Any]) -> str:
    if not applies:
        return ""
    out = []
    for k, v in applies.items():
        if k == "case_quota":
            out.append("仅适用于有案件任务的单位" if _truthy(v) else "仅适用于无案件任务的单位")
        elif k == "group":
            out.append(f"仅适用于：{v}")
        else:
            out.append(f"{k}：{v}")
    return "；".join(out)


def _truthy(v: Any) -> bool:
    return v is True or str(v).lower() in ("true", "yes", "1", "是")


def _categories(aliases: dict[str, str]) -> list[dict[str, str]]:
    out: dict[str, list[str]] = {}
    for alias, canon in aliases.items():
        lst = out.setdefault(canon, [])
        if alias != canon:
            lst.append(alias)
    return [{"name": c, "aliases": "、".join(a)} for c, a in out.items()]


def build_site(results: Results, inputs: SiteInputs | None = None) -> dict[str, bytes]:
    """Every file of the site, keyed by its path relative to the site root, sorted."""
    return _Site(results, inputs or SiteInputs()).build()

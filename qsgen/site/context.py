"""What every page is rendered with: the results, the site's inputs, the templates, number formats, lookups."""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from qsgen.core import lazyre
from qsgen.core.model import Record, Results
from qsgen.site import templates
from qsgen.site.shells import Shells
from qsgen.site.urls import prefix_for, record_url, unit_url
from qsgen.site.uses import Uses
from qsgen.site.years import Year, Years, year_of


@dataclass
class SiteInputs:
    """What the site needs besides the scores; gathered (with I/O) by the build."""

    history: dict[str, Any] = field(default_factory=dict)  # path -> gitinfo.Commit
    attachments: Mapping[str, bytes] = field(default_factory=dict)  # repo path -> content
    source_date: _dt.datetime | None = None  # last commit / SOURCE_DATE_EPOCH
    example: bool = False  # records/<year>/EXAMPLE exists: mark every page of the year 示例数据
    templates: Path | None = None  # the repository's site_templates/ (default: qsgen's own)
    # The commit ``history`` was read at (a file's last commit is a function of it and the
    # path); the incremental layer reuses record page keys while it is the same. None: unknown.
    history_id: str | None = None
    # The PDF engine (publish/pdf.py, `qsgen build --pdf`): the print pages (notices, summary
    # table) are published as PDF too, and linked. None: no PDF files, no links to them.
    pdf: Any = None
    # Approvals (DESIGN.md §7), when rules/owners.yaml names approvers: record or assessment
    # path -> (status, responsible departments, signer's department, signer's name or "",
    # date, signed commit's short hash), a function of HEAD and rules/; and what the rules page
    # says about approving (build/approvals.py). None: not configured, no page mentions them.
    approvals: dict[str, tuple[str, str, str, str, str, str]] | None = None
    approval_rules: tuple | None = None
    # rules/owners.yaml show_authors: False names the unit (or the assessment office) instead
    # of the git author of a file's last change. Git e-mail addresses are never shown.
    show_authors: bool = True


_EMAIL = lazyre.compile(r"<?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?")


def without_emails(text: str) -> str:
    """``text`` with every e-mail address (and its angle brackets) left out."""
    return _EMAIL.sub("", text) if "@" in text else text


def bureau_of(title: str, year: int) -> str:
    """The bureau's name: the assessment's title up to its year."""
    head = title.split(str(year))[0].strip()
    return head or title


def _environment(templates: Path, places: int, rounding: str) -> Any:
    """jinjaenv.environment (jinja2 imported now)."""
    from qsgen.site import jinjaenv

    return jinjaenv.environment(templates, places, rounding)


@functools.lru_cache(maxsize=4096)  # (many files share a commit)
def _commit_date(date: Any) -> str:
    """gitinfo's ISO 8601 author date -> "2023-06-02 10:00" (the author's own clock)."""
    if isinstance(date, str):
        try:
            date = _dt.datetime.fromisoformat(date)
        except ValueError:
            return date
    return date.isoformat(" ")[:16]  # "%Y-%m-%d %H:%M" (strftime costs ~40 µs a page)


class Site:
    """One year of the site: its results and inputs with the Jinja environment, number formats
    and lookups (records by id and by path, the score lines each record feeds), and the years
    of the whole site (``years``). Pages are rendered from it by the modules of site/pages/; it
    holds no page. A year's pages live in its folder (``folder``: "2023/"); their paths in the
    page modules are relative to it."""

    def __init__(self, results: Results, inputs: SiteInputs, years: Years | None = None) -> None:
        self.results = results
        self.rules = results.rules
        self.inputs = inputs
        self.year: Year = years.by_year[results.rules.year] if years is not None else year_of(results)
        self.years = years if years is not None else Years([self.year])
        self.folder = self.year.folder
        self.previous_rules: Any = None  # the rules of the year before, when the site has it
        self.records: dict[str, Record] = {r.id: r for r in results.records.records}
        self.record_paths: dict[str, str] = {r.path: r.id for r in results.records.records}
        self.units_by_slug: dict[str, Any] = {}  # the rules' units (Rules.unit(), without its scan)
        for u in self.rules.units:
            self.units_by_slug.setdefault(u.slug, u)
        self.places = self.rules.places
        self.rounding = self.rules.rounding
        self.templates = inputs.templates or templates.TEMPLATE_DIR
        # pages rendered with their layout's part made once; the Jinja environment (``env``) is
        # made the first time a page needs it (one rendered from a kept shell does not)
        self.shells = Shells(functools.partial(_environment, self.templates, self.places, self.rounding))
        # (the environment's "plain" filter)
        self.uses: Any = Uses(self.records, results.units,
                              functools.partial(templates.plain, places=self.places, rounding=self.rounding))
        self._common: dict[tuple, dict[str, Any]] = {}

    @property
    def env(self) -> Any:
        """The Jinja2 environment of the templates (templates.environment), made when first used."""
        return self.shells.env

    # formatting ---------------------------------------------------------
    def num(self, value: Fraction | None) -> str:
        return templates.num(value, self.places, self.rounding)

    def signed(self, value: Fraction) -> str:
        return templates.signed(value, self.places, self.rounding)

    def plain(self, value: Fraction | int | None) -> str:
        return templates.plain(value, self.places, self.rounding)

    # rendering ----------------------------------------------------------
    def common(self, path: str, page: str, about: str | None = None, root: bool = False) -> dict[str, Any]:
        """What every template gets: the way to the year's folder (``p``) and to the site's
        root (``r``), the page's name, the year, the year switcher (``years``; ``about``: the
        unit the page is about, kept when switching)… ``root``: ``path`` is a page of the
        site's root, not of the year's folder. The same for every page of the same depth,
        kind and unit: made once per build (templates only read it)."""
        key = (prefix_for(path), page, about, root)
        made = self._common.get(key)
        if made is None:
            made = self._common[key] = self._make_common(key[0], page, about, root)
        return made

    def _make_common(self, prefix: str, page: str, about: str | None, root: bool) -> dict[str, Any]:
        r = self.rules
        if root:
            to_root = prefix
            to_year = to_root + self.folder
            # the root pages show the latest year: while it is in progress, the date it is
            # shown as of (an example's EXAMPLE as_of), as its own pages say; else the build's
            sd = self.results.as_of or self.inputs.source_date
        else:
            to_year = prefix
            to_root = to_year + "../"
            sd = self.results.as_of
        return {
            "p": to_year,
            "r": to_root,
            "years": self.switcher(to_root, page, about),
            "folder": self.folder,
            "year_state": self.year.state,
            "year_state_name": self.year.state_name,
            "page": page,
            "bureau": bureau_of(r.title, r.year),
            "title": r.title,
            "year": r.year,
            "document": r.document,
            "example": self.inputs.example,
            "source_date": sd.isoformat()[:10] if sd else "",
            "period": [d.isoformat() for d in r.period],
            "places": self.places,
            "rounding_name": "四舍五入" if self.rounding == "ROUND_HALF_UP" else "四舍六入五成双",
            "life": self.life_banner(),
        }

    def life_banner(self) -> dict[str, Any] | None:
        """What every page of a year in 公示 or 定稿 says of it (records/<year>/status.yaml)."""
        lc = self.results.lifecycle
        if lc is None or lc.notice is None:
            return None
        n = lc.notice
        out = {"state": lc.state, "start": n.start.isoformat(), "end": n.end.isoformat(), "workdays": n.workdays,
               "where": n.where, "how": n.how, "answer_workdays": lc.answer_workdays,
               "objections": len(lc.objections), "open": sum(1 for o in lc.objections if o.answer is None),
               "corrections": len(lc.corrections), "final_date": "", "decision": ""}
        if lc.final is not None:
            out["final_date"], out["decision"] = lc.final.date.isoformat(), lc.final.decision
        return out

    def render(self, path: str, template: str, page: str, *, about: str | None = None, root: bool = False,
               **ctx: Any) -> bytes:
        """The page at ``path`` (in the year's folder, or the site's root with ``root``) made
        from ``template`` with ``ctx``, as UTF-8 bytes."""
        key = (prefix_for(path), page, about, root)  # (the key of common())
        shared = self._common.get(key)
        if shared is None:
            shared = self.common(path, page, about, root)
        return self.shells.render_bytes(template, key, shared, ctx)

    def switcher(self, to_root: str, page: str, unit: str | None) -> list[dict[str, Any]]:
        """The year switcher: each year's page of the same kind (the same unit's page, where
        the unit continues into that year; else that year's ranking)."""
        out = []
        for y in self.years:
            if unit is not None:
                slug = unit if y.year == self.year.year else self.years.counterpart(self.year.year, unit, y.year)
                target = unit_url(slug) if slug is not None else "index.html"
            elif page == "rules":
                target = "rules.html"
            else:
                target = "index.html"
            out.append({"year": y.year, "path": y.folder + target, "href": to_root + y.folder + target,
                        "state": y.state_name, "state_id": y.state, "life": y.life,
                        "current": y.year == self.year.year})
        return out

    def result_date(self) -> _dt.datetime:
        """The date a year's documents (notices, the workbook) carry: while the year is in
        progress, the date it is shown as of; else the latest date an assessment file gives,
        or the end of the assessment period. Not the build's date: a finished year's documents
        do not change when another year's records do."""
        if self.results.as_of is not None:
            day = self.results.as_of
        else:
            dates = [a.date for a in self.results.records.assessments.values() if a.date is not None]
            day = max([self.rules.period[1], *dates])
        return _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.UTC)

    # lookups ------------------------------------------------------------
    def rec_link(self, record_id: str, p: str) -> dict[str, str]:
        r = self.records.get(record_id)
        title = r.title if r else record_id
        return {"href": p + record_url(record_id), "title": title, "id": record_id,
                "date": r.date.isoformat() if r else ""}

    def approval(self, path: str) -> dict[str, str] | None:
        """The approval line of a record or assessment file: {"state": "verified" | "none" |
        "invalid", "text": …, "commit": …}; None when approvals are not configured."""
        data = self.inputs.approvals
        if data is None:
            return None
        status, responsible, department, person, date, commit = data.get(path) or ("unsigned", "", "", "", "", "")
        who = f"{department} {person}".strip()
        should = f"应由{responsible}审核" if responsible else "应由责任股室审核"
        if status == "approved":
            return {"state": "verified", "who": who, "badge": "签名已验证", "date": date, "commit": commit,
                    "note": ""}
        if status in ("bad", "unknown"):
            why = "提交在签名后被改动过" if status == "bad" else "签名所用的密钥不在审核人名单中"
            return {"state": "invalid", "who": "", "badge": "签名无效", "date": date, "commit": commit,
                    "note": f"{why}，{should}"}
        why = {"self": f"签名人是这次改动的提交人本人，{should}的其他人",
               "outside": f"签名人属于{department}，{should}"}.get(status, should)
        return {"state": "none", "who": "", "badge": "未经审核", "date": "", "commit": "", "note": why}

    def git_info(self, path: str, department: str) -> dict[str, str] | None:
        """The last commit of ``path`` as a page shows it: its author's name, or ``department``
        (the unit the file belongs to) when show_authors is off or the name is an e-mail
        address; never an e-mail address (none in the subject either)."""
        commit = self.inputs.history.get(path)
        if commit is None:
            return None
        author = without_emails(commit.author).strip(" <>()") if self.inputs.show_authors else ""
        return {"author": author or department, "short": commit.short, "sha": commit.sha,
                "subject": without_emails(commit.subject), "date": _commit_date(commit.date)}


"""A year's lifecycle checked and gathered: the status against the calendar, objections and answers, corrections, the final manifest."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from qsgen.core.errors import Diagnostic, Diagnostics
from qsgen.core.hints import did_you_mean
from qsgen.core.kinds import kind_of_filename
from qsgen.core.model import Record, RecordSet, Results, Rules
from qsgen.core.stages import FINAL, IN_PROGRESS, manifest_path
from qsgen.lifecycle.status import read_status

if TYPE_CHECKING:  # (imported for a year with a lifecycle only: the calendar and its schema, the
    # manifest's code, core.lifecycle's dataclasses)
    from qsgen.core.lifecycle import Correction, Final, Notice, Objection, UnitChange, YearLifecycle
    from qsgen.lifecycle import manifest as mf
    from qsgen.lifecycle.calendar import Calendar
    from qsgen.lifecycle.status import Status

GUIDE = "docs/guide/office.md"


def evaluate(root: Path, rules: Rules, records: RecordSet, today: _dt.date | None,
             results: Results | None = None, last_commit: Callable[[Path, str], str | None] | None = None
             ) -> tuple[YearLifecycle | None, list[Diagnostic]]:
    """The year's lifecycle and every problem of it. ``today``: the build's date (an objection
    unanswered after its deadline is overdue); ``results``: the year's scores, compared with
    the final manifest's (before and after a correction). None when the year has no status
    file and no lifecycle record. ``last_commit(root, path)``: repo.commits.last_commit_of,
    or what stands for it (the build keeps its answers by HEAD)."""
    return _Year(Path(root), rules, records, today, last_commit).run(results)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "……"


class _Year:
    def __init__(self, root: Path, rules: Rules, records: RecordSet, today: _dt.date | None,
                 last_commit: Callable[[Path, str], str | None] | None = None) -> None:
        self.root, self.rules, self.records, self.today = root, rules, records, today
        self.last_commit = last_commit
        self.year = rules.year
        self.diags = Diagnostics()
        self.calendar: Calendar  # (run: loaded once the year turns out to have a lifecycle)

    def of_kinds(self, *kinds: str) -> list[list[Record]]:
        """The records of each of ``kinds``, in one pass over the year's records."""
        found: dict[str, list[Record]] = {k: [] for k in kinds}
        for r in self.records.records:
            if (same := found.get(r.kind)) is not None:
                same.append(r)
        return [found[k] for k in kinds]

    def run(self, results: Results | None) -> tuple[YearLifecycle | None, list[Diagnostic]]:
        status = read_status(self.root, self.year, self.diags)
        objections, answers, corrections = self.of_kinds("objection", "answer", "correction")
        sealed = (self.root / manifest_path(self.year)).is_file()
        if not sealed:
            self._unsealed()
        if status is None and not (objections or answers or corrections or sealed):
            return None, self.diags.sorted()
        from qsgen.core.lifecycle import YearLifecycle
        from qsgen.lifecycle.calendar import load_calendar

        self.calendar, cal_diags = load_calendar(self.root)
        self.diags.extend(cal_diags)
        state = status.state if status is not None else IN_PROGRESS
        if state != IN_PROGRESS:
            self._judged(status)
        notice = self._notice(status) if status is not None else None
        final = self._final(status, notice) if status is not None else None
        objs = self._objections(objections, answers, notice)
        if state == FINAL:
            for o in objs:
                if o.answer is None:
                    self.diags.error(status.path, status.final.at("date")[0] if status.final is not None else 1, 1,
                                     f"{o.unit} 的异议 {o.record} 还没有答复，不能定稿",
                                     "先在同一单位文件夹提交答复记录（answer），再定稿")
        corr = self._corrections(corrections, state, final)
        digest = signature = signer = ""
        changes: tuple[UnitChange, ...] = ()
        if state == FINAL or sealed:  # (a status put back or removed is itself a difference)
            digest, changes = self._manifest(status, corrections, corr, results)
            if digest:
                from qsgen.lifecycle.manifest import check_signature

                signature, signer = check_signature(self.root, self.year)
        lc = YearLifecycle(state=state, notice=notice, final=final, answer_workdays=self.rules.answer_workdays,
                           objections=tuple(objs), corrections=tuple(corr), changes=changes,
                           manifest_digest=digest, signature=signature, signer=signer)
        return lc, self.diags.sorted()

    # ------------------------------------------------------------- status

    def _unsealed(self) -> None:
        """A manifest the history has had and the tree has not: the final year was unsealed."""
        rel = manifest_path(self.year)
        last_commit = self.last_commit
        if last_commit is None:
            from qsgen.repo.commits import last_commit_of as last_commit
        last = last_commit(self.root, rel)
        if last is not None:
            self.diags.error(rel, 1, 1, f"{self.year} 年度的定稿清单被删除了（提交 {last[:10]} 中还有）",
                             f"定稿后不能撤销定稿：用 git 恢复 {rel}；确需改动的，提交更正记录（correction），见 {GUIDE}")

    def _judged(self, status: Status) -> None:
        """A result in 公示 or 定稿 has every task item judged (no 待评)."""
        pending = []
        for u in self.rules.units:
            a = self.records.assessments.get(u.slug)
            n = sum(1 for i in u.items if i.method == "assessed" and (a is None or i.id not in a.items))
            if n:
                pending.append(f"{u.name} {n} 项")
        if pending:
            self.diags.error(status.path, status.line, 1,
                             f"状态为{status.state}，但还有待评的任务项：" + "、".join(pending[:5])
                             + ("等" if len(pending) > 5 else ""),
                             "考核办评完全部任务项（各单位的 assessment.yaml）之后才能公示和定稿")

    def _notice(self, status: Status) -> Notice | None:
        from qsgen.core.lifecycle import Notice
        from qsgen.lifecycle.calendar import UnknownYear, unknown_year_hint

        n = status.notice
        if n is None or n.start is None or n.workdays is None:
            return None
        line = n.at("start")[0]
        if n.start <= self.rules.period[1]:
            self.diags.error(status.path, line, 1, f"公示开始日期 {n.start.isoformat()} 还在考核期之内",
                             f"考核期到 {self.rules.period[1].isoformat()} 结束，公示从结束之后开始")
        if n.workdays < self.rules.notice_workdays:
            self.diags.error(status.path, n.at("workdays")[0], 1,
                             f"公示只有 {n.workdays} 个工作日，少于规则要求的 {self.rules.notice_workdays} 个",
                             f"改为 workdays: {self.rules.notice_workdays} 或更多（{self.rules.root}/assessment.yaml 的 objections）")
        try:
            end = self.calendar.nth_workday(n.start, n.workdays)
        except UnknownYear as e:
            self.diags.error(status.path, line, 1, f"无法计算公示期：没有 {e.year} 年的工作日安排", unknown_year_hint(e.year))
            return None
        return Notice(n.start, end, n.workdays, n.where or "", n.how or "")

    def _final(self, status: Status, notice: Notice | None) -> Final | None:
        from qsgen.core.lifecycle import Final

        f = status.final
        if f is None or f.date is None:
            return None
        if notice is not None and f.date <= notice.end:
            self.diags.error(status.path, f.at("date")[0], 1,
                             f"定稿日期 {f.date.isoformat()} 不在公示期结束之后",
                             f"公示期 {notice.start.isoformat()} 至 {notice.end.isoformat()}，定稿要在这之后")
        return Final(f.date, f.decision or "")

    # -------------------------------------------------------- objections

    def _contested(self, rec: Record) -> str | None:
        """The words of the item or rule an objection contests, None when it names none."""
        wanted = rec.fields.get("contests", "").strip()
        unit = self.rules.unit(rec.unit)
        items = {i.id: i.text for i in unit.items} if unit is not None else {}
        rules = {a.id: f"{a.id} {a.title}" for a in self.rules.adjustments}
        if wanted in items:
            return f"{wanted} {_short(items[wanted])}"
        if wanted in rules:
            return rules[wanted]
        choices = list(items) + list(rules)
        hint = did_you_mean(wanted, choices) or ""
        self.diags.error(rec.path, rec.lines.get("contests", 1), 1,
                         f"异议事项“{wanted}”不是本单位的任务项，也不是加减分项目",
                         hint + f"写本单位的任务项编号（{'、'.join(list(items)[:3])}……）或加减分项目编号（"
                         + "、".join(list(rules)[:4]) + "……），见本年度的考核规则页")
        return None

    def _objections(self, objections: list[Record], answers: list[Record], notice: Notice | None) -> list[Objection]:
        from qsgen.core.lifecycle import Answer, Objection
        from qsgen.lifecycle.calendar import UnknownYear, unknown_year_hint

        by_path = {r.path: r for r in objections}
        answered: dict[str, Record] = {}
        for a in answers:
            name = a.fields.get("objection", "").strip()
            name = name if name.endswith(".md") else name + ".md"
            target = f"records/{self.year}/{a.unit}/{name.rsplit('/', 1)[-1]}"
            if target not in by_path:
                here = [p.rsplit("/", 1)[-1] for p in by_path if p.startswith(f"records/{self.year}/{a.unit}/")]
                self.diags.error(a.path, a.lines.get("objection", 1), 1,
                                 f"本单位文件夹里没有异议记录 {name}",
                                 ("本单位的异议：" + "、".join(here)) if here else "答复要放在提出异议的单位的文件夹里")
                continue
            if target in answered:
                self.diags.error(a.path, a.lines.get("objection", 1), 1,
                                 f"异议 {name} 已经由 {answered[target].path} 答复过",
                                 "一条异议只答复一次；答复有误的，改原来那条答复记录")
                continue
            answered[target] = a
            if a.fields.get("result") == "变更" and not a.fields.get("change", "").strip():
                self.diags.error(a.path, a.lines.get("result", 1), 1, "复核结论为变更，但没有写所作变更（change）",
                                 "加一行 change: 写明改了哪个文件的哪一项，如 assessment.yaml 中 t05 由 7 分改为 8.5 分；"
                                 "分数要在评分文件或记录里照常改正")
        out = []
        for rec in objections:
            title = self._contested(rec)
            if notice is None:
                self.diags.error(rec.path, rec.lines.get("date", 1), 1, f"{self.year} 年度的结果还没有公示，不能提出异议",
                                 f"考核办在 records/{self.year}/status.yaml 中写明公示后，在公示期内提出")
                continue
            if not (notice.start <= rec.date <= notice.end):
                self.diags.error(rec.path, rec.lines.get("date", 1), 1,
                                 f"异议日期 {rec.date.isoformat()} 不在公示期内",
                                 f"公示期 {notice.start.isoformat()} 至 {notice.end.isoformat()}，异议要在这期间提出")
                continue
            try:
                deadline = self.calendar.add_workdays(rec.date, self.rules.answer_workdays)
            except UnknownYear as e:
                self.diags.error(rec.path, rec.lines.get("date", 1), 1,
                                 f"无法计算答复期限：没有 {e.year} 年的工作日安排", unknown_year_hint(e.year))
                continue
            ans = answered.get(rec.path)
            answer = None
            if ans is not None:
                late = ans.date > deadline
                if ans.date < rec.date:
                    self.diags.error(ans.path, ans.lines.get("date", 1), 1,
                                     f"答复日期 {ans.date.isoformat()} 早于异议日期 {rec.date.isoformat()}")
                elif late:
                    self.diags.warning(ans.path, ans.lines.get("date", 1), 1,
                                       f"逾期答复：答复期限是 {deadline.isoformat()}（收到异议后 {self.rules.answer_workdays} 个工作日）",
                                       "网站上照样公开，并标明逾期答复")
                answer = Answer(ans.id, ans.date, ans.fields.get("result", ""), ans.fields.get("reason", ""),
                                ans.fields.get("decided_by", ""), ans.fields.get("change", ""), late)
            overdue = answer is None and self.today is not None and self.today > deadline
            if overdue:
                self.diags.warning(rec.path, rec.lines.get("date", 1), 1,
                                   f"异议逾期未答复：答复期限是 {deadline.isoformat()}",
                                   f"考核办请尽快在 records/{self.year}/{rec.unit}/ 提交答复记录（answer），见 {GUIDE}")
            out.append(Objection(rec.id, rec.unit, rec.fields.get("contests", ""), title or "",
                                 rec.fields.get("grounds", ""), rec.date, deadline, answer, overdue))
        return sorted(out, key=lambda o: (o.date, o.record))

    # -------------------------------------------------------- corrections

    def _corrections(self, corrections: list[Record], state: str, final: Final | None) -> list[Correction]:
        from qsgen.core.lifecycle import Correction

        out = []
        for rec in corrections:
            if state != FINAL or final is None:
                self.diags.error(rec.path, 1, 1, f"{self.year} 年度还没有定稿，不需要更正记录",
                                 "定稿之前的改动照常提交；更正只用于定稿之后")
                continue
            if not rec.fields.get("files"):
                self.diags.error(rec.path, rec.lines.get("title", 1), 1, "更正记录没有写更正的文件（files）",
                                 f"加一行 files: [records/{self.year}/<单位>/assessment.yaml]，列出这次更正改动的每个文件")
            if rec.date < final.date:
                self.diags.error(rec.path, rec.lines.get("date", 1), 1,
                                 f"更正日期 {rec.date.isoformat()} 早于定稿日期 {final.date.isoformat()}")
            out.append(Correction(rec.id, rec.unit, rec.date, rec.fields.get("reason", ""),
                                  rec.fields.get("decision", ""), tuple(rec.fields.get("files", ()))))
        return sorted(out, key=lambda c: (c.date, c.record))

    # ----------------------------------------------------------- manifest

    def _manifest(self, status: Status | None, records: list[Record], corrections: list[Correction],
                  results: Results | None) -> tuple[str, tuple[UnitChange, ...]]:
        from qsgen.core.lifecycle import UnitChange
        from qsgen.lifecycle import manifest as mf

        manifest, why = mf.read_manifest(self.root, self.year)
        rel = mf.manifest_path(self.year)
        if manifest is None:
            if why:
                self.diags.error(rel, 1, 1, why, f"用 git 恢复原文件，或由考核办重新运行 qsgen finalize {self.year}")
            else:
                self.diags.warning(f"records/{self.year}/status.yaml", 1, 1, f"{self.year} 年度已定稿，但还没有定稿清单",
                                   f"运行 qsgen finalize {self.year}，把生成的 {rel} 和本文件一起提交（见 {GUIDE}）")
            return "", ()
        explained = {f for c in corrections for f in c.files}
        correction_files = {r.path for r in records}
        files = mf.input_files(self.root, self.year)
        for d in mf.differences(manifest, files):
            if d.path in explained or (d.what == "added" and d.path in correction_files):
                continue
            if d.what == "added" and kind_of_filename(d.path.rsplit("/", 1)[-1]) == "correction":
                continue  # a correction record with errors: those are reported
            self._refuse(d, files)
        changes: list[UnitChange] = []
        if results is not None:
            before = manifest.before()
            for us in sorted(results.units, key=lambda u: u.rank):
                old = before.get(us.unit.slug)
                if old is not None and (old[0] != us.total or old[1] != us.rank):
                    changes.append(UnitChange(us.unit.slug, us.unit.name, old[0], us.total, old[1], us.rank))
            if changes and not corrections:
                self.diags.error(rel, 1, 1, f"{self.year} 年度已定稿，但得分与定稿清单不同，而输入文件都没有改动",
                                 "计分程序或工作日以外的设置变了：恢复原来的版本，或按更正程序提交更正记录（correction）")
        return manifest.digest, tuple(changes)

    def _refuse(self, d: mf.Difference, files: dict[str, bytes]) -> None:
        from qsgen.lifecycle import manifest as mf

        what = {"changed": "内容被改动", "added": "是新加的文件", "removed": "被删除了"}[d.what]
        line = mf.changed_line(self.root, d, files)
        where = d.path.split("/")
        unit = where[2] if d.path.startswith("records/") and len(where) > 3 else "<单位>"
        self.diags.error(
            d.path, line, 1,
            f"{self.year} 年度已定稿，{d.path} 与定稿清单不同：{what}",
            f"定稿后不能直接改动。确需更正的，在 records/{self.year}/{unit}/ 新建 correction-….md，写明 reason（原因）、"
            f"decision（更正决定文号）、date 和 files: [{d.path}]（见 {GUIDE}）；不是有意改动的，用 git 恢复原文件")

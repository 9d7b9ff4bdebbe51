"""CODEOWNERS generated from the rules: each record kind routed to its responsible department."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from qsgen.core import yamlsafe
from qsgen.core.errors import Diagnostic, Diagnostics
from qsgen.core.kinds import KINDS
from qsgen.core.measures import MEASURES
from qsgen.core.model import Rules

OWNERS_PATH = "rules/owners.yaml"
CODEOWNERS_PATH = "CODEOWNERS"
PLATFORMS = ("github", "gitlab", "gitea")

HEADER = """\
# 本文件由 `qsgen codeowners` 根据 rules/ 自动生成，请不要手工修改。
# 要更换审核人：改 rules/owners.yaml（股室 → 团队），再运行 `qsgen codeowners` 并提交。
# 每类记录由它所影响的加减分项目的责任股室审核（见 rules/<年度>/adjustments.yaml 的 responsible）。
"""


@dataclass
class OwnersConfig:
    """rules/owners.yaml: which platform team reviews for each department."""

    platform: str = "github"
    teams: dict[str, list[str]] = field(default_factory=dict)  # department id -> handles
    lines: dict[str, int] = field(default_factory=dict)  # department id -> line in owners.yaml
    assessment_office: str = "office"
    rules_owner: str = "leadership"
    code_owner: str = ""  # program, templates, CI files; "" = the rules owner


@dataclass
class Entry:
    """One CODEOWNERS line before rendering."""

    what: str  # "default" | "records" | "kind" | "assessment" | "rules" | "codeowners"
    kind: str | None
    departments: list[str]
    comment: str


# ------------------------------------------------------------------ loading


def load_owners(root: str | Path) -> tuple[OwnersConfig | None, list[Diagnostic]]:
    """Read rules/owners.yaml; None when the file does not exist."""
    path = Path(root) / OWNERS_PATH
    if not path.is_file():
        return None, []
    diags = Diagnostics()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        diags.error(OWNERS_PATH, 1, 1, f"无法读取文件：{e}", "请用 UTF-8 编码保存")
        return None, diags.sorted()
    node, ydiags = yamlsafe.load(text, OWNERS_PATH)
    diags.extend(ydiags)
    if node is None:
        return None, diags.sorted()
    cfg = OwnersConfig()
    if not node.is_map:
        diags.error(OWNERS_PATH, node.line, node.col, "文件内容应是“键: 值”的形式",
                    "参照示例：teams: {fagui: \"@组织/fagui\"}")
        return None, diags.sorted()
    # cms: the web form's settings, read by qsgen/cms/settings.py (`qsgen cms`)
    known = {"platform", "teams", "assessment_office", "rules_owner", "code_owner", "cms"}
    for key, value in node.value.items():
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            diags.error(OWNERS_PATH, value.key_line, 1, f"不认识的设置项：{key}",
                        f"是不是 {close[0]}？" if close else "可用的设置项：" + "、".join(sorted(known)))
    if "platform" in node.value:
        p = node.value["platform"]
        if not p.is_scalar or p.value.strip().lower() not in PLATFORMS:
            diags.error(OWNERS_PATH, p.line, p.col, f"platform 只能是 {' / '.join(PLATFORMS)}",
                        "GitHub 写 github，GitLab 写 gitlab，Gitea 写 gitea")
        else:
            cfg.platform = p.value.strip().lower()
    for key in ("assessment_office", "rules_owner", "code_owner"):
        if key in node.value:
            v = node.value[key]
            if not v.is_scalar or not v.value.strip():
                diags.error(OWNERS_PATH, v.line, v.col, f"{key} 应写一个股室 id，如 office")
            else:
                setattr(cfg, key, v.value.strip())
    teams = node.value.get("teams")
    if teams is None:
        diags.error(OWNERS_PATH, 1, 1, "缺少 teams:（股室 → 团队）", "例如 teams: {fagui: \"@组织/fagui\"}")
    elif not teams.is_map:
        diags.error(OWNERS_PATH, teams.line, teams.col, "teams: 下应是“股室 id: 团队”的形式")
    else:
        for dept, v in teams.value.items():
            handles = [v] if v.is_scalar else (v.value if v.is_list else None)
            if handles is None:
                diags.error(OWNERS_PATH, v.line, v.col, f"股室 {dept} 的团队应写成文字或文字列表")
                continue
            out: list[str] = []
            for h in handles:
                text_h = h.value.strip() if h.is_scalar else ""
                if not text_h:
                    continue
                if " " in text_h or not (text_h.startswith("@") or "@" in text_h[1:]):
                    diags.error(OWNERS_PATH, h.line, h.col, f"团队名 {text_h!r} 的写法不对",
                                "以 @ 开头，如 \"@qinshui-scj/fagui\"（要加引号），或写邮箱地址")
                    continue
                out.append(text_h)
            cfg.teams[dept] = out
            cfg.lines[dept] = v.key_line
    return cfg, diags.sorted()


# --------------------------------------------------------------- derivation


def kind_departments(rules: Rules, office: str = "office") -> dict[str, list[str]]:
    """Each record kind -> the departments responsible for what it feeds, in rule order.

    A kind feeds an adjustment when one of its parts names the kind or counts it through a
    measure (news_surplus counts news, …). ``evidence`` and any kind no rule uses go to the
    assessment office, which judges the task items.
    """
    out: dict[str, list[str]] = {k: [] for k in KINDS}

    def add(kind: str | None, dept: str) -> None:
        if kind in out and dept and dept not in out[kind]:
            out[kind].append(dept)

    for adj in rules.adjustments:
        for part in adj.parts:
            add(part.kind or (MEASURES[part.per].kind if part.per in MEASURES else None), adj.responsible)
    # Item progress reads news / cases / leads (owned above) and evidence (the office's).
    for depts in out.values():
        if not depts:
            depts.append(office)
    out["evidence"] = [office]
    return out


def _ordered_kinds() -> list[str]:
    """Kinds in declaration order, but a kind whose prefix is another kind's (case-lead after
    case) comes later, because in CODEOWNERS the last matching line wins."""
    kinds = list(KINDS)
    return sorted(kinds, key=lambda k: sum(1 for j in kinds if j != k and k.startswith(j + "-")))


def entries(rules: Rules, cfg: OwnersConfig) -> list[Entry]:
    """The CODEOWNERS lines, most general first."""
    per_kind = kind_departments(rules, cfg.assessment_office)
    dname = rules.departments
    code = cfg.code_owner or cfg.rules_owner
    out = [Entry("default", None, [code],
                 f"其他文件（程序、网站模板、CI 配置等，改动会影响计分）→ {dname.get(code, code)}"),
           Entry("records", None, [cfg.assessment_office],
                 f"其他记录文件（附件等）→ {dname.get(cfg.assessment_office, cfg.assessment_office)}")]
    for kind in _ordered_kinds():
        depts = per_kind[kind]
        names = "、".join(dname.get(d, d) for d in depts)
        out.append(Entry("kind", kind, depts, f"{KINDS[kind].name}（{kind}）→ {names}"))
    out.append(Entry("assessment", None, [cfg.assessment_office],
                     f"考核办评分文件 → {dname.get(cfg.assessment_office, cfg.assessment_office)}"))
    out.append(Entry("rules", None, [cfg.rules_owner],
                     f"考核规则与审核人设置 → {dname.get(cfg.rules_owner, cfg.rules_owner)}"))
    out.append(Entry("codeowners", None, [cfg.rules_owner], "本文件"))
    return out


def _pattern(entry: Entry, platform: str) -> str | None:
    if platform == "gitea":  # Go regular expressions, whole path; "\\." is an escaped dot
        return {
            "default": None,  # Gitea adds the owners of every matching line: no catch-all
            "records": None,
            "kind": f"records/(.*/)?{entry.kind}-[^/]*",
            "assessment": "records/(.*/)?assessment\\\\.yaml",
            "rules": "rules/.*",
            "codeowners": "CODEOWNERS",
        }[entry.what]
    return {
        "default": "*",
        "records": "/records/",
        "kind": f"/records/**/{entry.kind}-*",
        "assessment": "/records/**/assessment.yaml",
        "rules": "/rules/",
        "codeowners": "/CODEOWNERS",
    }[entry.what]


def render(rules: Rules, cfg: OwnersConfig) -> tuple[str, list[Diagnostic]]:
    """The CODEOWNERS text for ``rules`` and ``cfg`` (deterministic: no dates)."""
    diags = Diagnostics()
    for dept, line in cfg.lines.items():
        if dept not in rules.departments:
            close = difflib.get_close_matches(dept, sorted(rules.departments), n=1)
            diags.error(OWNERS_PATH, line, 1, f"不认识的股室 id：{dept}",
                        f"是不是 {close[0]}？" if close else
                        f"股室 id 见 {rules.root}/assessment.yaml 的 departments:")
    reported: set[str] = set()
    body: list[str] = []
    for entry in entries(rules, cfg):
        pattern = _pattern(entry, cfg.platform)
        if pattern is None:
            continue
        handles: list[str] = []
        for dept in entry.departments:
            got = cfg.teams.get(dept)
            if not got:
                if dept not in reported:
                    reported.add(dept)
                    diags.error(OWNERS_PATH, 1, 1,
                                f"股室 {rules.departments.get(dept, dept)}（{dept}）没有设置审核团队",
                                f"在 teams: 下加一行：{dept}: \"@组织/团队\"")
                continue
            handles.extend(h for h in got if h not in handles)
        body.append(f"# {entry.comment}")
        if handles:
            body.append(f"{pattern} {' '.join(handles)}")
        else:
            body.append(f"# {pattern} （未设置审核团队）")
    platform_note = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea（正则表达式写法）"}[cfg.platform]
    text = HEADER + f"# 平台：{platform_note}；考核年度规则：{rules.root}\n\n" + "\n".join(body) + "\n"
    return text, diags.sorted()


# ------------------------------------------------------------ whole repository


def generate(root: str | Path) -> tuple[str | None, list[Diagnostic]]:
    """Load the (latest year's) rules and rules/owners.yaml and render CODEOWNERS."""
    from qsgen.rules import load_rules

    cfg, diags = load_owners(root)
    if cfg is None and not diags:
        return None, [Diagnostic(OWNERS_PATH, 1, 1, "没有找到审核人设置文件 rules/owners.yaml",
                                 "照 docs/guide 中的示例新建这个文件：股室 id → 平台团队")]
    rules, rdiags = load_rules(Path(root))
    diags = list(diags) + list(rdiags)
    if cfg is None or rules is None or any(d.severity == "error" for d in diags):
        return None, sorted(diags)
    text, more = render(rules, cfg)
    diags += more
    if any(d.severity == "error" for d in diags):
        return None, sorted(diags)
    return text, sorted(diags)


def first_difference(old: str, new: str) -> int:
    """1-based line number of the first differing line."""
    a, b = old.splitlines(), new.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            return i
    return min(len(a), len(b)) + 1


def stale_warning(root: str | Path) -> Diagnostic | None:
    """A warning when the committed CODEOWNERS no longer matches the rules (for `qsgen check`).

    Silent when the repository has no rules/owners.yaml (the bureau does not use CODEOWNERS)
    or when the rules cannot be loaded (check reports those errors itself).
    """
    root = Path(root)
    if not (root / OWNERS_PATH).is_file():
        return None
    try:
        text, diags = generate(root)
    except Exception:  # never let this hook break `qsgen check`
        return None
    if text is None:
        owners_errors = [d for d in diags if d.path == OWNERS_PATH and d.severity == "error"]
        if owners_errors:
            d = owners_errors[0]
            return Diagnostic(d.path, d.line, d.col, "审核人设置有误，无法生成 CODEOWNERS：" + d.message,
                              d.hint, "warning")
        return None
    path = root / CODEOWNERS_PATH
    if not path.is_file():
        return Diagnostic(CODEOWNERS_PATH, 1, 1, "还没有生成 CODEOWNERS，合并请求不会自动请责任股室审核",
                          "运行 qsgen codeowners，再提交生成的 CODEOWNERS", "warning")
    current = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    if current == text:
        return None
    return Diagnostic(CODEOWNERS_PATH, first_difference(current, text), 1,
                      "CODEOWNERS 已过期：与 rules/ 和 rules/owners.yaml 不一致",
                      "运行 qsgen codeowners 重新生成，再提交", "warning")

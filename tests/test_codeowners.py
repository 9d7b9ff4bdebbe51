"""CODEOWNERS generated from the rules: routing per kind, platforms, owners.yaml errors, staleness."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pytest
from fixtures.recordkit import copy_rules

from qsgen.cli.commands import codeowners as cmd
from qsgen.review import codeowners
from qsgen.rules import load_rules

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rules():
    r, diags = load_rules(REPO, 2023)
    assert r is not None, diags
    return r


def github_owner(text: str, path: str) -> list[str]:
    """Owners of ``path`` under GitHub semantics (the last matching line wins)."""
    owners: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *who = line.split()
        rx = re.escape(pattern.lstrip("/")).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        rx = "^" + rx + ("" if pattern.endswith("/") else "(?:/.*)?$")
        if re.match(rx, path):
            owners = who
    return owners


def gitea_owners(text: str, path: str) -> list[str]:
    """Owners under Gitea semantics: every matching regular-expression line adds its owners."""
    owners: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *who = line.split()
        if re.fullmatch(pattern.replace("\\\\", "\\"), path):
            owners += [w for w in who if w not in owners]
    return owners


def test_kinds_go_to_the_department_responsible_for_what_they_feed(rules):
    per_kind = codeowners.kind_departments(rules)
    assert per_kind["news"] == ["bangongshi"]
    assert per_kind["case"] == ["fagui"]
    assert per_kind["case-lead"] == ["fagui"]
    assert per_kind["commendation"] == ["renshi"]
    assert per_kind["misconduct"] == ["dangjian"]
    assert per_kind["discretionary"] == ["leadership"]
    assert per_kind["evidence"] == ["office"]


def test_github_routing_last_match_wins(rules):
    cfg, diags = codeowners.load_owners(REPO)
    assert cfg is not None and not diags
    text, diags = codeowners.render(rules, cfg)
    assert not diags
    team = cfg.teams
    assert github_owner(text, "records/2023/longgang/case-2023-07.md") == team["fagui"]
    assert github_owner(text, "records/2023/longgang/case-lead-01.md") == team["fagui"]
    assert github_owner(text, "records/2023/bangongshi/news-0601.md") == team["bangongshi"]
    assert github_owner(text, "records/2023/renshi/commendation-x.md") == team["renshi"]
    assert github_owner(text, "records/2023/longgang/evidence-s04-3.md") == team["office"]
    assert github_owner(text, "records/2023/longgang/assessment.yaml") == team["office"]
    assert github_owner(text, "records/2023/longgang/scan.pdf") == team["office"]
    assert github_owner(text, "rules/2023/adjustments.yaml") == team["leadership"]
    assert github_owner(text, "rules/owners.yaml") == team["leadership"]
    assert github_owner(text, "CODEOWNERS") == team["leadership"]


def test_gitea_flavour_is_regular_expressions(rules):
    cfg, _ = codeowners.load_owners(REPO)
    cfg.platform = "gitea"
    text, diags = codeowners.render(rules, cfg)
    assert not diags
    assert "**" not in text
    assert gitea_owners(text, "records/2023/bangongshi/news-0601.md") == cfg.teams["bangongshi"]
    assert gitea_owners(text, "records/2023/longgang/assessment.yaml") == cfg.teams["office"]
    assert gitea_owners(text, "records/2023/longgang/assessmentXyaml") == []
    assert gitea_owners(text, "rules/2023/units.yaml") == cfg.teams["leadership"]


def test_committed_codeowners_is_up_to_date():
    assert codeowners.stale_warning(REPO) is None


def _copy(tmp_path: Path) -> Path:
    copy_rules(tmp_path)
    shutil.copy(REPO / "CODEOWNERS", tmp_path / "CODEOWNERS")
    return tmp_path


def test_stale_warning_and_check_command(tmp_path, capsys):
    root = _copy(tmp_path)
    owners = root / "rules" / "owners.yaml"
    owners.write_text(owners.read_text(encoding="utf-8").replace("@qinshui-scj/fagui", "@qinshui-scj/faguigu"),
                      encoding="utf-8")
    d = codeowners.stale_warning(root)
    assert d is not None and d.severity == "warning" and d.path == "CODEOWNERS"
    assert "过期" in d.message and "qsgen codeowners" in d.hint
    assert cmd.run(argparse.Namespace(root=str(root), check=True)) == 1
    assert cmd.run(argparse.Namespace(root=str(root), check=False)) == 0
    assert "@qinshui-scj/faguigu" in (root / "CODEOWNERS").read_text(encoding="utf-8")
    assert codeowners.stale_warning(root) is None
    assert cmd.run(argparse.Namespace(root=str(root), check=True)) == 0


def test_missing_codeowners_warns_and_no_owners_file_is_silent(tmp_path):
    root = _copy(tmp_path)
    (root / "CODEOWNERS").unlink()
    d = codeowners.stale_warning(root)
    assert d is not None and "还没有生成" in d.message
    (root / "rules" / "owners.yaml").unlink()
    assert codeowners.stale_warning(root) is None


def test_owners_yaml_errors_have_lines(tmp_path, rules):
    root = tmp_path
    (root / "rules").mkdir()
    (root / "rules" / "owners.yaml").write_text(
        'platfrom: github\n'
        'teams:\n'
        '  fagui: "@org/fagui"\n'
        '  faugi: "@org/x"\n'
        '  renshi: org renshi\n', encoding="utf-8")
    cfg, diags = codeowners.load_owners(root)
    msgs = {(d.line, d.message) for d in diags}
    assert any(line == 1 and "platfrom" in m for line, m in msgs)
    assert any(line == 5 and "写法不对" in m for line, m in msgs)
    assert any("platform" in d.hint for d in diags)
    text, more = codeowners.render(rules, cfg)
    assert any(d.line == 4 and "faugi" in d.message and "fagui" in d.hint for d in more)
    # departments without a team are reported once each, by name
    assert any("办公室" in d.message and "没有设置审核团队" in d.message for d in more)


def test_everything_else_needs_the_rules_owner(rules):
    cfg, _ = codeowners.load_owners(REPO)
    text, _ = codeowners.render(rules, cfg)
    assert github_owner(text, "qsgen/scoring.py") == cfg.teams["leadership"]
    assert github_owner(text, ".github/workflows/qsgen.yml") == cfg.teams["leadership"]
    cfg.code_owner = "bangongshi"
    text, _ = codeowners.render(rules, cfg)
    assert github_owner(text, "qsgen/scoring.py") == cfg.teams["bangongshi"]
    assert github_owner(text, "records/2023/longgang/case-1.md") == cfg.teams["fagui"]

"""`qsgen cms`: the generated form compared with the rules and kinds.py, its messages with qsgen check's, its bytes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from fixtures.recordkit import copy_rules

from qsgen.cli.program import main
from qsgen.cms import admin
from qsgen.cms.config import unit_config
from qsgen.cms.messages import diagnose, fill
from qsgen.cms.settings import CmsSettings, load_settings
from qsgen.core.kinds import KINDS, FieldSpec
from qsgen.rules import load_rules

REPO = Path(__file__).resolve().parent.parent
WIDGETS = {"text": "qsgen-string", "date": "qsgen-datetime", "int": "qsgen-number", "decimal": "qsgen-number",
           "bool": "boolean", "enum": "qsgen-select", "path_list": "list", "adopted_by": "list",
           "repo_paths": "list"}


@pytest.fixture(scope="module")
def rules():
    r, diags = load_rules(REPO, 2023)
    assert r is not None, diags
    return r


@pytest.fixture(scope="module")
def files(rules):
    return admin.generate(rules, CmsSettings())


def _config(files, slug: str) -> dict:
    return yaml.safe_load(files[f"{slug}/config.yml"].decode("utf-8"))


def _canonical(spec: FieldSpec, rules) -> list[str]:
    choices = rules.case_categories if spec.choices == "case_category" else spec.choices
    return list(dict.fromkeys(choices.values()))


def test_every_unit_kind_field_enum_and_required(rules, files) -> None:
    """The form is the rules: a page per unit, a collection per kind on the unit's folder, every
    field with its label, widget, required flag, bounds and every enum value."""
    assert sorted(k.split("/")[0] for k in files if k.endswith("/config.yml")) == sorted(u.slug for u in rules.units)
    for unit in rules.units:
        config = _config(files, unit.slug)
        assert config["locale"] == "zh_Hans" and config["publish_mode"] == "editorial_workflow"
        collections = {c["filter"]["value"]: c for c in config["collections"]}
        assert list(collections) == list(KINDS)
        for kind_id, kind in KINDS.items():
            c = collections[kind_id]
            assert c["folder"] == f"records/{rules.year}/{unit.slug}"
            assert c["filter"] == {"field": "kind", "value": kind_id}
            assert c["slug"] == f"{kind_id}-{{{{fields.date}}}}"  # ASCII: kind-YYYY-MM-DD
            fields = {f["name"]: f for f in c["fields"]}
            assert fields.pop("kind") == {"name": "kind", "label": "类型", "widget": "hidden", "default": kind_id}
            assert fields.pop("body")["widget"] == "text"  # plain text, not the Markdown editor
            expected = {n for n in kind.all_fields if n not in ("kind", "unit")}
            if not unit.teams:
                expected.discard("team")
            assert set(fields) == expected, (unit.slug, kind_id)
            for name, f in fields.items():
                spec = kind.all_fields[name]
                assert f["label"] == spec.label
                assert f["required"] is (spec.required or name == "team")
                if name == "task":
                    assert f["widget"] == "qsgen-select"
                    assert [o["value"] for o in f["options"]] == [i.id for i in unit.items]
                    continue
                assert f["widget"] == WIDGETS[spec.type], (kind_id, name)
                if spec.type == "enum":
                    values = [o["value"] for o in f["options"]]
                    assert values == (unit.teams if name == "team" else _canonical(spec, rules))
                    assert all(o["label"] for o in f["options"])
                if spec.type in ("int", "decimal"):
                    assert f["value_type"] == ("int" if spec.type == "int" else "float")
                    assert f.get("min") == spec.min and f.get("max") == spec.max
                checks = [c["test"] for c in f.get("qsgen", [])]
                assert ("required" in checks) is f["required"]
                if spec.type == "date":
                    assert ("period" in checks) is kind.in_period and f["time_format"] is False
                if spec.type == "decimal" and spec.places is not None:
                    assert "places" in checks
                if spec.min is not None:
                    assert "min" in checks
                if spec.max is not None:
                    assert "max" in checks


def test_adopted_by_is_a_list_of_outlet_and_level(files) -> None:
    news = next(c for c in _config(files, "longgang")["collections"] if c["filter"]["value"] == "news")
    adopted = next(f for f in news["fields"] if f["name"] == "adopted_by")
    assert [f["name"] for f in adopted["fields"]] == ["outlet", "level"]
    assert [o["value"] for o in adopted["fields"][1]["options"]] == ["national", "provincial", "city", "county"]


def _fails(check: dict, text: str) -> bool:
    """static/qsgen-cms.js's fails(), for the values a test gives as text."""
    test = check["test"]
    if test == "prefix":
        return not any(text.strip().lower().startswith(p) for p in check["prefixes"])
    if test == "period":
        return text < check["start"] or text > check["end"]
    if test == "places":
        frac = text.split(".", 1)[1] if "." in text else ""
        return len(frac.rstrip("0")) > check["places"]
    if test == "min":
        return float(text) < check["limit"]
    if test == "max":
        return float(text) > check["limit"]
    return False


def _form_message(checks: list[dict], text: str) -> tuple[str, str] | None:
    for check in checks:
        if check["test"] == "required":
            if not text.strip():
                return fill(check, "")
        elif not text.strip():
            return None
        elif _fails(check, text):
            return fill(check, text)
    return None


@pytest.mark.parametrize(("kind", "name", "values"), [
    ("case", "fine", ["", "-5", "-0.5", "12000.555", "0.001", "12000", "0", "-12000.123"]),
    ("case", "title", ["", "标题"]),
    ("case", "date", ["", "2022-12-31", "2024-01-01", "2023-06-02", "1999-01-01"]),
    ("discretionary", "points", ["", "0", "0.5", "11", "10.5", "10.001", "1.555", "5", "1"]),
    ("misconduct", "points", ["4.99", "10.01", "7.125", "7.5"]),
    ("accountability", "persons", ["", "0", "-3", "2"]),
    ("evidence", "rate", ["-1", "100.5", "96.5", "101"]),
    ("evidence", "count", ["-1", "5"]),
    ("news", "url", ["ftp://x", "www.example.cn", "HTTPS://example.cn", "http://x", " https://a.b",
                     "一个很长很长的不是网址的文字" * 4]),
])
def test_form_messages_are_qsgen_check_messages(rules, files, kind, name, values) -> None:
    """For each value, the form's check (the config's template filled as the script fills it) says
    exactly what qsgen's validator says about the same value in a record file."""
    spec = KINDS[kind].all_fields[name]
    collection = next(c for c in _config(files, "longgang")["collections"] if c["filter"]["value"] == kind)
    checks = next(f for f in collection["fields"] if f["name"] == name).get("qsgen", [])
    for value in values:
        assert _form_message(checks, value) == diagnose(name, spec, value, rules), value


def test_generated_bytes_are_deterministic_and_the_command_writes_them(rules, files, tmp_path) -> None:
    assert admin.generate(rules, CmsSettings()) == files
    root = tmp_path / "repo"
    copy_rules(root)
    shutil.copytree(REPO / "records" / "2023", root / "records" / "2023")
    assert main(["--root", str(root), "cms"]) == 0
    out = root / "_cms"
    settings, _ = load_settings(root)
    for rel, data in admin.generate(rules, settings).items():
        assert (out / rel).read_bytes() == data, rel
    for src in admin.vendored():
        assert (out / "decap-cms" / src.name).read_bytes() == src.read_bytes()
    page = (out / "longgang" / "index.html").read_text(encoding="utf-8")
    assert 'src="../decap-cms/decap-cms.js"' in page and "://" not in page.replace("http://www.w3.org", "")
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert main(["--root", str(root), "cms"]) == 0  # again: the same bytes, nothing left over
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == first
    # never over the repository's own folders, nor over a folder it did not write
    assert main(["--root", str(root), "cms", "--out", str(root / "records")]) == 2
    (root / "mine").mkdir()
    (root / "mine" / "a.txt").write_text("x", encoding="utf-8")
    assert main(["--root", str(root), "cms", "--out", str(root / "mine")]) == 2
    assert (root / "mine" / "a.txt").is_file()


def test_vendored_decap_matches_its_manifest() -> None:
    manifest = (admin.VENDOR / "MANIFEST").read_text(encoding="utf-8").splitlines()
    assert manifest[0].startswith("# decap-cms 3.16.3 ")
    listed = dict(reversed(line.split("  ", 1)) for line in manifest[1:])
    present = {p.name for p in admin.vendored()} - {"MANIFEST", "LICENSE", "README.md"}
    assert set(listed) == present and "decap-cms.js" in present
    for name, digest in listed.items():
        assert hashlib.sha256((admin.VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (admin.VENDOR / "LICENSE").read_text(encoding="utf-8")


def test_backends_from_owners_yaml(rules, tmp_path) -> None:
    (tmp_path / "rules").mkdir()
    owners = tmp_path / "rules" / "owners.yaml"

    def backend(text: str):
        owners.write_text(text, encoding="utf-8")
        settings, diags = load_settings(tmp_path)
        return unit_config(rules, rules.units[0], settings), diags

    config, diags = backend("platform: gitlab\ncms:\n  repo: ju/kaohe\n  app_id: abc\n"
                            "  base_url: https://git.example.cn\n")
    assert not diags
    assert config["backend"]["name"] == "gitlab" and config["backend"]["auth_type"] == "pkce"
    assert config["backend"]["api_root"] == "https://git.example.cn/api/v4"
    assert config["publish_mode"] == "editorial_workflow"
    config, diags = backend("platform: gitea\ncms:\n  backend: forgejo\n  repo: ju/kaohe\n")
    assert config["backend"]["name"] == "forgejo" and config["publish_mode"] == "editorial_workflow"
    config, diags = backend("platform: gitea\ncms:\n  repo: ju/kaohe\n  branch: tianbao\n")
    assert config["backend"]["name"] == "gitea" and "publish_mode" not in config
    assert [d.severity for d in diags] == ["warning"] and "审核流程" in diags[0].message
    _, diags = backend("platform: github\ncms:\n  repo: 'ju kaohe'\n  colour: red\n  local_port: 99999\n")
    assert sorted(d.line for d in diags) == [3, 4, 5] and all(d.severity == "error" for d in diags)


def test_current_year_is_the_year_of_today_else_the_latest(tmp_path) -> None:
    import datetime as dt

    copy_rules(tmp_path, years=(2023, 2024))
    assert admin.current_year(tmp_path, dt.date(2023, 5, 1)) == 2023
    assert admin.current_year(tmp_path, dt.date(2024, 5, 1)) == 2024
    assert admin.current_year(tmp_path, dt.date(2026, 12, 6)) == 2024  # no year of today: the latest
    assert admin.current_year(tmp_path / "none") is None

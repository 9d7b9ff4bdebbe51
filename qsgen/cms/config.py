"""The Decap CMS configuration of one unit's form, generated from the rules and the record kinds.

One configuration per unit (admin/<unit>/config.yml): the unit's staff see only their own folder,
the file path needs no unit field, and the choices that depend on the unit (its task items, the
teams of the 执法队) are right in the form. A collection per record kind, all on the unit's
folder, told apart by ``filter: {field: kind, value: …}``. Everything here is a pure function
of the rules, qsgen/core/kinds.py and the settings, so the same inputs give the same bytes.
"""

from __future__ import annotations

from typing import Any

from qsgen.cms.messages import checks
from qsgen.cms.settings import CmsSettings
from qsgen.core.kinds import FIELD_TYPES, KINDS, LEVEL_ALIASES, FieldSpec, Kind
from qsgen.core.model import LEVEL_NAMES, Rules, Unit

ATTACHMENTS_FOLDER = "attachments"  # beside the records: records/<year>/<unit>/attachments/
# The body of a record: a plain text field. Decap's rich-text Markdown editor mangles text typed
# with a Chinese input method (decap-cms#4837, #6287); a textarea does not.
BODY_HINT = "用几句话写明这项工作的经过、依据和结果，可以分段；会显示在网站上。可以用 Markdown 写法（如 **加粗**、- 列表）。"


def widget_base(spec: FieldSpec) -> str:
    """Decap's widget for a field type (before qsgen's checks are wrapped around it)."""
    return FIELD_TYPES[spec.type].widget


def enum_options(name: str, spec: FieldSpec, rules: Rules, unit: Unit | None = None) -> list[dict[str, str]]:
    """The choices of an enumerated field: the canonical values, each with a Chinese label."""
    if spec.choices == "case_category":
        return [{"label": c, "value": c} for c in dict.fromkeys(rules.case_categories.values())]
    if name == "team" and unit is not None and unit.teams:
        return [{"label": t, "value": t} for t in unit.teams]
    assert isinstance(spec.choices, dict), name
    titles = {a.id: a.title for a in rules.adjustments}
    out = []
    for canon in dict.fromkeys(spec.choices.values()):
        if spec.choices is LEVEL_ALIASES:
            label = LEVEL_NAMES[canon]
        elif canon.isascii() and canon in titles:
            label = f"{canon} {titles[canon]}"
        elif canon.isascii():
            chinese = [a for a, c in spec.choices.items() if c == canon and not a.isascii()]
            label = max(chinese, key=len) if chinese else canon
        else:
            label = canon
        out.append({"label": label, "value": canon})
    return out


def task_options(unit: Unit) -> list[dict[str, str]]:
    """A unit's task items for the evidence form: "s04-3 食品安全…" (the method's words, cut)."""
    def short(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= 30 else text[:30] + "…"

    return [{"label": f"{item.id} {short(item.text)}", "value": item.id} for item in unit.items]


def field_config(name: str, spec: FieldSpec, rules: Rules, unit: Unit) -> dict[str, Any] | None:
    """One front-matter field as a Decap field, or None when the form leaves it out."""
    if name == "unit":
        return None  # implied by the folder
    if name == "team" and not unit.teams:
        return None  # only units with teams (执法队) write it
    if name == "kind":
        return None  # added by collection_config as a hidden field
    required = spec.required or name == "team"
    base = widget_base(spec)
    field: dict[str, Any] = {"name": name, "label": spec.label or name}
    if name == "task":
        field.update(widget="select", options=task_options(unit))
        base = "select"
    elif base == "datetime":
        field.update(date_format="YYYY-MM-DD", time_format=False, default="")
    elif base == "number":
        field["value_type"] = "int" if spec.type == "int" else "float"
        if spec.min is not None:
            field["min"] = spec.min
        if spec.max is not None:
            field["max"] = spec.max
        if spec.type == "decimal" and spec.places is not None:
            field["step"] = float(10 ** -spec.places) if spec.places else 1
    elif base == "boolean":
        field["default"] = False
    elif base == "select":
        field["options"] = enum_options(name, spec, rules, unit)
    elif spec.type == "path_list":
        field.update(widget="list", allow_add=True, collapsed=False,
                     field={"name": "file", "label": "文件", "widget": "file",
                            "media_library": {"config": {"multiple": False}}})
    elif spec.type == "repo_paths":
        field.update(widget="list", allow_add=True, collapsed=False,
                     field={"name": "path", "label": "文件路径", "widget": "string"})
    elif spec.type == "adopted_by":
        field.update(widget="list", allow_add=True, collapsed=False, summary="{{fields.outlet}}（{{fields.level}}）",
                     fields=[{"name": "outlet", "label": "采用媒体", "widget": "qsgen-string",
                              "qsgen": checks("outlet", FieldSpec("text", True, label="采用媒体"), rules)},
                             {"name": "level", "label": "级别", "widget": "qsgen-select",
                              "options": enum_options("level", FieldSpec("enum", True, LEVEL_ALIASES), rules),
                              "qsgen": checks("level", FieldSpec("enum", True, LEVEL_ALIASES, label="级别"),
                                              rules)}])
    if "widget" not in field:
        field["widget"] = base
    if field["widget"] in WRAPPED:
        field["widget"] = "qsgen-" + field["widget"]
        field["qsgen"] = checks(name, spec, rules, required=required)
    field["required"] = required
    hint = _hint(name, spec, unit)
    if hint:
        field["hint"] = hint
    return field


# Decap widgets that get qsgen's checks (static/qsgen-cms.js registers "qsgen-<name>" for each).
WRAPPED = ("string", "number", "datetime", "select")


def _hint(name: str, spec: FieldSpec, unit: Unit) -> str:
    if name == "team":
        return "必填：" + " 或 ".join(unit.teams)
    if spec.type == "enum" or name == "task":
        return ""  # the choices say it
    if name == "date":
        return "发生日期（须在考核期之内）"
    if spec.type == "path_list":
        return "可选：上传处罚决定书、照片等文件（PDF、图片）；文件名最好用字母和数字"
    if spec.type == "adopted_by":
        return "可选：被其他媒体采用时，每家媒体添加一项，写明媒体和级别"
    if spec.type == "bool":
        return spec.help.removeprefix("可选：").replace("写 true", "请打开")
    return spec.help.removeprefix("可选：") if not spec.required else spec.help


def collection_config(kind: Kind, rules: Rules, unit: Unit) -> dict[str, Any]:
    """The collection of one record kind in one unit's folder."""
    folder = f"records/{rules.year}/{unit.slug}"
    fields: list[dict[str, Any]] = [{"name": "kind", "label": "类型", "widget": "hidden", "default": kind.id}]
    specs = kind.all_fields
    order = [n for n in specs if n != "attachments"] + ["attachments"]  # files last, before the body
    for name in order:
        field = field_config(name, specs[name], rules, unit)
        if field is not None and name == "date" and not kind.in_period:
            # an objection, an answer, a correction: dated after the period (qsgen check
            # holds them to the year's 公示 window and deadlines)
            field["qsgen"] = [c for c in field.get("qsgen", []) if c["test"] != "period"]
            field["hint"] = "日期，格式 2024-01-16"
        if field is not None:
            fields.append(field)
    fields.append({"name": "body", "label": "正文", "widget": "text", "required": False, "hint": BODY_HINT})
    return {
        "name": f"{unit.slug}-{kind.id}",  # also the branch name: cms/<unit>-<kind>/<file name>
        "label": kind.name,
        "label_singular": kind.name,
        "description": f"{unit.name}的{kind.name}记录（{folder}/{kind.id}-….md）",
        "folder": folder,
        "filter": {"field": "kind", "value": kind.id},
        "create": True,
        "delete": False,
        "extension": "md",
        "format": "frontmatter",
        "identifier_field": "title",
        # ASCII file names: case-2023-06-02.md, then case-2023-06-02-1.md … (Decap adds the
        # number when the name is taken); the date is the record's own.
        "slug": f"{kind.id}-{{{{fields.date}}}}",
        "summary": "{{date}} {{title}}",
        "sortable_fields": ["date", "title"],
        "media_folder": ATTACHMENTS_FOLDER,
        "public_folder": ATTACHMENTS_FOLDER,
        "fields": fields,
    }


def unit_config(rules: Rules, unit: Unit, settings: CmsSettings) -> dict[str, Any]:
    """The whole config.yml of one unit's form."""
    folder = f"records/{rules.year}/{unit.slug}"
    config: dict[str, Any] = {
        "locale": "zh_Hans",
        "backend": settings.backend(),
    }
    if settings.local_port:
        config["local_backend"] = {"url": f"http://localhost:{settings.local_port}/api/v1",
                                   "allowed_hosts": ["127.0.0.1"]}
    if settings.editorial_workflow:
        config["publish_mode"] = "editorial_workflow"
    if settings.site_url:
        config["site_url"] = settings.site_url.rstrip("/") + f"/units/{unit.slug}.html"
        config["display_url"] = settings.site_url
    config.update({
        "media_folder": f"{folder}/{ATTACHMENTS_FOLDER}",
        "public_folder": ATTACHMENTS_FOLDER,
        # Record file names are ASCII by their template (kind-date); this only keeps the Chinese
        # name of an uploaded attachment (with "ascii", 处罚决定书.pdf would become ".pdf").
        "slug": {"encoding": "unicode", "clean_accents": False, "sanitize_replacement": "-"},
        "show_preview_links": False,
        "editor": {"preview": False},
        "collections": [collection_config(kind, rules, unit) for kind in KINDS.values()],
    })
    return config

"""The form's error messages, taken from qsgen's own field validator so the form and `qsgen check` say the same.

Each check the form runs on a field (required, a pattern, a lower or upper bound, decimal places,
the assessment period) comes with a message template made by running
``qsgen.records.fields.convert`` on a probe value that fails just that check and replacing the
probe in the Chinese message and hint by placeholders: ``{q}`` the value as qsgen quotes it
(“…”, cut after 40 characters), ``{v}`` the value itself, ``{kept}`` the value cut to the allowed
decimal places. The form's script (static/qsgen-cms.js) runs the checks in this order, stops at
the first that fails, as qsgen's converters do, and fills the placeholders.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from qsgen.core import yamlsafe
from qsgen.core.kinds import FieldSpec
from qsgen.core.model import Rules
from qsgen.records.fields import INVALID, FieldContext, convert, quote

PLACEHOLDERS = ("{q}", "{v}", "{kept}")


class ProbeError(RuntimeError):
    """The validator did not answer a probe as expected: the form's checks and qsgen's differ."""


def diagnose(name: str, spec: FieldSpec, text: str, rules: Rules) -> tuple[str, str] | None:
    """What `qsgen check` says about ``name: text`` in a record: (message, hint), or None when
    the value passes. ``text`` is the YAML scalar as written (an empty text is an empty field)."""
    source = f"{name}: {_scalar(text)}\n"
    root, errors = yamlsafe.load(source, "probe.md")
    if errors or root is None:
        raise ProbeError(f"probe {source!r} is not YAML: {errors}")
    diags: list = []
    ctx = FieldContext("probe.md", diags, rules.case_categories, rules.period)
    value = convert(name, spec, root.value[name], ctx)
    if value is not INVALID:
        return None
    if len(diags) != 1:
        raise ProbeError(f"{name}: {text!r} gave {len(diags)} diagnostics")
    return diags[0].message, diags[0].hint


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar that yamlsafe reads back as exactly ``text``."""
    if text == "":
        return ""
    return "'" + text.replace("'", "''") + "'"


def template(name: str, spec: FieldSpec, probe: str, rules: Rules, kept: str | None = None,
             bare: bool = False) -> dict[str, str]:
    """The message and hint for ``probe`` with the probe's text replaced by placeholders: its
    quoted form always, the bare text too when ``bare`` (a probe too distinctive to be found
    by chance, such as a date)."""
    found = diagnose(name, spec, probe, rules)
    if found is None:
        raise ProbeError(f"{name}: the probe {probe!r} passes qsgen's check")
    out = {}
    for key, text in zip(("message", "hint"), found, strict=True):
        for token in PLACEHOLDERS:
            if token in text:
                raise ProbeError(f"{name}: {key} already holds {token}: {text!r}")
        if probe:
            text = text.replace(quote(probe), "{q}")
            if bare:
                text = text.replace(probe, "{v}")
        if kept:
            text = text.replace(kept, "{kept}")
        out[key] = text
    return out


def fill(check: dict[str, Any], value: str) -> tuple[str, str]:
    """The message and hint of ``check`` for ``value`` (what static/qsgen-cms.js does)."""
    kept = ""
    if "." in value:
        places = check.get("places")
        if places is not None:
            whole, frac = value.split(".", 1)
            kept = f"{whole}.{frac[:int(places)]}"
    parts = []
    for key in ("message", "hint"):
        text = check[key]
        text = text.replace("{q}", quote(value)).replace("{v}", value).replace("{kept}", kept)
        parts.append(text)
    return parts[0], parts[1]


def _number(value) -> str:
    text = format(value, "f") if not isinstance(value, int) else str(value)
    return text


def checks(name: str, spec: FieldSpec, rules: Rules, required: bool | None = None) -> list[dict[str, Any]]:
    """The form's checks for one field, in the order qsgen's converter makes them."""
    required = spec.required if required is None else required
    out: list[dict[str, Any]] = []
    if required:
        req = spec if spec.required else _required(spec)
        out.append({"test": "required", **template(name, req, "", rules)})
    if spec.type == "text" and name == "url":
        out.append({"test": "prefix", "prefixes": ["http://", "https://"],
                    **template(name, spec, "ftp://example", rules)})
    elif spec.type == "date":
        start, end = rules.period
        before = (start - _dt.timedelta(days=1)).isoformat()
        out.append({"test": "period", "start": start.isoformat(), "end": end.isoformat(),
                    **template(name, spec, before, rules, bare=True)})
    elif spec.type in ("int", "decimal"):
        if spec.type == "decimal" and spec.places is not None:
            probe = "7." + "1" * (spec.places + 1)
            kept = "7." + "1" * spec.places
            if spec.max is not None and spec.max < 8:
                probe, kept = probe.replace("7", "1", 1), kept.replace("7", "1", 1)
            tmpl = template(name, spec, probe, rules, kept=kept)
            out.append({"test": "places", "places": spec.places, **tmpl})
        if spec.min is not None:
            out.append({"test": "min", "limit": spec.min, **template(name, spec, _number(spec.min - 1), rules)})
        if spec.max is not None:
            out.append({"test": "max", "limit": spec.max, **template(name, spec, _number(spec.max + 1), rules)})
    return out


def _required(spec: FieldSpec) -> FieldSpec:
    """A copy of an optional spec made required (a field the unit must fill, such as team)."""
    from dataclasses import replace

    return replace(spec, required=True)

"""A record's page: its fields, its sanitised body, attachments, git provenance, the score lines it feeds; and its search row."""

from __future__ import annotations

import posixpath
import re
from typing import Any
from urllib.parse import quote, unquote

from markupsafe import Markup

from qsgen.core import lazyre
from qsgen.core.kinds import KINDS
from qsgen.core.model import Record
from qsgen.site import markdown, search
from qsgen.site.context import Site
from qsgen.site.labels import field_value
from qsgen.site.pages.lifecycle import objection_row
from qsgen.site.urls import (
    IMAGE_TYPES,
    attachment_file,
    prefix_for,
    publishable,
    record_file,
    record_url,
    suffix,
    unit_url,
)

# A body may link to another record's .md file (rewrite_relative): such a page also depends
# on which records exist. Only a body with "md" or a %-escape can.
MAY_LINK = lazyre.compile(r"md|%[0-9A-Fa-f]{2}")


def inputs(site: Site, rec: Record, paths: Any) -> tuple:
    """What a record page is made from besides code, templates, rules and the record's own
    content: the score lines it feeds, its last commit, its approval (when approvals are
    configured), and (``paths``, standing for the set of every record's path,
    ``sorted(site.record_paths)``) only when its body may link to another record."""
    c = site.inputs.history.get(rec.path)
    commit = None if c is None else (c.sha, c.short, c.author, c.date, c.subject)
    body = rec.body
    # (MAY_LINK.search(body), its scan only for a body with a "%": most have neither)
    links = paths if "md" in body or ("%" in body and MAY_LINK.search(body)) else ""
    approvals = site.inputs.approvals
    if approvals is not None:  # (a function of HEAD and rules/, as the commit is)
        return (site.uses.get(rec.id), (commit, links), approvals.get(rec.path, ()))
    return (site.uses.get(rec.id), (commit, links))


_HREF = lazyre.compile(r'(src|href)="([^"#:?][^":?]*?)"')


def rewrite_relative(body: str, rec: Record, p: str, attachments: Any,
                     record_ids: dict[str, str] | None = None) -> str:
    """Relative links in a body: to an attachment -> the copied file; to another record's .md
    file -> that record's page. Anything else is left as written."""
    if 'href="' not in body and 'src="' not in body:  # (what _HREF needs; most bodies have neither)
        return body
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


def page(site: Site, rec: Record) -> tuple[bytes, str]:
    """The record's page, and its body's plain text (for its search row: one Markdown parse)."""
    data, text, _facts = page_and_facts(site, rec)
    return data, text


def page_and_facts(site: Site, rec: Record) -> tuple[bytes, str, list[str]]:
    """page(), and the facts of its search row (search_row's ``facts``: its fields as shown)."""
    path = record_file(rec.id)
    p = prefix_for(path)
    kind = KINDS.get(rec.kind)
    unit = site.units_by_slug.get(rec.unit)
    meta = []
    facts = []
    if kind:
        for name, spec in kind.fields.items():
            value = rec.fields.get(name)
            if value is not None:
                shown = field_value(rec, name, value, p, unit, site.plain)
                meta.append({"label": spec.label or name, **shown})
                if name not in _NOT_FACTS:
                    facts.append("、".join(shown["list"]) if "list" in shown else shown["text"])
    attachments = []
    rec_dir = posixpath.dirname(rec.path) if rec.attachments else ""
    for a in rec.attachments:
        attachments.append({"name": posixpath.relpath(a, rec_dir) if a.startswith(rec_dir) else a,
                            "href": p + quote(attachment_file(a)),
                            "present": a in site.inputs.attachments,
                            "published": publishable(a),
                            "image": suffix(a) in IMAGE_TYPES})
    git = site.git_info(rec.path, unit.name if unit else rec.unit)
    body, text = markdown.render_with_text(rec.body) if rec.body.strip() else ("", "")
    body = rewrite_relative(body, rec, p, site.inputs.attachments, site.record_paths)
    data = site.render(
        path, "record.html", "record", about=rec.unit,
        rec={"id": rec.id, "title": rec.title, "kind": kind.name if kind else rec.kind,
             "kind_id": rec.kind, "date": rec.date.isoformat(), "path": rec.path,
             "unit": unit.name if unit else rec.unit, "unit_href": p + unit_url(rec.unit)},
        excerpt=excerpt(text), meta=meta, attachments=attachments, git=git, approval=site.approval(rec.path),
        body=Markup(body),  # sanitised by nh3 in markdown.render
        uses=[{**u, "href": p + unit_url(u["unit"]) + "#" + u["anchor"]}
              for u in site.uses.get(rec.id, [])],
        objection=objection_of(site, rec, p),
    )
    return data, text, facts


def objection_of(site: Site, rec: Record, p: str) -> dict[str, Any] | None:
    """An objection's row (its status, deadline and answer), or the row of the objection an
    answer answers; None for any other record."""
    lc = site.results.lifecycle
    if lc is None or rec.kind not in ("objection", "answer"):
        return None
    for o in lc.objections:
        if o.record == rec.id or (o.answer is not None and o.answer.record == rec.id):
            return objection_row(site, o, p)
    return None


def excerpt(text: str, limit: int = 80) -> str:
    """The start of a body's plain text on one line, for the page's meta description."""
    # (the words of a prefix of ``text``, joined, are a prefix of all its words joined)
    flat = " ".join(text[: 2 * limit].split())
    if len(flat) <= limit and len(text) > 2 * limit:
        flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "…"


def render(site: Site, rec: Record) -> bytes:
    return page(site, rec)[0]


_NOT_FACTS = ("url", "task")  # fields a search row leaves out (a link; the item's text)


def search_row(site: Site, rec: Record, text: str | None = None, facts: list[str] | None = None) -> search.Row:
    """The record's row of the search index: a function of the record and the rules
    (``text``: its body's plain text, and ``facts``, when the page was just made:
    page_and_facts)."""
    unit = site.units_by_slug.get(rec.unit)
    kind = KINDS.get(rec.kind)
    if facts is None:
        facts = []
        for name in (kind.fields if kind else {}):
            value = rec.fields.get(name)
            if value is None or name in _NOT_FACTS:
                continue
            shown = field_value(rec, name, value, "", unit, site.plain)
            facts.append("、".join(shown["list"]) if "list" in shown else shown["text"])
    facts.append(rec.date.isoformat())
    return search.row_of(  # (search.row of the SearchDoc of these)
        site.folder + record_url(rec.id), rec.title, kind.name if kind else rec.kind,
        f"{site.year.year}年 {unit.name if unit else rec.unit}", " · ".join([f for f in facts if f]),
        markdown.plain_text(rec.body) if text is None else text)

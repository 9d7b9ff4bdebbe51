"""Pages of a template that extends a layout, rendered with the layout's own part (its "shell") made once per shared page data, and only the page's blocks per page.

A record page is record.html extending base.html: the header, navigation, banners and footer
of base.html depend only on what every page of the same depth, kind and unit shares
(Site.common), yet Jinja renders them again for each of 10,000 pages (~40% of a record page's
rendering). Here the layout is rendered once per shared data with a marker in place of each
block; a page is then the shell's text with its blocks rendered in between. That is the same
text Jinja writes, provided the layout's part outside its blocks reads nothing but the shared
data: ``plan`` checks that on the templates' syntax trees (no call, include, import, macro,
assignment, ``self`` or impure filter outside the blocks; every variable it reads is shared;
the page template holds nothing but ``extends`` and blocks) and otherwise the template is
always rendered whole. tests/test_shells.py holds the two to the same bytes.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import jinja2
from jinja2 import meta, nodes

# What the layout may not hold outside its blocks (each could make its text differ from page
# to page, or reach what a page's blocks define).
_UNSAFE = (nodes.Call, nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport, nodes.Assign,
           nodes.AssignBlock, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.With, nodes.Scope,
           nodes.OverlayScope, nodes.EvalContextModifier, nodes.ExprStmt, nodes.ContextReference,
           nodes.DerivedContextReference, nodes.InternalName, nodes.ImportedName)
_IMPURE_FILTERS = frozenset({"random"})


class Plan:
    """How a page template is rendered from a shell: its layout's name (and, once used, the
    page template and its layout's blocks)."""

    def __init__(self, layout: str) -> None:
        self.layout = layout
        self.template: Any = None
        self.blocks: dict[str, list[Any]] = {}  # block name -> its render functions, the page's first
        self.globals: dict[str, Any] = {}  # the template's globals (a ChainMap) as a plain dict


def plan(env: jinja2.Environment, name: str, shared: frozenset[str]) -> Plan | None:
    """A Plan for the template ``name`` when its layout's part outside the blocks reads only
    the variables ``shared`` (see the module docstring); None: render it whole."""
    try:
        child = env.parse(env.loader.get_source(env, name)[0], name)
    except Exception:
        return None
    layout = None
    for node in child.body:
        if isinstance(node, nodes.Extends) and layout is None and isinstance(node.template, nodes.Const) \
                and isinstance(node.template.value, str):
            layout = node.template.value
        elif isinstance(node, nodes.Block):
            continue
        elif isinstance(node, nodes.Output) and all(isinstance(n, nodes.TemplateData) and not n.data.strip()
                                                      for n in node.nodes):
            continue
        else:
            return None
    if layout is None:
        return None
    try:
        parent = env.parse(env.loader.get_source(env, layout)[0], layout)
    except Exception:
        return None
    outside = _without_block_bodies(parent)
    if next(iter(outside.find_all(_UNSAFE)), None) is not None:
        return None
    if any(n.name == "self" for n in outside.find_all(nodes.Name)):
        return None
    if any(f.name in _IMPURE_FILTERS for f in outside.find_all(nodes.Filter)):
        return None
    if not meta.find_undeclared_variables(outside) <= shared:
        return None
    return Plan(layout)


def _without_block_bodies(tree: nodes.Template) -> nodes.Template:
    """The layout's tree with every block emptied (what is rendered outside the blocks)."""

    def strip(node: nodes.Node) -> nodes.Node:
        if isinstance(node, nodes.Block):
            return nodes.Block(node.name, [], node.scoped, node.required, lineno=node.lineno)
        copy = node.__class__.__new__(node.__class__)
        for attr in node.fields + node.attributes:
            value = getattr(node, attr, None)
            if isinstance(value, list):
                value = [strip(v) if isinstance(v, nodes.Node) else v for v in value]
            elif isinstance(value, nodes.Node):
                value = strip(value)
            setattr(copy, attr, value)
        return copy

    return strip(tree)


class Shells:
    """The shells of one environment's page templates, by template and shared data."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self.plans: dict[str, Plan | None] = {}
        self.seen: set[tuple[str, Any]] = set()
        self.shells: dict[tuple[str, Any], list[Any]] = {}  # [plan, text, block, …, text]
        self.token = secrets.token_hex(8)

    def render(self, name: str, key: Any, shared: dict[str, Any], ctx: dict[str, Any]) -> str:
        """The template ``name`` rendered with ``shared`` (the same dict for the same ``key``)
        and ``ctx``: the text Template.render gives. The first page of a key is rendered whole
        (a template rendered once gains nothing from a shell)."""
        return self.render_bytes(name, key, shared, ctx).decode("utf-8")

    def render_bytes(self, name: str, key: Any, shared: dict[str, Any], ctx: dict[str, Any]) -> bytes:
        """render() as UTF-8 bytes: the shell's text is encoded once per key, a page's blocks
        each time (the UTF-8 of a text is the UTF-8 of its pieces, joined)."""
        shell = self.shells.get((name, key))
        if shell is None:
            shell = self._shell_of(name, key, shared)
            if shell is None:
                return self.env.get_template(name).render(**shared, **ctx).encode("utf-8")
        p, base, text = shell[0], shell[1], shell[2:]
        # the context template.new_context() makes, and the blocks the page's extending the
        # layout would add; without copying the globals' ChainMap for every page
        context = self.env.context_class(self.env, {**base, **ctx}, name, {}, globals=p.globals)
        context.blocks = {block: renders[:] for block, renders in p.blocks.items()}
        concat = self.env.concat
        try:
            blocks = [concat(context.blocks[text[i]][0](context)) for i in range(1, len(text), 2)]
        except Exception:
            self.env.handle_exception()
        pieces = [text[0]]
        for i, block in enumerate(blocks, 1):
            pieces.append(block.encode("utf-8"))
            pieces.append(text[2 * i])
        return b"".join(pieces)

    def _shell_of(self, name: str, key: Any, shared: dict[str, Any]) -> list[Any] | None:
        """[plan, the context's variables but the page's, shell text, block name, text, …,
        text] (texts as UTF-8) of the template ``name`` for ``key``, made now; None while the
        page is to be rendered whole (the first of its key, or a template without a plan)."""
        if (name, key) not in self.seen:
            self.seen.add((name, key))
            return None
        if name not in self.plans:
            self.plans[name] = plan(self.env, name, frozenset(shared))
        p = self.plans[name]
        if p is None:
            return None
        if p.template is None:
            template = self.env.get_template(name)
            p.template, p.globals = template, dict(template.globals)
            p.blocks = {block: [render] for block, render in template.blocks.items()}
            for block, render in self.env.get_template(p.layout).blocks.items():
                p.blocks.setdefault(block, []).append(render)  # (as extending the layout does)
        pieces = self._shell(p.template, p, shared)
        shell = self.shells[(name, key)] = [p, {**p.globals, **shared},
                                            *(piece.encode("utf-8") if i % 2 == 0 else piece
                                              for i, piece in enumerate(pieces))]
        return shell

    def _shell(self, template: jinja2.Template, p: Plan, shared: dict[str, Any]) -> list[str]:
        """[text, block name, text, …, text]: the layout rendered with ``shared`` and a marker
        for each block (its name at that place)."""
        layout = self.env.get_template(p.layout)
        context = template.new_context(dict(shared))
        mark = f"\x00{self.token}"
        for block in p.blocks:  # (the page's blocks and the layout's own)
            context.blocks[block] = [lambda _c, block=block: iter((f"{mark}{block}\x00",))]
        try:
            text = self.env.concat(layout.root_render_func(context))
        except Exception:
            self.env.handle_exception()
        return re.split(f"{re.escape(mark)}([^\x00]*)\x00", text)

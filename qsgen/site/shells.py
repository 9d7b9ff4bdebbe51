"""Pages of a template that extends a layout, rendered with the layout's own part (its "shell") made once per shared page data, and only the page's blocks per page.

A record page is record.html extending base.html: the header, navigation, banners and footer
of base.html depend only on what every page of the same depth, kind and unit shares
(Site.common), yet Jinja renders them again for each of 10,000 pages (~40% of a record page's
rendering). Here the layout is rendered once per shared data with a marker in place of each
block; a page is then the shell's text with its blocks rendered in between. A block of the
layout that the page does not fill and that reads only the shared data (base.html's styles
and scripts) is rendered into the shell: ~1 µs a block and page; the page's own blocks are
rendered by plain Python functions where they can be (site/fastblocks.py). That is the same
text Jinja writes, provided the layout's part outside its blocks reads nothing but the shared
data: ``plan`` checks that on the templates' syntax trees (no call, include, import, macro,
assignment, ``self`` or impure filter outside the blocks; every variable it reads is shared;
no scoped block, which would see the layout's own variables, a loop's, where it stands;
the page template holds nothing but ``extends`` and blocks) and otherwise the template is
always rendered whole. tests/test_shells.py holds the two to the same bytes.
"""

from __future__ import annotations

import os
import re
from typing import Any

import jinja2
from jinja2 import meta, nodes

from qsgen.site import fastblocks

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

    def __init__(self, layout: str, fixed: frozenset[str] = frozenset()) -> None:
        self.layout = layout
        # the layout's blocks that read only the shared data as it checks its part outside
        # the blocks: unless the page fills them, they are rendered into the shell
        self.fixed = fixed
        self.template: Any = None
        self.blocks: dict[str, list[Any]] = {}  # block name -> its render functions, the page's first
        self.globals: dict[str, Any] = {}  # the template's globals (a ChainMap) as a plain dict
        # block name -> (the template it is rendered from, its syntax tree): for fastblocks
        self.trees: dict[str, tuple[str, list[nodes.Node]]] = {}
        self.fast: dict[str, Any] = {}  # block name -> its fastblocks function, or None


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
    if not _reads_only(_without_block_bodies(parent), shared):
        return None
    if any(b.scoped for b in parent.find_all(nodes.Block)):
        return None  # (a scoped block sees the layout's variables where it stands: a loop's)
    # (a block holding another block is left out: the page may fill the inner one)
    fixed = frozenset(b.name for b in parent.find_all(nodes.Block)
                      if next(iter(b.find_all(nodes.Block)), None) is None
                      and _reads_only(nodes.Template(b.body, lineno=b.lineno).set_environment(env), shared))
    made = Plan(layout, fixed)
    for tree, source in ((parent, layout), (child, name)):  # (the page's blocks over the layout's)
        made.trees.update((b.name, (source, b.body)) for b in tree.find_all(nodes.Block))
    return made


def _reads_only(tree: nodes.Template, shared: frozenset[str]) -> bool:
    """Whether the text ``tree`` renders is a function of the variables ``shared`` alone."""
    if next(iter(tree.find_all(_UNSAFE)), None) is not None:
        return False
    if any(n.name == "self" for n in tree.find_all(nodes.Name)):
        return False
    if any(f.name in _IMPURE_FILTERS for f in tree.find_all(nodes.Filter)):
        return False
    return meta.find_undeclared_variables(tree) <= shared


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
        self.shells: dict[tuple[str, Any], tuple[Any, ...]] = {}  # see _shell_of
        self.token = os.urandom(8).hex()  # (as secrets.token_hex(8))

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
        p, base, renders, text = shell
        blocks = []
        context = None
        for fast, render in renders:
            if fast is not None:  # (fastblocks: Jinja's text, or Fallback)
                try:
                    blocks.append(fast(ctx, base))
                    continue
                except Exception:
                    pass  # (Jinja renders it: the same text, or the error it finds)
            if context is None:
                # the context template.new_context() makes, with the page's variables over
                # the shared ones (looked up in the same order, not merged into a copy of
                # them every page), and the blocks the page's extending the layout would add
                # (read, never changed, by rendering the blocks: only a root render function
                # adds to them)
                context = self.env.context_class(self.env, base, name, {}, globals=p.globals)
                context.vars = ctx
                context.blocks = p.blocks
            try:
                blocks.append(self.env.concat(render(context)))
            except Exception:
                self.env.handle_exception()
        pieces = [text[0]]
        for block, after in zip(blocks, text[1:], strict=True):
            pieces.append(block.encode("utf-8"))
            pieces.append(after)
        return b"".join(pieces)

    def _shell_of(self, name: str, key: Any, shared: dict[str, Any]) -> tuple[Any, ...] | None:
        """(plan, the context's variables but the page's, (its fastblocks function or None,
        its render function) of each block left to render per page, [text before the first,
        text after each]) (texts as UTF-8)
        of the template ``name`` for ``key``, made now; None while the page is to be rendered
        whole (the first of its key, or a template without a plan)."""
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
            for block, renders in p.blocks.items():
                source, body = p.trees[block]
                p.fast[block] = fastblocks.compile_block(self.env, source, body, renders[0].__globals__["escape"])
        pieces = self._shell(p.template, p, shared)
        shell = self.shells[(name, key)] = (p, {**p.globals, **shared},
                                            [(p.fast[b], p.blocks[b][0]) for b in pieces[1::2]],
                                            [piece.encode("utf-8") for piece in pieces[::2]])
        return shell

    def _shell(self, template: jinja2.Template, p: Plan, shared: dict[str, Any]) -> list[str]:
        """[text, block name, text, …, text]: the layout rendered with ``shared`` and a marker
        for each block (its name at that place)."""
        layout = self.env.get_template(p.layout)
        context = template.new_context(dict(shared))
        mark = f"\x00{self.token}"
        for block, renders in p.blocks.items():  # (the page's blocks and the layout's own)
            if block in p.fixed and block not in template.blocks:
                context.blocks[block] = renders[:]  # (the same text on every page of the shell)
            else:
                context.blocks[block] = [lambda _c, block=block: iter((f"{mark}{block}\x00",))]
        try:
            text = self.env.concat(layout.root_render_func(context))
        except Exception:
            self.env.handle_exception()
        return re.split(f"{re.escape(mark)}([^\x00]*)\x00", text)

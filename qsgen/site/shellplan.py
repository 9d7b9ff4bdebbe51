"""Which page templates can be rendered from a shell (site/shells.py), read from their syntax trees: a Plan, or None."""

from __future__ import annotations

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
        self.sources: tuple[str, str] = ("", "")  # the page template's and the layout's source, as parsed


def plan(env: jinja2.Environment, name: str, shared: frozenset[str]) -> Plan | None:
    """A Plan for the template ``name`` when its layout's part outside the blocks reads only
    the variables ``shared`` (see the module docstring); None: render it whole."""
    try:
        child_source = env.loader.get_source(env, name)[0]
        child = env.parse(child_source, name)
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
        parent_source = env.loader.get_source(env, layout)[0]
        parent = env.parse(parent_source, layout)
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
    made.sources = (child_source, parent_source)
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

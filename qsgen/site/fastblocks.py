"""A page template's blocks as plain Python functions for the constructs pages use most (text, ``{{ x.y }}``, if, for, include, ``x.y is defined``), giving Jinja's text exactly; a block that reaches anything else is rendered by Jinja.

Jinja's code for a block is a generator that yields each piece, resolves each variable through
the context, looks each attribute up through Environment.getattr and tests ``x.y is defined``
by making an Undefined: ~60 yields, ~30 calls of each kind a record page, about a third of
its rendering. The function made here from the block's syntax tree joins the pieces instead,
looks a dict's key up at once (what Environment.getattr returns for it) and writes each value
through the same escape function as the template's own code. It does what Jinja's code does
step for step, for these node types only; for any other node (a filter, a call, any other
test, an assignment, a macro, ``loop``, an attribute that is missing...) it raises Fallback
where Jinja's code would first run it, and the caller renders the block with Jinja, which
gives the text or the error. tests/test_fastblocks.py holds the two to the same text.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2 import tests as jinja_tests

from qsgen.site import jinjaenv
from qsgen.site.keptblocks import Fallback

_DICT_ATTRIBUTES = frozenset(dir(dict))
_TESTS = {"defined": jinja_tests.test_defined, "undefined": jinja_tests.test_undefined}
_OPERATORS = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in",
              "notin": "not in"}  # (jinja2.compiler.operators)


class _Unsupported(Exception):
    """A node this module does not write as Python."""


def compile_block(env: jinja2.Environment, template: str, body: list[nodes.Node],
                  escape: Callable[[Any], Any]) -> Callable[[dict, dict], str] | None:
    """The function ``(variables, shared) -> text`` of a block of the template ``template``
    with syntax tree ``body``, whose variables are looked up in ``variables`` first, then in
    ``shared`` (as Context.resolve does with its vars and parent); ``escape`` is what the
    template's code writes a value through. None: Jinja renders the block (an environment
    whose output or lookups differ from the plain ones, or a block that always falls back)."""
    # (Environment.getattr: jinja2's, or qsgen's, which gives the same for every key of a
    # dict but dict's own attribute names: what this module writes a dict's key as)
    if env.is_async or env.finalize is not None or callable(env.autoescape) \
            or type(env).getattr not in (jinja2.Environment.getattr, jinjaenv._Environment.getattr):
        return None
    writer = _Writer(template, bool(env.autoescape), env.tests)
    try:
        writer.statements(body, 1, top=True)
    except _Unsupported:
        return None
    names = sorted(writer.names)
    head = ["def block(V, S):"]
    head += [f"    {writer.names[n]} = V[{n!r}] if {n!r} in V else S[{n!r}]" for n in names]
    head += ["    _b = []", "    _a = _b.append", "    _x = _b.extend"]
    source = "\n".join(head + writer.lines + ["    return ''.join(_b)"])
    namespace = {"_E": escape, "_GA": _getattr_of(env), "_Fallback": Fallback, "_include": _include_of(env, template),
                 "_defined": lambda obj, attribute: not isinstance(env.getattr(obj, attribute), jinja2.Undefined),
                 "_Undefined": jinja2.Undefined}
    exec(compile(source, f"<block of {template}>", "exec"), namespace)  # noqa: S102 (our own code)
    return namespace["block"]


def _getattr_of(env: jinja2.Environment) -> Callable[[Any, str], Any]:
    getattr_ = env.getattr

    def get(obj: Any, attribute: str) -> Any:
        value = getattr_(obj, attribute)
        if isinstance(value, jinja2.Undefined):
            raise Fallback(attribute)  # (Jinja renders it: the error, or what its Undefined gives)
        return value

    return get


def _include_of(env: jinja2.Environment, parent: str) -> Callable[[str, dict, dict], str]:
    def include(name: str, variables: dict, shared: dict) -> str:
        # (Jinja: template.new_context(context.get_all(), True, {}) outside any loop)
        template = env.get_template(name, parent)
        everything = dict(shared, **variables) if variables else shared
        return env.concat(template.root_render_func(template.new_context(everything, True, {})))

    return include


class _Writer:
    """Python source of a block's statements (``lines``) and the variables it reads (``names``:
    variable -> local name)."""

    def __init__(self, template: str, autoescape: bool, tests: Any) -> None:
        self.template = template
        self.autoescape = autoescape
        self.tests = tests  # (the environment's: ``is defined`` only as jinja2's)
        self.lines: list[str] = []
        self.names: dict[str, str] = {}
        self.loops: dict[str, str] = {}  # a loop's variable -> its local name, while inside it
        self.ids = itertools.count()

    def statements(self, body: list[nodes.Node], depth: int, top: bool = False) -> None:
        if not body:
            self.lines.append("    " * depth + "pass")
        for node in body:
            names, lines = dict(self.names), len(self.lines)
            try:
                self.statement(node, depth)
            except _Unsupported:
                if top:
                    raise  # (reached by every page: Jinja renders the block, not this module)
                self.names = names  # (what the statement read is not looked up)
                del self.lines[lines:]
                self.lines.append("    " * depth + f"raise _Fallback({type(node).__name__!r})")

    def statement(self, node: nodes.Node, depth: int) -> None:
        pad = "    " * depth
        if isinstance(node, nodes.Output):
            pieces = [repr(n.data) if isinstance(n, nodes.TemplateData) else self.output(n) for n in node.nodes]
            if len(pieces) == 1:
                self.lines.append(f"{pad}_a({pieces[0]})")
            elif pieces:
                self.lines.append(f"{pad}_x(({', '.join(pieces)}))")
        elif isinstance(node, nodes.If):
            self.lines.append(f"{pad}if {self.expr(node.test)}:")
            self.statements(node.body, depth + 1)
            for elif_ in node.elif_:
                self.lines.append(f"{pad}elif {self.expr(elif_.test)}:")
                self.statements(elif_.body, depth + 1)
            if node.else_:
                self.lines.append(f"{pad}else:")
                self.statements(node.else_, depth + 1)
        elif isinstance(node, nodes.For):
            if (not isinstance(node.target, nodes.Name) or node.else_ or node.test is not None or node.recursive
                    or any(n.name == "loop" for n in node.find_all(nodes.Name))
                    or any(b.scoped for b in node.find_all(nodes.Block))):
                raise _Unsupported(node)
            iterated = self.expr(node.iter)
            local = f"_l{next(self.ids)}"
            outer = self.loops.get(node.target.name)
            self.loops[node.target.name] = local  # (the loop's variable, inside it only)
            self.lines.append(f"{pad}for {local} in {iterated}:")
            self.statements(node.body, depth + 1)
            if outer is None:
                del self.loops[node.target.name]
            else:
                self.loops[node.target.name] = outer
        elif isinstance(node, nodes.Include):
            if (not isinstance(node.template, nodes.Const) or not isinstance(node.template.value, str)
                    or node.ignore_missing or not node.with_context or self.loops):
                raise _Unsupported(node)
            self.lines.append(f"{pad}_a(_include({node.template.value!r}, V, S))")
        else:
            raise _Unsupported(node)

    def output(self, node: nodes.Expr) -> str:
        return f"{'_E' if self.autoescape else 'str'}({self.expr(node)})"

    def expr(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Name) and node.ctx == "load":
            if node.name in self.loops:
                return self.loops[node.name]
            return self.names.setdefault(node.name, f"_v{len(self.names)}")
        if isinstance(node, nodes.Const) and isinstance(node.value, (str, int, bool, type(None))):
            return repr(node.value)
        if isinstance(node, nodes.Getattr) and node.ctx == "load":
            obj = self.expr(node.node)
            if node.attr in _DICT_ATTRIBUTES:
                return f"_GA({obj}, {node.attr!r})"
            if obj.isidentifier():  # (a variable: read as it is, else held once in a local)
                o, held = obj, obj
            else:
                o = f"_o{next(self.ids)}"
                held = f"({o} := {obj})"
            return f"({o}[{node.attr!r}] if type({held}) is dict and {node.attr!r} in {o} else _GA({o}, {node.attr!r}))"
        if isinstance(node, nodes.Not):
            return f"(not {self.expr(node.node)})"
        if isinstance(node, (nodes.And, nodes.Or)):
            op = "and" if isinstance(node, nodes.And) else "or"
            return f"({self.expr(node.left)} {op} {self.expr(node.right)})"
        if isinstance(node, nodes.Compare) and all(op.op in _OPERATORS for op in node.ops):
            return "(" + self.expr(node.expr) + "".join(f" {_OPERATORS[op.op]} {self.expr(op.expr)}"
                                                        for op in node.ops) + ")"
        if (isinstance(node, nodes.Test) and node.name in ("defined", "undefined") and not node.args
                and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None
                and isinstance(node.node, nodes.Getattr) and node.node.ctx == "load"
                and self.tests.get(node.name) is _TESTS[node.name]):
            # x.a is defined: whether Environment.getattr gives a value, not an Undefined
            obj, attr = self.expr(node.node.node), node.node.attr
            if attr in _DICT_ATTRIBUTES:
                test = f"_defined({obj}, {attr!r})"
            else:  # (a dict's key: there, and not an Undefined itself)
                o = f"_o{next(self.ids)}"
                test = (f"(({attr!r} in {o} and not isinstance({o}[{attr!r}], _Undefined)) "
                        f"if type({o} := {obj}) is dict else _defined({o}, {attr!r}))")
            return f"(not {test})" if node.name == "undefined" else test
        if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
            return f"({self.expr(node.expr1)} if {self.expr(node.test)} else {self.expr(node.expr2)})"
        raise _Unsupported(node)

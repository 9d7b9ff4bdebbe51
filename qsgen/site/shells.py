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

A shell whose blocks are all such functions is kept between builds (``Shells.store``: sealed in
.qsgen-cache/jinja/, as compiled templates are): its text and its blocks' compiled code, keyed
by everything they are made from (the code and templates' digest, Jinja's and Python's
version, the template's name, the shared data; and, checked when read, the page template's and
its layout's sources as they were parsed). A build that renders one page of a key (after one
record changed) renders it from the kept shell without importing Jinja; anything not covered
(no kept shell, other sources, a block that meets what only Jinja renders) renders the page
with Jinja as before.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sys
import types
from typing import Any

from qsgen.site.keptblocks import kept_namespace

# (the shells kept between builds: bump when what is kept, or the code made for a block, changes)
KEPT_FORMAT = 1


def plan(env: Any, name: str, shared: frozenset[str]) -> Any:
    """shellplan.plan: a Plan for the template ``name``, or None (render it whole)."""
    from qsgen.site import shellplan

    return shellplan.plan(env, name, shared)


class Shells:
    """The shells of one environment's page templates, by template and shared data."""

    def __init__(self, env: Any, store: Any = None) -> None:
        # ``env``: the Jinja environment, or what makes it (called the first time it is
        # needed: a page rendered from a kept shell needs none, nor jinja2)
        self._env, self._make = (None, env) if callable(env) else (env, None)
        self._on_env: list[Any] = []
        # ``store``: where shells are kept between builds (incremental.templates.ShellStore:
        # ``context``, what every key is made with; ``templates``, their folder; load(name)
        # and save(name, payload) of a sealed file), or None
        self.store = store
        self.kept: dict[tuple[str, Any], Any] = {}  # (template, key) -> a kept shell, or None
        self.plans: dict[str, Any] = {}
        self.seen: set[tuple[str, Any]] = set()
        self.shells: dict[tuple[str, Any], tuple[Any, ...]] = {}  # see _shell_of
        self.token = os.urandom(8).hex()  # (as secrets.token_hex(8))

    @property
    def env(self) -> Any:
        """The Jinja environment (made now, the first time)."""
        env = self._env
        if env is None:
            env = self._env = self._make()
            for hook in self._on_env:
                hook(env)
            self._on_env.clear()
        return env

    def when_env(self, hook: Any) -> None:
        """Call ``hook(env)`` with the environment once it is made (now, if it is)."""
        if self._env is not None:
            hook(self._env)
        else:
            self._on_env.append(hook)

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
            if self.store is not None:
                kept = self.kept.get((name, key), False)
                if kept is False:
                    kept = self.kept[(name, key)] = self._kept_of(name, key, shared)
                if kept is not None:
                    data = _render_kept(kept, shared, ctx)
                    if data is not None:
                        return data
                    # (a block met what only Jinja renders: the pages of this key are rendered
                    # from the shell made now, as without a kept one)
                    self.kept[(name, key)] = None
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
            from qsgen.site import fastblocks

            for block, renders in p.blocks.items():
                source, body = p.trees[block]
                p.fast[block] = fastblocks.compile_block(self.env, source, body, renders[0].__globals__["escape"])
        pieces = self._shell(p.template, p, shared)
        shell = self.shells[(name, key)] = (p, {**p.globals, **shared},
                                            [(p.fast[b], p.blocks[b][0]) for b in pieces[1::2]],
                                            [piece.encode("utf-8") for piece in pieces[::2]])
        if self.store is not None and self.kept.get((name, key)) is None:
            self._keep(name, key, shared, p, shell)
        return shell

    # ---- shells kept between builds

    def _file(self, name: str, key: Any, shared: dict[str, Any]) -> str | None:
        """The name of the file the shell of ``name`` for ``key`` and ``shared`` is kept in;
        None: not kept (shared data other than plain values, Jinja's version unknown)."""
        version = jinja_version()
        if version is None or not _plain(shared):
            return None
        made = repr((KEPT_FORMAT, self.store.context, version, sys.version, name, key, shared))
        return "shell-" + hashlib.blake2b(made.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    def _sources(self, name: str, layout: str) -> str:
        """The digest of the page template's and its layout's sources, as read now."""
        from qsgen.site.templates import template_bytes

        h = hashlib.blake2b(digest_size=20)
        for one in (name, layout):
            data = template_bytes(self.store.templates, one)
            h.update(b"%d\0" % len(data))
            h.update(data)
        return h.hexdigest()

    def _kept_of(self, name: str, key: Any, shared: dict[str, Any]) -> tuple[list[Any], list[bytes]] | None:
        """([each block's function], [text before the first block, text after each]) of the
        kept shell of ``name`` for ``key``; None when there is none for these sources."""
        try:
            file = self._file(name, key, shared)
            payload = None if file is None else self.store.load(file)
            if payload is None:
                return None
            layout, sources, text, codes = marshal.loads(payload)
            if sources != self._sources(name, layout) or len(text) != len(codes) + 1:
                return None
            namespace = kept_namespace()
            return [types.FunctionType(code, namespace) for code in codes], text
        except Exception:  # (not kept, unreadable, a template that is not read: Jinja renders it)
            return None

    def _keep(self, name: str, key: Any, shared: dict[str, Any], p: Any, shell: tuple[Any, ...]) -> None:
        """Keep the shell just made for the next builds, when each of its blocks is a fastblocks
        function writing through the escape function a kept shell's blocks are given."""
        from qsgen.site.templates import _escape

        _p, _base, renders, text = shell
        if not all(fast is not None and fast.__globals__.get("_E") is _escape for fast, _render in renders):
            return
        try:
            file = self._file(name, key, shared)
            if file is None:
                return
            h = hashlib.blake2b(digest_size=20)
            for source in p.sources:
                data = source.encode("utf-8")
                h.update(b"%d\0" % len(data))
                h.update(data)
            self.store.save(file, marshal.dumps((p.layout, h.hexdigest(), text,
                                                 [fast.__code__ for fast, _render in renders])))
        except Exception:  # (a shell not kept only costs time)
            pass

    def _shell(self, template: Any, p: Any, shared: dict[str, Any]) -> list[str]:
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


def _render_kept(kept: tuple[list[Any], list[bytes]], shared: dict[str, Any], ctx: dict[str, Any]) -> bytes | None:
    """The page from a kept shell: its text with each block's function's text in between;
    None when a block reaches what only Jinja renders (or fails: Jinja then finds the error)."""
    fasts, text = kept
    pieces = [text[0]]
    try:
        for fast, after in zip(fasts, text[1:], strict=True):
            pieces.append(fast(ctx, shared).encode("utf-8"))
            pieces.append(after)
    except Exception:
        return None
    return b"".join(pieces)


_PLAIN_TYPES = (str, int, bool, float, type(None))


def _plain(value: Any) -> bool:
    """Whether ``value`` is made of str, numbers, None, lists, tuples and dicts only (its repr
    then tells it apart from every other such value)."""
    if type(value) in _PLAIN_TYPES:
        return True
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if type(value) in (list, tuple):
        return all(_plain(v) for v in value)
    return False


_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.M)
_JINJA_VERSION: list[str | None] = []


def jinja_version() -> str | None:
    """jinja2.__version__, read from its package without importing it (None: not found)."""
    jinja2 = sys.modules.get("jinja2")
    if jinja2 is not None:
        return jinja2.__version__
    if not _JINJA_VERSION:
        found = None
        try:
            import importlib.util

            spec = importlib.util.find_spec("jinja2")
            if spec is not None and spec.origin:
                with open(spec.origin, encoding="utf-8") as f:
                    m = _VERSION.search(f.read())
                found = m.group(1) if m else None
        except (ImportError, OSError, ValueError):
            found = None
        _JINJA_VERSION.append(found)
    return _JINJA_VERSION[0]

"""Guessing which known choice a mistyped word meant, for the hints of error messages."""

from __future__ import annotations

import os
import unicodedata


def fold(text: str) -> str:
    """Case, width and Unicode-normalisation insensitive form of a text."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def nearest(word: str, choices: list[str] | tuple[str, ...] | set[str], cutoff: float = 0.6) -> str | None:
    """The one choice ``word`` most likely meant, or None when none is close or two are equally close.

    A case/width-folded exact match wins. Otherwise choices are ranked by difflib's ratio on the
    folded forms (at least ``cutoff``), then by the length of the common prefix; when the best two
    still tie (``乡级`` is as close to 省级 as to 市级 and 县级) there is no single guess. The
    result never depends on the iteration order of a set or on which character sorts higher."""
    choices = list(dict.fromkeys(sorted(choices) if isinstance(choices, (set, frozenset)) else choices))
    key = fold(word)
    folded = [fold(c) for c in choices]
    for f, c in zip(folded, choices, strict=True):
        if f == key:
            return c
    ranked = []
    import difflib  # (only when a name is not known: not on a build's way)

    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    for index, (f, c) in enumerate(zip(folded, choices, strict=True)):
        matcher.set_seq1(f)
        if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
            continue
        ratio = matcher.ratio()
        if ratio >= cutoff:
            ranked.append((-ratio, -len(os.path.commonprefix([f, key])), index, c))
    if not ranked:
        return None
    ranked.sort()
    if len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]:
        return None  # a tie: naming either one would be a misleading guess
    return ranked[0][3]


def did_you_mean(word: str, choices, cutoff: float = 0.6, ask: str = "是不是想写") -> str:
    """"是不是想写 X？" naming the choice ``word`` most likely meant, or "" when there is none.

    ``ask`` is the question's wording (the rules' messages say "是不是 X？")."""
    best = nearest(word, choices, cutoff)
    return f"{ask} {best}？" if best else ""

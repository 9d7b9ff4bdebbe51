"""Per-unit scores of the last build, reused while a unit's inputs are unchanged.

A unit's score is a function of the rules, the scoring code, its own records and its
assessment file (scoring.score_unit; ranks are set afterwards over all units). ``ScoreMemo``
keys each UnitScore by a digest of exactly those inputs (``UnitScore.inputs``) and hands an
unchanged unit's score back instead of computing it again. On disk (``qsgen build``) each unit
is one pickle in ``.qsgen-cache/scores.pickle`` whose references to rule objects (units, items,
sections, adjustment rules) are stored by name and resolved against the rules just loaded, so
a reused score is indistinguishable from a fresh one. Its adjustments and computation (half
of what is unpickled, read by no page of a unit that did not change) are pickled apart and
unpickled only when first asked for (UnitScore's ``_rest``). Like the rest of the cache it is a pure
optimisation: the output is byte-identical without it.
"""

from __future__ import annotations

import copyreg
import functools
import hashlib
import io
import operator
import pickle
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from qsgen.core.model import RecordSet, Results, Rules, UnitScore

SCORES_FILE = "scores.pickle"
FORMAT = 3  # (2: Fractions pickled as their numerator and denominator: _fraction; 3: _LAZY apart)
# Modules whose code decides what a unit's score is (the record loader is in loader_digest).
_SCORING_MODULES = ("scoring", "core/display.py", "rules", "incremental/scorememo.py")


def scoring_digest(validity: str) -> str:
    """The scoring code plus ``validity`` (recordmemo.loader_digest: loader code, versions, rules)."""
    from qsgen.incremental.cache import code_key

    return code_key(_SCORING_MODULES, FORMAT, validity)


def unit_inputs(base: str, records: RecordSet, slug: str, record_digest: Mapping[int, str]) -> str:
    """Digest of everything unit ``slug`` is scored from: ``base`` (scoring_digest), its records
    (by their content digests, in order) and its assessment file."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{base}\0{slug}\0".encode("utf-8", "surrogatepass"))
    # (the same bytes as one update per record, in one: a digest is ASCII hex)
    own = records.by_unit(slug)
    h.update(("\0".join(map(record_digest.__getitem__, map(id, own))) + "\0" if own else "").encode())
    h.update(repr(records.assessments.get(slug)).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _rule_names(rules: Rules) -> dict[int, tuple]:
    """Every rule object a UnitScore refers to, by a stable name (first name wins when an object
    is shared)."""
    names: dict[int, tuple] = {}
    for u in rules.units:
        names.setdefault(id(u), ("unit", u.slug))
        for it in u.items:
            names.setdefault(id(it), ("item", u.slug, it.id))
        for s in u.sections:
            names.setdefault(id(s), ("section", u.slug, s.id))
    for a in rules.adjustments:
        names.setdefault(id(a), ("rule", a.id))
    return names


def _rule_objects(rules: Rules) -> dict[tuple, Any]:
    objects: dict[tuple, Any] = {}
    for u in rules.units:
        objects.setdefault(("unit", u.slug), u)
        for it in u.items:
            objects.setdefault(("item", u.slug, it.id), it)
        for s in u.sections:
            objects.setdefault(("section", u.slug, s.id), s)
    for a in rules.adjustments:
        objects.setdefault(("rule", a.id), a)
    return objects


def outline(us: UnitScore, own: list) -> str:
    """Digest of what a page about the unit shows: its score (before ranking) and the id,
    kind, title and date of each of its records; not their bodies. (The repr of the score
    hashed as it is, not through cache.digest, which took the repr of that ~100 KB string
    again, every character looked at for escaping and twice the bytes hashed: a third of the
    time. No repr has a NUL in it: the two parts stay apart.)"""
    text = repr(us) + "\0" + repr([(r.id, r.kind, r.title, r.date) for r in own])
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# The fields of a UnitScore pickled apart from the rest, unpickled when first asked for.
_LAZY = ("adjustments", "computation")


def _unpickled(data: bytes, objects: dict[tuple, Any]) -> Any:
    unpickler = pickle.Unpickler(io.BytesIO(data))
    # (a rule object by its name, looked up by C: KeyError for an unknown one, TypeError for a
    # name that is not one)
    unpickler.persistent_load = objects.__getitem__
    return unpickler.load()


def _load(data: Any, objects: dict[tuple, Any], slug: str,
          again: Callable[[], UnitScore] | None = None) -> UnitScore | None:
    """A pickled UnitScore (_pickled) with its rule objects resolved; None when stale or
    damaged. Its _LAZY fields are unpickled when first asked for; should that fail, they are
    taken from ``again()`` (the unit scored afresh), without it the error is raised."""
    try:
        head, rest, names = data
        if not all(map(objects.__contains__, names)):  # (a rule object the rest names is gone)
            return None
        us = _unpickled(head, objects)
    except Exception:  # a stale or damaged entry (or one naming an unknown rule object) is only a cache miss
        return None
    if not isinstance(us, UnitScore) or us.unit.slug != slug or not us.outline:
        return None
    us.__dict__["_rest"] = functools.partial(_rest, rest, objects, again)
    return us


def _rest(data: bytes, objects: dict[tuple, Any], again: Callable[[], UnitScore] | None, us: UnitScore) -> None:
    """Fill in ``us``'s _LAZY fields from their pickle (see _load)."""
    try:
        values = _unpickled(data, objects)
        if not isinstance(values, tuple) or len(values) != len(_LAZY):
            raise ValueError("not the fields of _LAZY")
    except Exception:
        if again is None:
            raise
        fresh = again()
        values = tuple(getattr(fresh, name) for name in _LAZY)
    us.__dict__.update(zip(_LAZY, values, strict=True))


def _pickled(us: UnitScore, names: dict[int, tuple]) -> tuple[bytes, bytes, tuple]:
    """(the score but its _LAZY fields, those fields, the names of the rule objects those
    refer to), pickled for _load."""
    state = dict(us.__getstate__())
    rest = tuple(state.pop(name) for name in _LAZY)
    head = _new(UnitScore)
    head.__dict__.update(state)
    out = []
    used: dict[tuple, None] = {}
    for part in (head, rest):
        buf = io.BytesIO()
        pickler = _Pickler(buf, names)
        pickler.used = used
        pickler.dump(part)
        out.append(buf.getvalue())
    return out[0], out[1], tuple(used)


def _fraction(numerator: int, denominator: int) -> Fraction:
    """A Fraction from its own (already normalised) numerator and denominator as pickled: a
    Fraction pickles as its str, parsed again by a regular expression (~3,000 of them in a
    year's scores: a sixth of the time of unpickling them)."""
    f = _new(Fraction)
    f._numerator = numerator
    f._denominator = denominator
    return f


_new = object.__new__


def _reduce_fraction(f: Fraction) -> tuple:
    return _fraction, (f.numerator, f.denominator)


class _Pickler(pickle.Pickler):
    def __init__(self, file: Any, names: dict[int, tuple]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.names = names
        self.used: dict[tuple, None] | None = None  # the names given out, when kept
        # (an instance's own table: with one on the class the pickler would take the class's)
        self.dispatch_table = {**copyreg.dispatch_table, Fraction: _reduce_fraction}

    def persistent_id(self, obj: Any) -> Any:
        name = self.names.get(id(obj))
        if name is not None and self.used is not None:
            self.used[name] = None
        return name


class ScoreMemo:
    """Scores by unit slug: {slug: (inputs digest, UnitScore or its pickle (_pickled)[, that pickle])}."""

    def __init__(self, base: str = "") -> None:
        self.base = base  # scoring_digest of the entries
        self.year: int | None = None  # the year whose units these are (its own file on disk)
        self.entries: dict[str, tuple[str, Any]] = {}
        self.scored = 0  # units computed by the last score()
        self.reused = 0  # units taken from the memo by the last score()
        self._dirty = False
        # slug -> (salt, its records, its assessment, key) of a unit scored by prescore()
        self._ahead: dict[str, tuple[str, list, Any, str]] = {}

    def score(self, rules: Rules, records: RecordSet, record_digest: dict[int, str],
              base: str | None = None, as_of: Any = None, before: dict[int, str] | None = None) -> Results:
        """scoring.score(rules, records, as_of), reusing every unit whose inputs are unchanged.

        ``record_digest``: cache.record_digest of every record, by id(record). ``before``
        (cache.DigestMemo.earlier(body_only=True)): for records that differ from the ones they
        replace in their body alone, the digest of those. Scoring reads no body (nor does a
        score show one: see outline), so a unit whose inputs are the remembered ones but for
        such records keeps its score, under its new inputs."""
        from qsgen.scoring import engine as scoring

        if base is not None and base != self.base:
            self.entries.clear()
            self.base = base
        objects: dict[tuple, Any] | None = None
        overlay: dict[int, str] | None = None  # record_digest, with ``before``'s digests in place
        keys = {u.slug: self._key(records, u.slug, record_digest, as_of) for u in rules.units}
        self._ahead.clear()
        scores: list[UnitScore] = []
        self.reused = 0
        for unit in rules.units:
            key = keys[unit.slug]
            hit = self.entries.get(unit.slug)
            us = None
            if hit is not None and hit[0] != key and before and overlay is None:
                overlay = {**record_digest, **before}  # (once: looked up by C-level maps, not a ChainMap)
            if hit is not None and (hit[0] == key or before and hit[0] == self._key(
                    records, unit.slug, overlay, as_of)):
                us = hit[1]
                pickled = hit[2:] if isinstance(us, UnitScore) else hit[1:]
                if not isinstance(us, UnitScore):
                    objects = objects if objects is not None else _rule_objects(rules)
                    us = _load(us, objects, unit.slug, functools.partial(
                        scoring.score_unit, rules, unit, records, as_of))
                    if us is not None:  # its pickle is kept for save()
                        us.inputs = hit[0]  # (not the pickle's: see below)
                        self.entries[unit.slug] = (hit[0], us, *pickled)
                if us is not None and hit[0] != key:
                    # (bodies changed: kept under the new key; its pickle, but for the inputs
                    # that score() sets on what it loads, is the same)
                    us.inputs = key
                    self.entries[unit.slug] = (key, us, *pickled)
                    self._dirty = True
            if us is None:
                us = self._scored(rules, unit, records, key, as_of)
            else:
                self.reused += 1
            scores.append(us)
        for slug in [s for s in self.entries if s not in keys]:
            del self.entries[slug]
            self._dirty = True
        self.scored = len(keys) - self.reused
        return scoring.ranked(rules, records, scores, as_of)

    def prescore(self, rules: Rules, unit: Any, records: RecordSet, record_digest: dict[int, str],
                 as_of: Any = None) -> None:
        """Score ``unit`` now from ``records`` (a set holding at least every record and the
        assessment of that unit, e.g. its folder's, read while the other folders still are),
        so that score() later finds it as if remembered: it is taken only if the unit's inputs
        there are these very ones (the same key), else scored again there."""
        salt = f"{self.base}\0{as_of}"
        key = unit_inputs(salt, records, unit.slug, record_digest)
        self._ahead[unit.slug] = (salt, records.by_unit(unit.slug), records.assessments.get(unit.slug), key)
        hit = self.entries.get(unit.slug)
        if hit is None or hit[0] != key:
            self._scored(rules, unit, records, key, as_of)

    def _key(self, records: RecordSet, slug: str, record_digest: Mapping[int, str], as_of: Any) -> str:
        """unit_inputs of the unit ``slug`` in ``records``; for a unit prescore() had the very
        same record objects (in order) and assessment for, the key it worked out then."""
        salt = f"{self.base}\0{as_of}"
        ahead = self._ahead.get(slug)
        if ahead is not None and ahead[0] == salt and ahead[2] is records.assessments.get(slug):
            mine = records.by_unit(slug)
            if len(mine) == len(ahead[1]) and all(map(operator.is_, mine, ahead[1])):
                return ahead[3]
        return unit_inputs(salt, records, slug, record_digest)

    def _scored(self, rules: Rules, unit: Any, records: RecordSet, key: str, as_of: Any) -> UnitScore:
        """The unit scored afresh, remembered under ``key`` (its inputs)."""
        from qsgen.scoring import engine as scoring

        us = scoring.score_unit(rules, unit, records, as_of)
        us.inputs = key
        us.outline = outline(us, records.by_unit(unit.slug))
        self.entries[unit.slug] = (key, us)
        self._dirty = True
        return us

    # ---- on disk (qsgen build)

    @staticmethod
    def path(root: Path, year: int | None = None) -> Path:
        """Where a year's scores are kept (one file per year)."""
        from qsgen.incremental.cache import CACHE_DIR

        return Path(root) / CACHE_DIR / (SCORES_FILE if year is None else f"scores-{year}.pickle")

    @classmethod
    def load(cls, root: Path, base: str, year: int | None = None) -> ScoreMemo:
        """The scores of ``year`` saved by the last build (kept as pickles until asked for);
        empty when absent, unreadable or made under another ``base``."""
        memo = cls(base)
        memo.year = year
        from qsgen.incremental.cache import read_pickle

        data = read_pickle(cls.path(root, year))
        try:
            if isinstance(data, dict) and data.get("base") == base:
                memo.entries = dict(data["entries"])
        except (KeyError, TypeError, ValueError):
            pass
        return memo

    def save(self, root: Path, rules: Rules) -> None:
        """Write the entries atomically into ``root/.qsgen-cache/`` when any changed; never
        raises for I/O (a memo that cannot be written only makes the next build slower)."""
        if not self._dirty:
            return
        names = _rule_names(rules)
        entries = {}
        for slug, (key, value, *pickled) in self.entries.items():
            if pickled:
                value = pickled[0]
            elif isinstance(value, UnitScore):
                value = _pickled(value, names)
            entries[slug] = (key, value)
        from qsgen.incremental.cache import write_pickle

        if write_pickle(self.path(root, self.year), {"base": self.base, "entries": entries}):
            self._dirty = False

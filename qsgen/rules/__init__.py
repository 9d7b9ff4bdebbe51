"""Stage 1: rules/<year>/ (the assessment method as YAML) loaded and validated into model.Rules.

Where things are: ``load`` (finding and reading the folder), ``files`` (the keys each file may
have), ``schema`` (the typed YAML options), ``units``, ``stations``, ``items``, ``adjustments``,
``parts``, ``amounts``, ``conditions`` (building and checking each piece), ``describe`` (the
Chinese descriptions of ``qsgen rules``). Measures (``per:``) are declared in qsgen/core/measures.py.
"""


import importlib
from typing import Any

# Where each name of the package is: imported when first asked for (PEP 562), so that
# ``qsgen.rules.continuity`` or a build using the cached rules (incremental/rulescache.py) does
# not import the loader, its schemas and the descriptions (~3 ms).
_HOMES = {"load_rules": "qsgen.rules.load", "load_rules_or_raise": "qsgen.rules.load",
          "rules_dir": "qsgen.rules.load", "MEASURES": "qsgen.core.measures",
          "RULE_FILES": "qsgen.rules.files", "describe_part": "qsgen.rules.describe",
          "num": "qsgen.rules.describe"}

__all__ = ["load_rules", "load_rules_or_raise", "rules_dir", "MEASURES", "RULE_FILES", "describe_part", "num"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])

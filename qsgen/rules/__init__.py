"""Stage 1: rules/<year>/ (the assessment method as YAML) loaded and validated into model.Rules.

Where things are: ``load`` (finding and reading the folder), ``files`` (the keys each file may
have), ``schema`` (the typed YAML options), ``units``, ``stations``, ``items``, ``adjustments``,
``parts``, ``amounts``, ``conditions`` (building and checking each piece), ``describe`` (the
Chinese descriptions of ``qsgen rules``). Measures (``per:``) are declared in qsgen/core/measures.py.
"""

from qsgen.core.measures import MEASURES
from qsgen.rules.describe import describe_part, num
from qsgen.rules.files import RULE_FILES
from qsgen.rules.load import load_rules, load_rules_or_raise, rules_dir

__all__ = ["load_rules", "load_rules_or_raise", "rules_dir", "MEASURES", "RULE_FILES", "describe_part", "num"]

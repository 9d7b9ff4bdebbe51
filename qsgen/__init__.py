"""qsgen: a points-based performance assessment, executable and published as a static site."""

__version__ = "0.1.0"

# Before any of qsgen's dataclasses is made: their generated methods' code from the bytecode cache.
from qsgen.core import generated as _generated  # noqa: E402

_generated.install()

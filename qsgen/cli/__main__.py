"""`python -m qsgen.cli`: the qsgen program."""

from qsgen.cli.program import entry

entry()

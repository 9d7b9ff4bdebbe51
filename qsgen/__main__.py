"""`python -m qsgen`: the qsgen program."""

from qsgen.cli.program import entry

entry()

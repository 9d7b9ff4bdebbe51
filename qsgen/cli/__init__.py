"""The command line: argument parsing and output formatting only; one module per command in commands/."""

from qsgen.cli.program import entry, main

__all__ = ["entry", "main"]

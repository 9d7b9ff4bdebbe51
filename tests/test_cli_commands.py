"""The program registers only the command it runs (its module imports what it needs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qsgen.cli.program import COMMANDS, build_parser, command_of


def test_command_of_finds_the_command_after_the_programs_options():
    assert command_of(["build"]) == "build"
    assert command_of(["--root", "x", "build", "--no-cache"]) == "build"
    assert command_of(["--root=x", "check"]) == "check"
    assert command_of(["--root", "build", "check"]) == "check"  # (build is --root's value)
    for argv in ([], ["--help"], ["-h", "build"], ["bogus"], ["--version"], ["--ro", "x", "build"]):
        assert command_of(argv) is None


def test_every_command_still_has_its_parser(capsys):
    for name in COMMANDS:
        with pytest.raises(SystemExit) as e:
            build_parser(name).parse_args([name, "--help"])
        assert e.value.code == 0
        assert f"usage: qsgen {name}" in capsys.readouterr().out


def test_a_build_imports_no_other_command():
    code = ("import sys; from qsgen.cli.program import build_parser; build_parser('build'); "
            "print(sorted(m for m in sys.modules if m.startswith('qsgen.cli.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['qsgen.cli.commands.build']"

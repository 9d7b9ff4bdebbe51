"""The qsgen program whose reader went away (`qsgen rules | head -1`): no traceback, exit 141."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_into_closed_pipe(*argv: str) -> tuple[int, str]:
    """Run the program with its stdout a pipe whose reading end is already closed (what
    `| head -1` leaves once head has its line): every write fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    try:
        proc = subprocess.run([sys.executable, "-m", "qsgen.cli", "--root", str(REPO), *argv],
                              stdout=write, stderr=subprocess.PIPE, env=env, timeout=120)
    finally:
        os.close(write)
    return proc.returncode, proc.stderr.decode("utf-8")


@pytest.mark.parametrize("argv", [
    ("rules",),                 # more than a buffer: the write in the command fails
    ("rules", "--year", "2023"),
    ("--help",),                # argparse prints and exits: the flush at exit fails
    ("new", "--help"),
])
def test_closed_pipe_exits_quietly(argv):
    code, err = run_into_closed_pipe(*argv)
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err
    assert err == ""
    assert code in (0, 141)  # 141 = 128 + SIGPIPE, as a shell reports a program ended by a closed pipe


def test_rules_into_a_closed_pipe_is_141():
    assert run_into_closed_pipe("rules")[0] == 141


def test_check_into_a_closed_pipe_keeps_its_status():
    code, err = run_into_closed_pipe("check", "--format", "json")
    assert "Traceback" not in err and code == 0  # the example data has no errors

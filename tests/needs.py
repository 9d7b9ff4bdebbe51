"""What a test needs from the machine: skipped when it is missing, except in CI (CI=true), where that is a failure."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(condition: bool, why: str) -> None:
    """Go on when ``condition`` holds; else skip the test (fail it in CI: there it must run)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: this test must run)")
    pytest.skip(why)

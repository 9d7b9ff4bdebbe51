"""Golden pages: the fixture site must match tests/golden/ byte for byte.

After an intended change to templates, site.py or exports.py, regenerate and review the diff:

    python tests/test_golden.py --regen
    git diff tests/golden/
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_fixture import ATTACHMENTS, HISTORY, SOURCE_DATE, make_results  # noqa: E402

from qsgen import site  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden"
PAGES = [
    "index.html",  # the site's home: the latest year's ranking
    "units/longgang.html",  # a unit across the years
    "years.json",
    "2023/index.html",
    "2023/units/bangongshi.html",
    "2023/units/longgang.html",
    "2023/records/fagui/case-2023-01.html",
    "2023/rules.html",
    "2023/notices/longgang.html",
    "2023/summary.html",
    "assets/style.css",
    "2023/scores.json",
    "2023/scores.csv",
]
REGEN = "python tests/test_golden.py --regen"


def fixture_site() -> dict[str, bytes]:
    inputs = site.SiteInputs(history=HISTORY, attachments=ATTACHMENTS, source_date=SOURCE_DATE,
                             example=True)
    return site.build_site(make_results(), inputs)


@pytest.mark.parametrize("page", PAGES)
def test_golden(page: str) -> None:
    expected = GOLDEN / page
    assert expected.is_file(), f"{expected} missing; run: {REGEN}"
    actual = fixture_site()[page]
    if actual != expected.read_bytes():
        pytest.fail(f"{page} differs from tests/golden/{page}. If the change is intended, run "
                    f"`{REGEN}` and review `git diff tests/golden/`.")


def regen() -> None:
    files = fixture_site()
    for page in PAGES:
        target = GOLDEN / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[page])
        print(f"wrote tests/golden/{page}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regen"]:
        sys.exit(f"usage: {REGEN}")
    regen()

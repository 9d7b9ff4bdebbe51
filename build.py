"""`python build.py` = `qsgen build` with the defaults (extra arguments are passed on)."""

import sys
from pathlib import Path

from qsgen.cli import main

if __name__ == "__main__":
    sys.exit(main(["--root", str(Path(__file__).resolve().parent), "build", *sys.argv[1:]]))

"""`python build.py` = `qsgen build` with the defaults, for the repository this file is in."""

import argparse
import sys
from pathlib import Path

from qsgen.cli.commands import build as command
from qsgen.cli.program import _Parser, leave, one_shot

if __name__ == "__main__":
    parser = _Parser(prog="python build.py", description=command.DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent), help="仓库根目录（默认本文件所在目录）")
    command.add_arguments(parser)
    args = parser.parse_args()
    one_shot()
    sys.exit(leave(command.run(args)))

"""Benchmark: pathological Markdown bodies at two sizes, to show that rendering time and page
size grow linearly with the input (issue 20 item 2).

    python benchmarks/markdown_cost.py            # each input at two sizes, 3 runs each

For each input and size: the input's length, the CPU time of ``markdown.render_with_text`` (the
build's call: HTML and search text), the HTML's length, and how time and output grew from the
small size to the large one against how the input grew (about the same factor: linear; the
square of it: quadratic). Before the guards, the table at N=1000 took 4.8 s and made a 10 MB
page, at N=3000 45 s and 90 MB; nested emphasis 37.6 s at N=33,000.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qsgen.site import markdown  # noqa: E402

INPUTS = {
    "table N cols x N rows": (lambda n: "|" + "a|" * n + "\n" + "|" + "-|" * n + "\n" + "a\n" * n, 1000, 3000),
    "nested emphasis": (lambda n: "*a " * n + "a* " * n + "\n", 10_000, 33_000),
    "nested strikethrough": (lambda n: "~~a " * n + "a~~ " * n + "\n", 8_000, 24_000),
    "reference flood": (lambda n: "[x]: http://e.com/" + "a" * n + "\n\n" + "[x]" * n + "\n", 2_000, 8_000),
    "image reference flood": (lambda n: '[x]: u "' + "t" * n + '"\n\n' + "![x]" * n + "\n", 2_000, 8_000),
    "lists": (lambda n: "- a\n" * n, 10_000, 40_000),
    "brackets": (lambda n: "[" * n + "a" + "]" * n + "\n", 10_000, 40_000),
    # against the estimate itself (core/mdcost.py): it must stay linear too
    "delimiter rows": (lambda n: "a|\n|-|\n" * n, 10_000, 40_000),
    "long dash line": (lambda n: "a|\n" + "-" * n + "x\n", 50_000, 190_000),
    "definitions": (lambda n: "\n[a]: <" * n + "\n\n" + "[a]" * 10, 10_000, 40_000),
    "open titles": (lambda n: "\n[a]: u (t" * n + "\n", 10_000, 40_000),
    "ordinary table": (lambda n: "| 项目 | 数量 |\n| --- | ---: |\n" + "| 检查 | 3 |\n" * n, 1_000, 4_000),
}


def measure(src: str, repeat: int = 3) -> tuple[float, int]:
    best = None
    for _ in range(repeat):
        t = time.process_time()
        html, _ = markdown.render_with_text(src)
        dt = time.process_time() - t
        best = dt if best is None else min(best, dt)
    return best, len(html)


def main() -> None:
    markdown.render_with_text("warm *up*\n")
    markdown._md()
    print(f"{'input':24} {'N':>7} {'chars in':>9} {'CPU s':>7} {'chars out':>10} "
          f"{'in x':>5} {'time x':>6} {'out x':>6}")
    for name, (make, small, large) in INPUTS.items():
        rows = []
        for n in (small, large):
            src = make(n)
            cpu, out = measure(src)
            rows.append((n, len(src), cpu, out))
        (n0, i0, c0, o0), (n1, i1, c1, o1) = rows
        for n, i, c, o in rows:
            print(f"{name:24} {n:7,} {i:9,} {c:7.3f} {o:10,}", end="")
            if n == n1:
                print(f" {i1 / i0:5.1f} {c1 / max(c0, 1e-4):6.1f} {o1 / o0:6.1f}")
            else:
                print()


if __name__ == "__main__":
    main()

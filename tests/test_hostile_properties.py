"""Issue 20, must hold: random edits, random cache damage and interrupted builds, in any order,
and the next build's site is the one a clean build makes (and nothing planted ran). Bounded:
a 30-record repository and a few short sequences, so the suite stays fast.

An interrupted build is simulated in-process: the writer raises at a chosen call (a page
streamed into the new site, a file renamed into the site in place, the swap), and, as a kill
-9 would, the folder of a half-written new site is left behind."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsgen.build import pipeline
from qsgen.core.errors import QsgenError
from qsgen.incremental import cache
from qsgen.publish import writer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gen_corpus  # noqa: E402

PWN = b"cos\nsystem\n(S'touch PWNED'\ntR."


class Interrupted(BaseException):
    """What a kill looks like to the code that was running (no except clause of it catches it)."""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "repo"
    gen_corpus.generate(30, root)
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.org",
                                                  "commit", "-qm", "records"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def record_files(root: Path) -> list[Path]:
    return sorted((root / "records").rglob("*.md"))


def edit(root: Path, rng: random.Random) -> None:
    path = rng.choice(record_files(root))
    text = path.read_text("utf-8")
    if rng.random() < 0.5:
        path.write_text(text.rstrip("\n") + f"\n\n补充说明 {rng.randrange(1000)}。\n", "utf-8")
    else:
        path.write_text(text.replace("title: ", f"title: 改{rng.randrange(100)} ", 1), "utf-8")


def damage(root: Path, rng: random.Random) -> None:
    files = sorted(p for p in (root / cache.CACHE_DIR).rglob("*")
                   if p.is_file() and p.name not in (cache.LOCK_FILE, ".gitignore"))
    if not files:
        return
    target = rng.choice(files)
    data = bytearray(target.read_bytes())
    how = rng.choice(["flip", "truncate", "garbage", "plant"])
    if how == "flip" and data:
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)
    elif how == "truncate":
        del data[rng.randrange(len(data) + 1):]
    elif how == "garbage":
        data = bytearray(rng.randbytes(rng.randrange(1, 64)))
    else:
        data = bytearray(PWN)
    target.write_bytes(bytes(data))


def interrupted_build(root: Path, rng: random.Random, monkeypatch) -> None:
    where = rng.choice(["write_chunks", "replace", "exchange"])
    at = rng.randrange(1, 40)
    calls = [0]

    def tripwire(real):
        def call(*args, **kwargs):
            calls[0] += 1
            if calls[0] >= at:
                raise Interrupted
            return real(*args, **kwargs)
        return call

    with monkeypatch.context() as m:
        if where == "write_chunks":
            m.setattr(writer, "write_chunks", tripwire(writer.write_chunks))
        elif where == "replace":
            m.setattr(writer.os, "replace", tripwire(os.replace))
        else:
            m.setattr(writer, "_exchange", tripwire(writer._exchange))
        try:
            pipeline.build(root, quiet=True, atomic=rng.random() < 0.3)
        except Interrupted:
            pass
    # what a kill -9 leaves that an exception does not: the new site half written
    left = root / f"._site.qsgen-new-killed{rng.randrange(1000)}"
    (left / "2023").mkdir(parents=True, exist_ok=True)
    (left / "2023" / "index.html").write_text("half", "utf-8")


STEPS = st.lists(st.tuples(st.sampled_from(["edit", "damage", "interrupt", "build"]), st.integers(0, 2**16)),
                 min_size=1, max_size=4)


@settings(max_examples=5, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_after_edits_damage_and_interrupted_builds_the_next_build_is_a_clean_build(corpus, tmp_path_factory,
                                                                                  monkeypatch, steps):
    work = tmp_path_factory.mktemp("prop")
    root = work / "repo"
    shutil.copytree(corpus, root)
    monkeypatch.chdir(work)
    pipeline.build(root, quiet=True)
    for step, seed in steps:
        rng = random.Random(seed)
        if step == "edit":
            edit(root, rng)
        elif step == "damage":
            damage(root, rng)
        elif step == "interrupt":
            interrupted_build(root, rng, monkeypatch)
        else:
            try:
                pipeline.build(root, quiet=True)
            except QsgenError:
                pass
    pipeline.build(root, quiet=True)
    assert not (work / "PWNED").exists() and not (root / "PWNED").exists()
    assert not [p for p in root.iterdir() if ".qsgen-new" in p.name or ".qsgen-old" in p.name]
    fresh = work / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(cache.CACHE_DIR, "_site*"))
    pipeline.build(fresh, quiet=True, use_cache=False)
    assert tree(root / "_site") == tree(fresh / "_site")

"""What an incremental build after one change does not import (docs/benchmarks.md, 第八轮)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.recordkit import generated_repo

# Not needed by a build after a record's body changed (the rules come from the cache, the year
# has no lifecycle): the rules' loader and schemas, the calendar, the manifest's code, git blobs,
# the lifecycle's dataclasses; nor the secrets module (keys come from os.urandom).
NOT_IMPORTED = ["qsgen.rules.load", "qsgen.rules.schema", "qsgen.rules.describe", "qsgen.lifecycle.calendar",
                "qsgen.lifecycle.manifest", "qsgen.repo.commits", "qsgen.core.lifecycle", "secrets"]

_BUILD = ("import sys; from pathlib import Path; from qsgen.build import pipeline; "
          "pipeline.build(Path(sys.argv[1]), quiet=True); "
          "print(' '.join(sorted(m for m in sys.modules if m.startswith('qsgen.') or m == 'secrets')))")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return generated_repo(tmp_path_factory.mktemp("corpus") / "repo", 12)


def _modules_of_a_build(root: Path) -> set[str]:
    out = subprocess.run([sys.executable, "-c", _BUILD, str(root)], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_a_build_after_one_change_imports_no_loader(corpus):
    first = _modules_of_a_build(corpus)
    assert {"qsgen.rules.load", "qsgen.rules.schema"} <= first  # (a first build loads the rules)
    victim = sorted(corpus.glob("records/*/*/*.md"))[0]
    victim.write_bytes(victim.read_bytes().replace(b"\n---\n\n", "\n---\n\n改了一句。".encode(), 1))
    again = _modules_of_a_build(corpus)
    assert "qsgen.build.render" in again
    assert sorted(again & set(NOT_IMPORTED)) == []


def test_the_rules_package_names_are_found_where_they_live():
    import qsgen.rules
    from qsgen.core.measures import MEASURES
    from qsgen.rules import (
        RULE_FILES,
        describe,
        describe_part,
        files,
        load,
        load_rules,
        load_rules_or_raise,
        num,
        rules_dir,
    )

    assert (load_rules, load_rules_or_raise, rules_dir) == (load.load_rules, load.load_rules_or_raise, load.rules_dir)
    assert (describe_part, num, RULE_FILES) == (describe.describe_part, describe.num, files.RULE_FILES)
    assert qsgen.rules.MEASURES is MEASURES
    assert set(qsgen.rules.__all__) <= set(dir(qsgen.rules))
    with pytest.raises(ImportError):
        from qsgen.rules import no_such_name  # noqa: F401


_GIT_FIRST = ("import sys; from pathlib import Path; from qsgen.build import pipeline; from qsgen.repo import gitinfo; "
              "start = gitinfo.start_ahead; seen = []; "
              "gitinfo.start_ahead = lambda *a: (seen.append('qsgen.incremental.cache' in sys.modules), start(*a)); "
              "pipeline.build(Path(sys.argv[1]), quiet=True); print(seen)")


def test_a_build_starts_its_git_commands_before_the_cache_code_is_imported(corpus):
    # (cache.py brings hashlib, hmac and pickle: imported while git reads its index)
    from qsgen.incremental import CACHE_DIR, cache

    assert CACHE_DIR == cache.CACHE_DIR == ".qsgen-cache"
    if not (corpus / CACHE_DIR).is_dir():
        _modules_of_a_build(corpus)
    out = subprocess.run([sys.executable, "-c", _GIT_FIRST, str(corpus)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[False]"]

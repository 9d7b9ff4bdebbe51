"""README.md: the record example names a real file and quotes its front matter exactly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_record_example_is_a_real_file():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"简例（`(records/[^`]+\.md)`[^）]*）：\n\n```markdown\n(.*?)```", readme, re.S)
    assert m, "README.md 的记录格式一节没有简例"
    path, snippet = m.group(1), m.group(2)
    source = (ROOT / path).read_text(encoding="utf-8")
    front = re.match(r"---\n.*?\n---\n", source, re.S).group(0)
    assert snippet.startswith(front), "README.md 简例的 YAML 头与示例文件不一致"
    for line in snippet[len(front):].splitlines():
        assert line in source.splitlines(), f"README.md 简例的正文不在 {path} 中：{line}"


def test_readme_scores_json_sample_is_the_real_site():
    """Every value of README.md's scores.json sample is what the example's site publishes
    (``…`` marks what was left out; the lists show some of the real rows)."""
    import json

    from qsgen.records import load_records
    from qsgen.rules import load_rules
    from qsgen.scoring.engine import score
    from qsgen.site import exports

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"### scores\.json\n.*?```json\n(.*?)```", readme, re.S)
    assert m, "README.md 没有 scores.json 的示例"
    sample = json.loads(m.group(1))
    rules, _ = load_rules(ROOT, sample["year"])
    records, _ = load_records(ROOT, rules)
    real = json.loads(exports.scores_json(score(rules, records)).decode("utf-8"))
    for key, value in sample.items():
        if key != "units" and value != "…":
            assert real[key] == value, key
    by_id = {u["id"]: u for u in real["units"]}
    for unit in sample["units"]:
        have = by_id[unit["id"]]
        for key, value in unit.items():
            if isinstance(value, list):
                for row in value:
                    assert row in have[key], (unit["id"], key, row)
            else:
                assert have[key] == value, (unit["id"], key)

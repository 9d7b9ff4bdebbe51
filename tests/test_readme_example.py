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

"""Every command is documented: in the README's command table and with a Chinese --help with examples."""

from pathlib import Path

import pytest

from qsgen.cli import program as cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_command_in_readme(command):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`qsgen {command}" in readme, f"README.md 的命令表缺少 qsgen {command}"


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_command_help_is_chinese_with_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"qsgen {command}" in out
    assert "例" in out, f"qsgen {command} --help 应给出示例"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out)


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["no-such-command"])
    assert exit_info.value.code == 2
    assert "用法错误" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert "qsgen check" in capsys.readouterr().out

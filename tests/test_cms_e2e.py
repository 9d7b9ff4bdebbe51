"""The generated form end to end, offline: decap-server (git mode) on a loopback port against a
temporary git copy of the example repository, the admin page in headless Chromium.

A case (fine, category, procedure, an attached PDF) and a news item (an `adopted_by` entry) are
entered for 龙港所, saved (each on its cms/… branch), set ready and published (merged); then the
files must be there with the expected front matter, `qsgen check` must pass and 龙港所's total on
a rebuilt site must have changed by what the rules give for them. Bad values typed into the form
must show the message and hint `qsgen check` gives for the same values.

Skipped where node is absent. Needs tests/cms/node_modules (npm ci --prefix tests/cms, as .ci/run
does), Debian's chromium and Python playwright: missing, they skip the test outside CI and fail
it in CI. With QSGEN_CMS_SCREENSHOTS=<folder> the test also saves the guide's screenshots there.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from fixtures.recordkit import copy_rules

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
DECAP_SERVER = REPO / "tests" / "cms" / "node_modules" / ".bin" / "decap-server"
IN_CI = os.environ.get("CI", "").lower() == "true"
SHOTS = os.environ.get("QSGEN_CMS_SCREENSHOTS")
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _need(condition: bool, why: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"{why} (CI=true: the CMS test must run)")
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), text
    return yaml.safe_load(text.split("---\n")[1])


def _total(root: Path, out: Path, slug: str) -> Fraction:
    from qsgen.build.pipeline import build

    build(root, out, quiet=True)
    scores = json.loads((out / "2023" / "scores.json").read_text(encoding="utf-8"))
    unit = next(u for u in scores["units"] if u["id"] == slug)
    return Fraction(unit["total"])


def _cli_errors(root: Path, name: str, front: str) -> list[str]:
    """What `qsgen check` says about a record of 龙港所 with this front matter, as the form shows it."""
    from qsgen.records import load_records
    from qsgen.rules import load_rules

    bad = root.parent / "bad"
    shutil.rmtree(bad, ignore_errors=True)
    shutil.copytree(root / "rules", bad / "rules")
    folder = bad / "records" / "2023" / "longgang"
    folder.mkdir(parents=True)
    (folder / name).write_text(f"---\n{front}---\n正文\n", encoding="utf-8")
    rules, _ = load_rules(bad)
    _, diags = load_records(bad, rules)
    return [d.message + ("\u3000提示：" + d.hint if d.hint else "") for d in diags if d.severity == "error"]


def _shot(page, name: str, full: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=full)


def _errors(page) -> list[str]:
    return page.evaluate("Array.from(document.querySelectorAll('li')).map(li => li.textContent)"
                         ".filter(t => t.includes('提示：'))")


def _select(page, label: str, option: str, last: bool = False) -> None:
    """Choose ``option`` in a select widget (react-select: type to filter, Enter to pick)."""
    box = page.get_by_label(label, exact=True)
    box = box.last if last else box
    box.focus()
    box.fill(option)
    page.keyboard.press("Enter")


def _publish(page) -> None:
    page.get_by_role("button", name="状态: 草稿").click()
    page.get_by_text("就绪", exact=True).click()
    page.get_by_text("状态: 就绪").wait_for()
    page.get_by_role("button", name="发布", exact=True).click()
    page.get_by_text("立即发布", exact=True).click()
    page.get_by_text("内容已发布").wait_for()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The example rules and records as a fresh git repository on branch main."""
    root = tmp_path_factory.mktemp("cms") / "repo"
    copy_rules(root)
    shutil.copytree(REPO / "records" / "2023", root / "records" / "2023")  # (the form writes into 2023)
    # The example's 2023 is final (sealed by its manifest); the form's test needs a year that
    # still takes records, so the copy goes back to before 公示: no state, no seal, no objections.
    year = root / "records" / "2023"
    for path in [year / "status.yaml", year / "manifest.json",
                 *year.glob("*/objection-*.md"), *year.glob("*/answer-*.md"),
                 *year.glob("*/correction-*.md")]:
        path.unlink()
    shutil.copyfile(REPO / "CODEOWNERS", root / "CODEOWNERS")
    (root / ".gitignore").write_text("/_site*/\n/.qsgen-cache/\n", encoding="utf-8")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "龙港所 张三")
    _git(root, "config", "user.email", "zhangsan@example.invalid")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "示例数据")
    return root


def test_form_end_to_end(repo: Path, tmp_path: Path, chromium) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is absent: the CMS end-to-end test needs node to run decap-server")
    _need(DECAP_SERVER.is_file(), f"{DECAP_SERVER} is missing (npm ci --prefix tests/cms)")
    from qsgen.cms import admin
    from qsgen.cms.local import LocalCms
    from qsgen.cms.settings import CmsSettings
    from qsgen.rules import load_rules

    before = _total(repo, tmp_path / "site-before", "longgang")
    rules, _ = load_rules(repo)
    out = tmp_path / "admin"  # outside the repository: decap-server commits with `git add .`
    admin.write(repo, out, admin.generate(rules, CmsSettings(local_port=_free_port())))
    api_port = int(yaml.safe_load((out / "longgang" / "config.yml").read_text(encoding="utf-8"))
                   ["local_backend"]["url"].rsplit(":", 1)[1].split("/")[0])
    pdf = tmp_path / "处罚决定书.pdf"
    pdf.write_bytes(PDF)

    # One Playwright per session (tests/conftest.py): a second sync_playwright() in the same
    # process is refused while the first is open.
    with LocalCms(repo, out, api_port, command=[str(DECAP_SERVER)]) as local:
        page = chromium.new_context(locale="zh-CN", viewport={"width": 1200, "height": 860}).new_page()
        page.set_default_timeout(15000)
        page.on("dialog", lambda dialog: dialog.accept())  # "确定要发布吗？"
        page.goto(local.url)
        _shot(page, "cms-units.png")
        page.get_by_role("link", name="龙港所").click()
        page.get_by_role("button", name="登录").wait_for()
        _shot(page, "cms-login.png")
        page.get_by_role("button", name="登录").click()
        page.goto(local.url + "longgang/#/collections/longgang-case")
        page.get_by_text("沁水县龙港四季房地产营销中心发布含有升值承诺内容的房地产广告案").wait_for()
        _shot(page, "cms-collections.png")

        # ---- a case, first with values qsgen refuses
        page.goto(local.url + "longgang/#/collections/longgang-case/new")
        page.get_by_label("标题", exact=True).fill("沁水县龙港某超市销售超过保质期食品案")
        page.locator("input[type=date]").fill("2024-01-05")
        page.get_by_label("案号", exact=True).fill("沁市监罚〔2023〕901号")
        _select(page, "案件类别", "过期食品")
        _select(page, "程序", "一般程序")
        page.get_by_label("罚没款（元）", exact=True).fill("-5")
        page.locator("textarea[id^=body]").fill("2023年5月30日，执法人员在龙港镇检查时发现该超市销售超过保质期的食品。\n\n"
                                                "依据《中华人民共和国食品安全法》第一百二十四条，决定罚款 12000 元。")
        page.get_by_role("button", name="保存").click()
        page.get_by_text("提示：请填不小于 0 的数").wait_for()
        shown = _errors(page)
        _shot(page, "cms-errors.png")
        expected = _cli_errors(repo, "case-bad.md", "kind: case\ntitle: 案\ndate: 2024-01-05\n"
                               "case_no: 沁市监罚〔2023〕999号\ncategory: 过期食品\nprocedure: general\nfine: -5\n")
        assert len(expected) == 2, expected
        assert sorted(shown) == sorted(expected), (shown, expected)

        page.locator("input[type=date]").fill("2023-06-02")
        page.get_by_label("罚没款（元）", exact=True).fill("12000")
        # the decision as an attachment
        page.get_by_role("button", name="新增附件").click()
        page.get_by_role("button", name="选择文件").click()
        page.locator("input[type=file]").set_input_files(str(pdf))
        page.get_by_role("button", name="选用已选中项目").click()
        _shot(page, "cms-case.png", full=True)
        page.get_by_role("button", name="保存").click()
        page.get_by_text("状态: 草稿").wait_for()
        assert _git(repo, "branch", "--list", "cms/longgang-case/*").strip()
        # the draft opens again (with git's default core.quotepath, the Chinese attachment name
        # would come back quoted from `git diff` and the draft would fail to load: API_ERROR)
        page.reload()
        page.get_by_text("状态: 草稿").wait_for()
        assert page.get_by_label("案号", exact=True).input_value() == "沁市监罚〔2023〕901号"
        _shot(page, "cms-saved.png")
        _publish(page)

        # ---- a news item adopted by a national outlet
        # (a fresh page: Decap keeps the last entry's file name when it moves on by itself)
        page.goto(local.url + "longgang/#/collections/longgang-news/new")
        page.reload()
        page.get_by_label("标题", exact=True).fill("龙港所开展食品安全进校园宣传")
        page.locator("input[type=date]").fill("2023-06-03")
        _select(page, "级别", "县级")
        page.get_by_label("刊发媒体", exact=True).fill("沁水县融媒体中心")
        page.get_by_role("button", name="新增被采用").click()
        page.get_by_label("采用媒体", exact=True).fill("人民日报")
        _select(page, "级别", "国家级", last=True)
        page.get_by_role("button", name="保存").click()
        page.get_by_text("状态: 草稿").wait_for()
        _publish(page)
        page.context.close()

    assert _git(repo, "branch", "--show-current").strip() == "main"
    assert not _git(repo, "branch", "--list", "cms/*").strip()  # merged and deleted
    folder = repo / "records" / "2023" / "longgang"
    case = _front_matter(folder / "case-2023-06-02.md")
    assert case["kind"] == "case" and case["case_no"] == "沁市监罚〔2023〕901号"
    assert (case["category"], case["procedure"], case["fine"]) == ("过期食品", "general", 12000)
    assert len(case["attachments"]) == 1 and case["attachments"][0].startswith("attachments/")
    assert (folder / case["attachments"][0]).read_bytes() == PDF
    news = _front_matter(folder / "news-2023-06-03.md")
    assert (news["level"], news["outlet"]) == ("county", "沁水县融媒体中心")
    assert news["adopted_by"] == [{"outlet": "人民日报", "level": "national"}]

    from qsgen.cli.program import main

    assert main(["--root", str(repo), "check"]) == 0
    after = _total(repo, tmp_path / "site-after", "longgang")
    # A general-procedure case beyond 龙港所's quota: +0.3 (B6c); its fine of 12,000 yuan: +1;
    # a news item adopted by a national outlet: +0.5 (B5, which stays under its cap of 5).
    assert after - before == Fraction(18, 10), (before, after)

"""Personal data in records (records/privacy.py): ID, mobile and bank card numbers warned about
with their masked form; ordinary numbers of a case left alone; `qsgen check --privacy-errors`."""

from __future__ import annotations

import pytest
from fixtures.recordkit import REPO, case, copy_rules, load, run_cli, write

from qsgen.records import privacy
from qsgen.records.privacy import find, id_check_digit, is_id_number, luhn, mask


def with_check(first17: str) -> str:
    return first17 + id_check_digit(first17)


def with_luhn(head: str) -> str:
    """``head`` and the digit that makes it pass the Luhn check."""
    return head + next(d for d in "0123456789" if luhn(head + d))


VALID_ID = with_check("14052119800101123")  # 沁水县, born 1980-01-01
CARD = with_luhn("622202123456789012")     # 19 digits, UnionPay range


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.masked) for f in find(text)]


# ------------------------------------------------------------------ ID numbers


def test_gb11643_examples():
    assert id_check_digit("11010519491231002") == "X"  # the standard's own examples
    assert id_check_digit("44052418800101001") == "4"
    assert is_id_number("11010519491231002X") and is_id_number("11010519491231002x")
    assert is_id_number("440524188001010014")


@pytest.mark.parametrize("text", [
    f"当事人王某某（身份证号码{VALID_ID}）经营的超市",
    f"身份证号：{VALID_ID}。",
    f"{VALID_ID}",
    "公民身份号码11010519491231002X，",
    "公民身份号码11010519491231002x的当事人",
    f"身份证号{VALID_ID.translate(str.maketrans('0123456789', '０１２３４５６７８９'))}",  # full-width digits
])
def test_valid_id_numbers_found_in_chinese_text(text):
    (found,) = find(text)
    assert found.kind == "id" and found.masked[6:14] == "********" and len(found.masked) == 18
    assert text[found.start:found.end].replace("x", "X")[-4:].translate(
        str.maketrans("０１２３４５６７８９", "0123456789")) == found.masked[-4:]


def test_masked_form_is_the_first_six_and_last_four():
    assert kinds(f"身份证{VALID_ID}") == [("id", VALID_ID[:6] + "********" + VALID_ID[-4:])]
    assert mask("id", "11010519491231002x") == "110105********002X"


@pytest.mark.parametrize("number", [
    VALID_ID[:17] + str((int(VALID_ID[17]) + 1) % 10) if VALID_ID[17] != "X" else VALID_ID[:17] + "0",  # check digit off by one
    "140521198013011234",   # month 13
    "140521198002301234",   # 30 February
    "990521198001011234",   # no such province
    "14052119800101123",    # 17 digits
    "1405211980010112345",  # 19 digits
])
def test_invalid_id_numbers_are_not_ids(number):
    assert not is_id_number(number[:18]) or len(number) != 18
    assert [f for f in find(f"身份证号{number}。") if f.kind == "id"] == []


def test_id_inside_a_longer_number_or_code_is_not_one():
    assert find(f"9{VALID_ID}") == [] and find(f"{VALID_ID}5") == [] and find(f"JY{VALID_ID}") == []


# -------------------------------------------------------------- mobile numbers


@pytest.mark.parametrize("text,masked", [
    ("联系电话13812345678。", "138****5678"),
    ("手机：138-1234-5678", "138****5678"),
    ("手机 138 1234 5678，", "138****5678"),
    ("+86 13912345678", "139****5678"),
    ("+8613912345678", "139****5678"),
    ("当事人张某（电话19912345678）", "199****5678"),
    ("电话１５０１２３４５６７８", "150****5678"),
    ("电话：14712345678", "147****5678"),
])
def test_mobile_numbers_found(text, masked):
    assert kinds(text) == [("mobile", masked)]


# ---------------------------------------------------------------- bank cards


def test_bank_cards_found_with_luhn():
    grouped = " ".join(CARD[i:i + 4] for i in range(0, len(CARD), 4))
    assert kinds(f"缴款卡号{CARD}。") == [("card", CARD[:4] + "*" * 11 + CARD[-4:])]
    assert kinds(f"卡号：{grouped}") == [("card", CARD[:4] + "*" * 11 + CARD[-4:])]
    assert kinds("测试卡4111111111111111") == [("card", "4111********1111")]
    not_luhn = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    assert find(f"卡号{not_luhn}") == []


def test_credit_code_is_not_a_card():
    """A social organisation's unified social credit code (GB 32100, 53…) of digits only that
    happens to pass the Luhn check: a public number, not a card."""
    codes = (f"53140521{i:09d}{c}" for i in range(1000) for c in "0123456789")
    code = next(c for c in codes if privacy.is_credit_code(c) and luhn(c))
    assert not privacy.is_credit_code(code[:-1] + str((int(code[-1]) + 1) % 10))
    assert find(f"统一社会信用代码{code}") == []


# ------------------------------------------------ ordinary numbers left alone


@pytest.mark.parametrize("text", [
    "案号：沁市监罚〔2023〕068号，罚款12000元，没收违法所得1500.50元",   # case number, fines
    "罚没款合计 120000 元（12万元），2023年6月2日立案，2023-06-02",         # amounts, dates
    "日期20230602，编号2023060212",                                     # dates as digits
    "沁市监罚〔2023〕13912345678号",                                     # a phone-like case number
    "第13812345678号决定书",                                              # a phone-like serial
    "抽检编号13912345678，批号：13812345678，快递单号13712345678",          # numbers of things
    "举报电话12315，办公电话0356-7022315",                                # hotline, landline
    "注册号140521000012345，许可证编号JY11405210012345",                  # licence numbers
    "统一社会信用代码91140521MA0K2XYZ3B",                                 # a business's public code
    "14052123001号登记表",                                                # a region code, not a prefix
    "详见 https://www.toutiao.com/article/13812345678/ 与 www.example.cn/a/6222021234567890128",
    "货值金额 4111111111111112 元",                                      # 16 digits, not Luhn
    "12345678901234567890",                                              # 20 digits
])
def test_ordinary_numbers_do_not_trigger(text):
    assert find(text) == []


def test_serial_fields_are_left_alone():
    text = "---\nkind: case\ncase_no: 沁市监罚〔2023〕13812345678\ndocument: 晋市监发13912345678\n---\n"
    assert find(text) == []
    assert kinds(text + "电话13812345678\n") == [("mobile", "138****5678")]


# ------------------------------------------------------ in the records stage


@pytest.fixture
def repo(tmp_path):
    copy_rules(tmp_path)
    return tmp_path


BODY = f"当事人王某某（身份证号码{VALID_ID}，联系电话13812345678）经营的超市销售过期食品。\n"


def test_record_warned_at_its_places_and_still_counted(repo):
    write(repo, "longgang/case-1.md", case() + BODY)
    rs, diags = load(repo)
    assert [r.id for r in rs.records] == ["longgang/case-1"]  # a warning, not an error
    found = [(d.line, d.col, d.severity, d.code) for d in diags]
    text = (repo / "records/2023/longgang/case-1.md").read_text(encoding="utf-8")
    line = text.split("\n").index(BODY.rstrip("\n")) + 1
    col_id = BODY.index(VALID_ID) + 1
    col_phone = BODY.index("13812345678") + 1
    assert found == [(line, col_id, "warning", "privacy"), (line, col_phone, "warning", "privacy")]
    assert VALID_ID[:6] + "********" + VALID_ID[-4:] in diags[0].message + diags[0].hint
    assert "138****5678" in diags[1].hint and "13812345678" not in diags[1].message + diags[1].hint


def test_field_and_assessment_note_warned(repo):
    write(repo, "longgang/case-1.md", case().replace("title: 查处某超市销售过期食品案",
                                                     "title: 查处王某（13812345678）销售过期食品案"))
    write(repo, "longgang/assessment.yaml", "items:\n  s01-1: {score: 18, note: 联系人手机13912345678}\n")
    diags = load(repo)[1]
    assert [(d.path.rsplit("/", 1)[1], d.line, d.severity) for d in diags] == [
        ("assessment.yaml", 2, "warning"), ("case-1.md", 3, "warning")]


def test_record_with_errors_gets_its_warnings_too(repo):
    write(repo, "longgang/case-1.md", case(fine="1.2万") + BODY)
    severities = sorted(d.severity for d in load(repo)[1])
    assert severities == ["error", "warning", "warning"]


def test_check_warns_and_privacy_errors_fails(repo, capsys):
    write(repo, "longgang/case-1.md", case() + BODY)
    code, out, _ = run_cli(["--root", str(repo), "check"], capsys)
    assert code == 0 and out.count("警告：这里像是") == 2 and "140521********" in out
    code, out, err = run_cli(["--root", str(repo), "check", "--privacy-errors"], capsys)
    assert code == 1 and "警告：这里像是" not in out and out.count("这里像是") == 2
    assert "共 2 个错误" in err


def test_check_knows_the_code():
    from qsgen.cli.commands import check

    assert check.PRIVACY == privacy.CODE


def test_example_data_is_clean():
    """The repository's own records hold nothing that looks like personal data."""
    found = []
    for path in sorted((REPO / "records").rglob("*")):
        if path.suffix in (".md", ".yaml") and path.is_file():
            found += privacy.warnings(path.read_text(encoding="utf-8"), str(path))
    assert found == []

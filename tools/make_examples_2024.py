"""Make the example's second year, 2024, as a year in progress: rules/2024/ from rules/2023/ with a
few changes, and a small set of records dated January to July (records/2024/).

Run from the repository root:  python tools/make_examples_2024.py
The output is identical on every run; the generated files are committed. Every name, number
and case is invented (示例数据). records/2024/EXAMPLE says the example is a snapshot as of
2024-07-31, so the site shows 2024 as a year in progress whatever day it is built on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2024-07-31"


def _edit(path: Path, pairs: list[tuple[str, str]]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        if old not in text:
            raise SystemExit(f"{path}: not found: {old!r}")
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def rules() -> None:
    """rules/2024/: the 2023 rules with what the bureau changed for 2024 (fictitious)."""
    src, dst = ROOT / "rules" / "2023", ROOT / "rules" / "2024"
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    _edit(dst / "assessment.yaml", [
        ("# 来源：沁市监字〔2023〕138号《沁水县市场监督管理局2023年度工作目标考核办法》（2023年11月23日印发）。",
         "# 来源：沁市监字〔2024〕26号《沁水县市场监督管理局2024年度工作目标考核办法》（示例：虚构的2024年度办法，"
         "由2023年度办法修改而来）。"),
        ("# 新的一年复制本文件夹为 rules/2024/ 并按新办法修改，不需要改程序。",
         "# 由 rules/2023/ 复制后修改（见 tools/make_examples_2024.py），不需要改程序。"),
        ("year: 2023", "year: 2024"),
        ("title: 沁水县市场监督管理局2023年度工作目标考核", "title: 沁水县市场监督管理局2024年度工作目标考核"),
        ("document: 沁市监字〔2023〕138号", "document: 沁市监字〔2024〕26号"),
        ("start: 2023-01-01", "start: 2024-01-01"),
        ("end: 2023-12-31", "end: 2024-12-31"),
        ("考核期为2023年1月1日至2023年12月31日", "考核期为2024年1月1日至2024年12月31日"),
    ])
    _edit(dst / "stations.yaml", [
        ("# 来源：沁市监字〔2023〕138号考核办法附件“基层市场监督管理所2023年工作目标考核任务清单”。",
         "# 示例：2024年度沿用2023年度（沁市监字〔2023〕138号）的基层所任务清单。"),
    ])
    _edit(dst / "units.yaml", [
        ("# 来源：沁市监字〔2023〕138号《沁水县市场监督管理局2023年度工作目标考核办法》附件。",
         "# 示例：2024年度沿用2023年度（沁市监字〔2023〕138号）的机关股室任务清单，个别分值和单位有改动。"),
        # 办公室: more weight on the random tasks, less on t05 (still 100 in all)
        ("        points: 20\n        text: 做好无烟单位", "        points: 15\n        text: 做好无烟单位"),
        ("        points: 5\n        text: 完成县局交办的随机任务。\n  - slug: renshi",
         "        points: 10\n        text: 完成县局交办的随机任务。\n  - slug: renshi"),
        # 投诉举报中心 renamed when the 12345 hotline desk joined it: a new slug that continues the old one
        ("  - slug: tousu\n    name: 投诉举报中心\n",
         "  - slug: rexian\n    name: 投诉举报和热线中心\n    previous: [tousu]     # 2024 年由投诉举报中心改名，接续其 2023 年度\n"),
    ])
    _edit(dst / "adjustments.yaml", [
        ("    cap: 5\n", "    cap: 6\n"),  # B5: information bonus capped at 6 from 2024
    ])


NEWS = [
    ("bangongshi", "news-2024-0118-shi.md", "2024-01-18", "city", "晋城市市场监督管理局网站",
     "沁水县市场监管局召开2024年全县市场监管工作会议"),
    ("bangongshi", "news-2024-0306-sheng.md", "2024-03-06", "provincial", "山西省市场监督管理局网站",
     "沁水县“三个一”工作法推进个体工商户分型分类精准帮扶"),
    ("longgang", "news-2024-0215-xian.md", "2024-02-15", "county", "沁水县融媒体中心",
     "龙港所开展元宵节前食品安全检查"),
    ("longgang", "news-2024-0520-shi.md", "2024-05-20", "city", "晋城日报",
     "龙港所“点对点”服务助力乡村小店规范经营"),
    ("zhongcun", "news-2024-0410-xian.md", "2024-04-10", "county", "沁水县融媒体中心",
     "中村所开展校园周边食品安全专项检查"),
    ("xuanchuan", "news-2024-0315-guo.md", "2024-03-15", "national", "中国市场监管报",
     "沁水县“3·15”消费维权宣传走进乡村"),
]
CASES = [
    ("longgang", "case-2024-003.md", "2024-03-12", "沁市监罚〔2024〕003号", "过期食品", "general", "3000",
     "沁水县龙港镇某便利店销售超过保质期食品案"),
    ("longgang", "case-2024-011.md", "2024-05-08", "沁市监罚〔2024〕011号", "知识产权", "general", "12000",
     "沁水县龙港镇某五金店销售侵犯注册商标专用权商品案"),
    ("duanshi", "case-2024-007.md", "2024-04-02", "沁市监罚〔2024〕007号", "广告", "simple", "500",
     "沁水县端氏镇某药店发布违法广告案"),
    ("zhifadui", "case-2024-002.md", "2024-02-26", "沁市监罚〔2024〕002号", "价格", "general", "8000",
     "沁水县某加油站未明码标价案"),
]


def _write(path: Path, front: list[tuple[str, str]], body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---", *(f"{k}: {v}" for k, v in front), "---", "", body.strip(), ""]
    path.write_text("\n".join(lines), encoding="utf-8", newline="\n")


def records() -> None:
    """records/2024/: a few records from the first seven months, no assessment yet."""
    folder = ROOT / "records" / "2024"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "EXAMPLE").write_text(
        "本目录下的记录均为示例数据，单位、企业、人员、案号和金额均为虚构，仅用于演示。\n"
        "示例是 2024 年度进行中的样子：网站按下面的日期生成，2024 年度显示为“年度进行中”。\n"
        f"as_of: {AS_OF}\n", encoding="utf-8")
    for unit, name, date, level, outlet, title in NEWS:
        _write(folder / unit / name, [("kind", "news"), ("title", title), ("date", date), ("level", level),
                                      ("outlet", outlet)],
               f"{date[5:7].lstrip('0')}月{date[8:].lstrip('0')}日，{title}。（示例数据）")
    for unit, name, date, case_no, category, procedure, fine, title in CASES:
        front = [("kind", "case"), ("title", title), ("date", date), ("case_no", case_no),
                 ("category", category), ("procedure", procedure), ("fine", fine)]
        if unit == "zhifadui":
            front.append(("team", "一中队"))
        _write(folder / unit / name, front, f"{title}，已依法作出行政处罚决定。（示例数据）")
    _write(folder / "jiafeng" / "case-lead-2024-0611.md",
           [("kind", "case-lead"), ("title", "嘉峰镇某超市涉嫌销售“三无”产品线索"), ("date", "2024-06-11"),
            ("handed_to", "综合行政执法队")], "日常检查中发现，已移交综合行政执法队。（示例数据）")
    _write(folder / "renshi" / "commendation-2024-b1-shi.md",
           [("kind", "commendation"), ("title", "被评为全市市场监管系统人才工作先进集体"), ("date", "2024-04-28"),
            ("category", "B1"), ("level", "city"), ("issuer", "晋城市市场监督管理局"),
            ("document", "晋市监发〔2024〕31号")], "获市局通报表扬。（示例数据）")
    _write(folder / "rexian" / "evidence-t01-0630.md",
           [("kind", "evidence"), ("title", "上半年12315投诉举报登记台账"), ("date", "2024-06-30"), ("task", "t01")],
           "上半年登记投诉举报 312 件，按时办结率 98%。（示例数据）")


if __name__ == "__main__":
    rules()
    records()

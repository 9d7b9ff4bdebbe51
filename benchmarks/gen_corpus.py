"""Deterministic benchmark corpus: a full repository copy with N realistic Chinese records.

    python benchmarks/gen_corpus.py --records 10000 --out /tmp/corpus-10k [--git] [--seed 2023]

The output directory gets ``rules/`` copied from this repository (no ``site_templates/``: the
site is rendered with qsgen's own templates), ``records/2023/<unit>/<kind>-....md`` for every record kind of DESIGN.md §3 spread over
the 21 units, and one ``assessment.yaml`` per unit judging every assessed item. Task item ids,
points and progress types are read from ``rules/2023/`` so the corpus follows the rules as they
change. The same ``--records`` and ``--seed`` always give byte-identical files. With ``--git`` the
records are committed month by month under the units' authors, so git provenance is exercised.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
YEAR = 2023
MARKER = ".qsgen-corpus"

STATIONS = ["longgang", "duanshi", "jiafeng", "zhongcun", "zhengzhuang", "guxian"]
TOWNS = ["龙港镇", "端氏镇", "嘉峰镇", "中村镇", "郑庄镇", "固县乡", "土沃乡", "张村乡", "苏庄乡",
         "胡底乡", "柿庄镇", "十里乡", "郑村镇", "樊村河乡"]
VILLAGES = ["杏园村", "河北村", "坪上村", "尉迟村", "南阳村", "西城村", "东关村", "玉溪村", "下川村",
            "上峪村", "梁山村", "窦庄村", "武安村", "湘峪村", "沟口村"]
SHOP_NAMES = ["鑫源", "恒通", "福满堂", "聚丰", "佳和", "康乐", "永兴", "瑞丰", "家家乐", "华联", "宏达",
              "金太阳", "百姓", "惠民", "同仁", "天一", "正大", "兴旺", "德润", "润泽"]
SHOP_TYPES = ["超市", "便利店", "饭店", "餐馆", "药店", "大药房", "诊所", "副食店", "蔬菜店", "烟酒店",
              "加油站", "五金店", "建材店", "化妆品店", "母婴店", "烧烤店", "面馆", "农资店", "宾馆",
              "肉食店"]
PEOPLE = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "郭", "贾", "卫", "常", "秦"]
GIVEN = ["建国", "海燕", "志强", "晓东", "丽娟", "文斌", "红梅", "俊杰", "雪梅", "鹏飞", "静", "磊",
         "敏", "伟", "芳", "强", "娜", "军", "婷", "斌"]

OUTLETS = {
    "national": ["中国市场监管报", "中国质量报", "中国消费者报", "人民网", "新华网", "中国食品安全报"],
    "provincial": ["山西日报", "山西市场监管", "山西新闻网", "黄河新闻网", "山西经济日报"],
    "city": ["晋城日报", "太行日报", "晋城市场监管", "晋城新闻网", "晋城广播电视台"],
    "county": ["沁水新闻", "沁水县融媒体中心", "今日沁水", "沁水县人民政府网", "沁水市场监管"],
}
LEVEL_ZH = {"national": "国家级", "provincial": "省级", "city": "市级", "county": "县级"}
ISSUERS = {
    "national": ["国家市场监督管理总局", "国家知识产权局"],
    "provincial": ["山西省市场监督管理局", "山西省人民政府", "山西省食品安全委员会办公室"],
    "city": ["晋城市市场监督管理局", "晋城市人民政府", "晋城市食品安全委员会办公室"],
    "county": ["沁水县人民政府", "中共沁水县委", "沁水县食品安全委员会办公室"],
}
CASE_TOPICS = {
    "知识产权": ["销售侵犯注册商标专用权的白酒", "销售假冒专利标识的电器", "销售侵权运动鞋"],
    "广告": ["发布虚假违法医疗广告", "在店招中使用绝对化用语", "发布未经审查的保健食品广告"],
    "合同": ["利用格式条款免除自身责任", "商品房销售合同格式条款侵害消费者权益"],
    "网络": ["网店未公示营业执照信息", "网络销售过期食品", "直播带货虚假宣传"],
    "餐饮": ["餐饮服务未按规定清洗消毒餐具", "使用超过保质期的食品原料", "从业人员未取得健康证明"],
    "特种设备": ["使用未经定期检验的电梯", "使用未办理使用登记的压力容器", "叉车司机无证作业"],
    "过期食品": ["销售超过保质期的饮料", "销售超过保质期的保健食品", "经营标注虚假生产日期的食品"],
    "药品": ["销售过期药品", "未凭处方销售处方药", "从非法渠道购进药品"],
    "医疗器械": ["经营未取得注册证的医疗器械", "未按规定建立进货查验记录", "销售过期的一次性使用无菌注射器"],
    "化妆品": ["经营标签不符合规定的化妆品", "销售过期化妆品", "未履行进货查验义务"],
    "无照经营": ["未取得营业执照从事食品销售", "未取得营业执照从事餐饮服务", "无照从事废旧物资回收"],
    "价格": ["不明码标价", "在标价之外加价收取未予标明的费用", "利用虚假的价格手段诱骗交易"],
    "其他": ["计量器具未经检定", "销售不合格成品油", "未按规定公示年度报告"],
}
QUOTA_CATEGORIES = ["知识产权", "广告", "合同", "网络", "餐饮", "特种设备", "过期食品", "药品", "医疗器械",
                    "化妆品"]
# Relative frequency of each kind in a realistic year (evidence and news dominate).
KIND_WEIGHTS = [
    ("evidence", 520), ("news", 220), ("case", 140), ("case-lead", 60), ("commendation", 20),
    ("discretionary", 5), ("criticism", 5), ("media-exposure", 4), ("accountability", 4),
    ("enforcement-error", 6), ("attendance", 3), ("absence", 4), ("misconduct", 3),
    ("exam-rules", 3),
]


@dataclass
class UnitInfo:
    slug: str
    name: str
    items: list[dict]  # {id, points, method, progress, text}
    is_station: bool
    teams: list[str] = field(default_factory=list)


def load_units(rules_dir: Path) -> list[UnitInfo]:
    """The 21 units and their task items, read from rules/<year>/ (plain PyYAML is enough here)."""
    units_doc = yaml.load((rules_dir / "units.yaml").read_text("utf-8"), Loader=yaml.BaseLoader)
    st_doc = yaml.load((rules_dir / "stations.yaml").read_text("utf-8"), Loader=yaml.BaseLoader)
    out: list[UnitInfo] = []
    for u in units_doc["units"]:
        out.append(UnitInfo(u["slug"], u["name"], [_item(i) for i in u["items"]], False,
                            list(u.get("teams", []))))
    st_items = [_item(i) for s in st_doc["sections"] for i in s["items"]]
    for s in st_doc["stations"]:
        out.append(UnitInfo(s["slug"], s["name"], st_items, True))
    return out


def _item(i: dict) -> dict:
    return {"id": i["id"], "points": Decimal(i["points"]), "method": i.get("method", "assessed"),
            "progress": i.get("progress") or {}, "text": i.get("text", "")}


# ------------------------------------------------------------------ text pieces


def yq(text: str) -> str:
    """A YAML scalar for ``text``: plain when safe, double-quoted otherwise."""
    if any(c in text for c in ':#"\'{}[],&*!|>%@`') or text != text.strip() or not text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.case_seq = 0

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def date(self) -> dt.date:
        return dt.date(YEAR, 1, 2) + dt.timedelta(days=self.r.randrange(362))

    def person(self) -> str:
        return self.pick(PEOPLE) + self.pick(GIVEN)

    def shop(self) -> str:
        return f"沁水县{self.pick(TOWNS)}{self.pick(SHOP_NAMES)}{self.pick(SHOP_TYPES)}"

    def place(self) -> str:
        return self.pick(TOWNS) + self.pick(VILLAGES)

    def body(self, unit: UnitInfo, lead: str, facts: list[str]) -> str:
        """A Markdown narrative of 3-6 paragraphs, sometimes with a list or a table."""
        r = self.r
        paras = [lead]
        paras.append(
            f"{unit.name}高度重视，由{self.person()}同志牵头，会同{self.pick(TOWNS)}等地相关人员组成工作组，"
            f"制定了工作方案，明确了责任分工和时间节点。工作中坚持问题导向，对发现的问题建立台账、"
            f"逐项整改，做到发现一处、整改一处、销号一处。")
        if facts:
            paras.append("主要情况如下：\n\n" + "\n".join(f"- {f}" for f in facts))
        if r.random() < 0.3:
            rows = "\n".join(
                f"| {self.place()} | {r.randint(3, 60)} | {r.randint(0, 9)} | {self.pick(['已整改', '整改中', '已立案'])} |"
                for _ in range(r.randint(2, 5)))
            paras.append("| 地点 | 检查户数 | 发现问题 | 处理情况 |\n| --- | ---: | ---: | --- |\n" + rows)
        if r.random() < 0.5:
            paras.append(
                f"下一步，将继续**压实主体责任**，加大日常监督检查频次，对{self.pick(SHOP_TYPES)}等重点业态"
                f"开展“回头看”，巩固工作成效，切实保障人民群众的合法权益。")
        if r.random() < 0.2:
            paras.append(f"> 备注：相关台账、照片已存档备查，经办人 {self.person()}。")
        return "\n\n".join(paras) + "\n"


# ------------------------------------------------------------------ records


def pick_unit(g: Gen, units: list[UnitInfo], kind: str) -> UnitInfo:
    by = {u.slug: u for u in units}
    if kind == "case":  # most cases are handled by the 所 and the enforcement team
        x = g.r.random()
        if x < 0.62:
            return by[g.pick(STATIONS)]
        if x < 0.88:
            return by["zhifadui"]
        return g.pick([u for u in units if not u.is_station and u.slug != "zhifadui"])
    if g.r.random() < 0.5:  # the 所 produce half of all records
        return by[g.pick(STATIONS)]
    return g.pick(units)


def front(fields: list[tuple[str, str]]) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in fields) + "---\n\n"


def make_record(g: Gen, unit: UnitInfo, kind: str, seq: int) -> tuple[str, str, dt.date, bool]:
    """(file name, file text, date, wants attachment) of one record."""
    r = g.r
    d = g.date()
    f: list[tuple[str, str]] = [("kind", kind)]
    facts: list[str] = []
    extra: list[tuple[str, str]] = []
    if kind == "evidence":
        assessed = [i for i in unit.items if i["method"] != "quota"]
        item = g.pick(assessed)
        short = item["text"].split("。")[0].split("，")[0][:24] or "日常工作"
        title = f"{short}（{d.month}月）"
        extra.append(("task", item["id"]))
        prog = item["progress"]
        if prog.get("type") == "count":
            n = r.randint(1, 6)
            extra.append(("count", str(n)))
            facts.append(f"本次完成 {n} {prog.get('unit') or '次'}")
        elif prog.get("type") == "rate":
            target = Decimal(prog.get("target", "100"))
            rate = min(Decimal(100), target + Decimal(r.randint(-20, 30)) / 10)
            extra.append(("rate", str(rate)))
            facts.append(f"截至{d.month}月底完成率 {rate}%")
        lead = f"{d.month}月{d.day}日，{unit.name}围绕“{short}”开展工作。{item['text'][:80]}"
        facts += [f"检查{g.shop()}等经营主体 {r.randint(3, 40)} 户", f"发现问题 {r.randint(0, 8)} 处，已督促整改"]
    elif kind == "news":
        level = g.pick(["national"] * 1 + ["provincial"] * 4 + ["city"] * 6 + ["county"] * 9)
        outlet = g.pick(OUTLETS[level])
        topic = g.pick(["守护“舌尖上的安全”", "优化营商环境", "开展知识产权宣传周活动", "护航中高考食品安全",
                        "开展特种设备安全大检查", "召开食品安全工作会", "助力乡村振兴", "开展“3·15”宣传"])
        title = f"沁水县市场监管局{unit.name.split('（')[0]}{topic}"
        extra += [("level", g.pick([level, LEVEL_ZH[level]])), ("outlet", yq(outlet))]
        if r.random() < 0.4:
            extra.append(("url", yq(f"https://news.example.cn/{YEAR}/{d:%m%d}/{seq:06d}.html")))
        if level != "national" and r.random() < 0.15:
            up = "national" if level == "provincial" or r.random() < 0.2 else "provincial"
            extra.append(("adopted_by", f"\n  - outlet: {yq(g.pick(OUTLETS[up]))}\n    level: {up}"))
        lead = f"{d.month}月{d.day}日，{outlet}刊发了反映我局{unit.name.split('（')[0]}{topic}的报道。"
        facts.append(f"报道字数约 {r.randint(6, 30) * 100} 字，配图 {r.randint(0, 6)} 张")
    elif kind == "case":
        g.case_seq += 1
        category = g.pick(QUOTA_CATEGORIES) if r.random() < 0.75 else g.pick(["无照经营", "价格", "其他"])
        topic = g.pick(CASE_TOPICS[category])
        shop = g.shop()
        title = f"{shop}{topic}案"
        general = r.random() < 0.7
        fine = 0
        if general:
            fine = g.pick([0, 500, 2000, 3000, 5000, 8000, 10000, 12000, 20000, 50000, 68000, 100000,
                           150000]) if r.random() < 0.9 else 0
        else:
            fine = g.pick([0, 100, 200, 500])
        abbrev = {"zhifadui": "执法"}.get(unit.slug, unit.name[:2])
        extra += [("case_no", yq(f"沁市监（{abbrev}）罚〔{YEAR}〕{g.case_seq}号")),
                  ("category", category), ("procedure", g.pick(["general", "一般程序"]) if general
                                            else g.pick(["simple", "简易"])),
                  ("fine", str(fine))]
        if unit.teams:
            extra.append(("team", g.pick(unit.teams)))
        if general and r.random() < 0.02:
            extra.append(("transferred", "true"))
            if r.random() < 0.3:
                extra.append(("sampling_assigned", "true"))
        lead = (f"{d.month}月{d.day}日，执法人员在日常检查中发现{shop}涉嫌{topic}。经立案调查，"
                f"当事人的行为违反了相关法律法规的规定。")
        facts += [f"当事人：{shop}，负责人{g.person()}", f"处罚决定：罚没款 {fine} 元" if fine else "处罚决定：警告",
                  f"办案人员：{g.person()}、{g.person()}"]
    elif kind == "case-lead":
        title = f"关于{g.shop()}涉嫌{g.pick(g.pick(list(CASE_TOPICS.values())))}的线索"
        if r.random() < 0.6:
            extra.append(("handed_to", g.pick(["综合行政执法队"] + [n + "市场监督管理所" for n in
                                                                   ("龙港", "端氏", "嘉峰", "中村", "郑庄", "固县")])))
        lead = f"{unit.name}在工作中发现案件线索一条，已按程序登记并移交办理。"
    elif kind == "commendation":
        level = g.pick(["provincial", "city", "city", "county", "county", "county", "national"])
        cat = g.pick(["B1", "B1", "B2", "B3", "B4"])
        what = {"B1": "工作成绩突出", "B2": "经验交流", "B3": "大型活动保障", "B4": "专项执法行动"}[cat]
        issuer = g.pick(ISSUERS[level])
        title = f"{issuer}通报表扬{unit.name.split('（')[0]}{what}"
        extra += [("category", cat), ("level", g.pick([level, LEVEL_ZH[level]])), ("issuer", issuer)]
        if r.random() < 0.7:
            extra.append(("document", f"{issuer[:2]}发〔{YEAR}〕{r.randint(1, 180)}号"))
        if r.random() < 0.1:
            extra.append(("quota_allocated", "true"))
        lead = f"{d.month}月，{issuer}发文，对{unit.name}在{what}中的表现给予表扬。"
    elif kind == "discretionary":
        title = f"局班子会议决定对{unit.name.split('（')[0]}给予加分"
        extra += [("points", str(r.randint(1, 5))), ("meeting", f"局班子会议纪要〔{YEAR}〕{r.randint(1, 40)}号")]
        lead = f"经局班子会议研究，{unit.name}在重点工作中表现突出，决定给予加分。"
    elif kind in ("criticism", "media-exposure"):
        level = g.pick(["county", "county", "city", "provincial"])
        issuer = g.pick(ISSUERS[level]) if kind == "criticism" else g.pick(OUTLETS[level])
        title = (f"{issuer}通报批评{unit.name.split('（')[0]}" if kind == "criticism"
                 else f"{issuer}曝光{unit.name.split('（')[0]}辖区问题")
        extra += [("level", level), ("issuer", yq(issuer))]
        lead = f"{d.month}月{d.day}日，{issuer}就{unit.name}履职不到位问题予以{'通报' if kind == 'criticism' else '曝光'}。"
    elif kind == "accountability":
        title = f"{unit.name.split('（')[0]}工作人员失职被追责"
        extra.append(("persons", str(r.randint(1, 2))))
        lead = "经调查核实，相关工作人员在履职中存在失职行为，已依规追责。"
    elif kind == "enforcement-error":
        title = f"{g.shop()}案执法不规范"
        extra.append(("found_by", g.pick(["review", "litigation", "supervision", "执法监督检查", "行政复议"])))
        lead = "在案卷评查中发现该案存在程序瑕疵，已责令整改。"
    elif kind == "attendance":
        title = f"{unit.name.split('（')[0]}签到及请销假制度落实不到位"
        lead = f"{d.month}月抽查发现，{unit.name}存在未按规定签到、请销假的情况。"
    elif kind == "absence":
        title = f"{unit.name.split('（')[0]}无故缺席全局集体活动"
        lead = f"{d.month}月{d.day}日全局集体活动，{unit.name}无故缺席。"
    elif kind in ("misconduct", "exam-rules"):
        title = (f"{unit.name.split('（')[0]}人员不良行为造成不良影响" if kind == "misconduct"
                 else f"{unit.name.split('（')[0]}干部考学制度落实不到位")
        extra.append(("points", str(r.randint(5, 8))))
        lead = "经核实，情况属实，按考核办法扣分。"
    else:  # pragma: no cover
        raise ValueError(kind)
    f += [("title", yq(title)), ("date", d.isoformat())]
    if r.random() < 0.05:
        f.append(("unit", unit.slug))
    f += extra
    name = f"{kind}-{d:%m%d}-{seq:06d}.md"
    text = front(f) + g.body(unit, lead, facts)
    return name, text, d, r.random() < 0.04


def assessment(g: Gen, unit: UnitInfo) -> str:
    lines = [f"# {unit.name} {YEAR}年度任务项评分（考核领导小组办公室）",
             "assessor: 考核领导小组办公室", f"date: {YEAR}-12-29", "items:"]
    for it in unit.items:
        if it["method"] == "quota":
            continue
        pts = it["points"]
        frac = Decimal(g.r.randint(80, 100)) / 100
        score = (pts * frac).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        note = "" if score == pts else f"  # 扣{pts - score}分"
        if g.r.random() < 0.25 and score != pts:
            lines.append(f"  {it['id']}: {{score: {score}, note: 佐证材料不够完整}}")
        else:
            lines.append(f"  {it['id']}: {{score: {score}}}{note}")
    return "\n".join(lines) + "\n"


def generate(n: int, out: Path, seed: int = YEAR, git: bool = False) -> int:
    """Write the corpus; returns the number of record files written."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise SystemExit(f"{out} 不是空目录，也不是本脚本生成的语料，拒绝覆盖")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(f"records={n} seed={seed}\n", "utf-8")
    # the corpus is one year: that year's rules (and rules/owners.yaml), not every year's
    shutil.copytree(REPO / "rules" / str(YEAR), out / "rules" / str(YEAR))
    for name in ("owners.yaml", "allowed_signers"):
        if (REPO / "rules" / name).is_file():
            shutil.copy(REPO / "rules" / name, out / "rules" / name)
    (out / ".gitignore").write_text("/_site/\n/.qsgen-cache/\n", "utf-8")
    units = load_units(REPO / "rules" / str(YEAR))
    g = Gen(seed)
    kinds = [k for k, _ in KIND_WEIGHTS]
    weights = [w for _, w in KIND_WEIGHTS]
    base = out / "records" / str(YEAR)
    by_month: dict[int, list[Path]] = {}
    for u in units:
        (base / u.slug).mkdir(parents=True, exist_ok=True)
        (base / u.slug / "assessment.yaml").write_text(assessment(g, u), "utf-8")
    for seq in range(n):
        kind = kinds[seq] if seq < len(kinds) else g.r.choices(kinds, weights)[0]
        unit = pick_unit(g, units, kind)
        name, text, d, attach = make_record(g, unit, kind, seq)
        folder = base / unit.slug
        if attach:
            att = f"附件/{name[:-3]}.pdf"
            (folder / "附件").mkdir(exist_ok=True)
            (folder / att).write_bytes(b"%PDF-1.4\n% qsgen benchmark placeholder\n%%EOF\n")
            text = text.replace("\n---\n\n", f"\nattachments: [{att}]\n---\n\n", 1)
        path = folder / name
        path.write_text(text, "utf-8")
        by_month.setdefault(d.month, []).append(path)
    if git:
        _git_commit(out, units, by_month)
    return n


def ensure(n: int, out: Path, git: bool = True) -> Path:
    """``out`` holding the corpus of ``n`` records (default seed), generated unless it is there."""
    marker = out / MARKER
    if not (out / "records").is_dir() or not marker.is_file() or \
            marker.read_text("utf-8").split()[0] != f"records={n}":
        generate(n, out, git=git)
    return out


def _git_commit(out: Path, units: list[UnitInfo], by_month: dict[int, list[Path]]) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str, **kw: str) -> None:
        subprocess.run(["git", "-C", str(out), *args], check=True, env={**env, **kw},
                       stdout=subprocess.DEVNULL)

    git("init", "-q", "-b", "main")
    git("add", "rules", ".gitignore", MARKER)
    stamp = f"{YEAR}-01-01T09:00:00+08:00"
    who = {"GIT_AUTHOR_NAME": "考核办", "GIT_AUTHOR_EMAIL": "kaohe@example.cn", "GIT_COMMITTER_NAME": "考核办",
           "GIT_COMMITTER_EMAIL": "kaohe@example.cn", "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    git("commit", "-q", "-m", "2023年度考核规则", **who)
    names = {u.slug: u.name.split("（")[0] for u in units}
    for month in sorted(by_month):
        stamp = f"{YEAR}-{month:02d}-28T17:00:00+08:00"
        paths = by_month[month]
        groups: dict[str, list[Path]] = {}
        for p in paths:
            groups.setdefault(p.parent.name, []).append(p)
        for slug in sorted(groups):
            rel = [str(p.relative_to(out)) for p in groups[slug]]
            att = out / "records" / str(YEAR) / slug / "附件"
            if att.exists():
                rel.append(str(att.relative_to(out)))
            subprocess.run(["git", "-C", str(out), "add", "--", *rel], check=True, env=env)
            who = {"GIT_AUTHOR_NAME": names[slug], "GIT_AUTHOR_EMAIL": f"{slug}@example.cn",
                   "GIT_COMMITTER_NAME": names[slug], "GIT_COMMITTER_EMAIL": f"{slug}@example.cn",
                   "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
            git("commit", "-q", "-m", f"{names[slug]}：{month}月佐证材料", **who)
    subprocess.run(["git", "-C", str(out), "add", "-A"], check=True, env=env)
    git("commit", "-q", "-m", "年终评分", "--allow-empty", **who)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="生成基准测试用的考核记录语料（可重复生成，结果逐字节相同）")
    p.add_argument("--records", type=int, required=True, help="记录条数")
    p.add_argument("--out", required=True, help="输出目录（一个完整的仓库副本）")
    p.add_argument("--seed", type=int, default=YEAR, help="随机种子（默认 2023）")
    p.add_argument("--git", action="store_true", help="按月提交到 git，用于测试 git 来源信息")
    args = p.parse_args(argv)
    n = generate(args.records, Path(args.out), args.seed, args.git)
    print(f"已生成 {n} 条记录：{args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""rules/owners.yaml: each department's forge team (CODEOWNERS) and the people entitled to approve."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from qsgen.core import lazyre, yamlsafe
from qsgen.core.errors import Diagnostic, Diagnostics
from qsgen.core.hints import nearest
from qsgen.core.yamlsafe import Node
from qsgen.repo.files import Refused, read_file

OWNERS_PATH = "rules/owners.yaml"
PLATFORMS = ("github", "gitlab", "gitea")
# cms: the web form's settings, read by qsgen/cms/settings.py (`qsgen cms`)
KNOWN_KEYS = ("platform", "teams", "assessment_office", "rules_owner", "code_owner", "approvers",
              "show_names", "show_authors", "cms")
PERSON_KEYS = ("id", "name", "key", "emails", "since", "until")
# SSH public key types ssh-keygen -Y can sign with (the type names of `ssh-keygen -Q key-sig`).
KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "ssh-rsa", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
# A person's id is the principal in allowed_signers: no spaces, commas, quotes or wildcards.
PERSON_ID = lazyre.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
EMAIL = lazyre.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class PublicKey:
    """One SSH public key as written in owners.yaml (its comment dropped)."""

    type: str
    blob: str  # the base64 part

    @property
    def text(self) -> str:
        return f"{self.type} {self.blob}"

    @property
    def fingerprint(self) -> str:
        """SHA256:… as ssh-keygen -l and git's %GF print it."""
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Membership:
    """A person entitled to approve for a department, from ``since`` until ``until`` (inclusive,
    compared with the date of the signature; None: open)."""

    department: str
    since: _dt.date | None = None
    until: _dt.date | None = None
    line: int = 1

    def covers(self, day: _dt.date | None) -> bool:
        if day is None:
            return self.since is None and self.until is None
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)


@dataclass
class Person:
    """One approver: ``id`` is the principal in allowed_signers, ``name`` what the site shows."""

    id: str
    name: str
    keys: list[PublicKey] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # lower case; never published
    memberships: list[Membership] = field(default_factory=list)
    line: int = 1

    def departments_on(self, day: _dt.date | None) -> list[str]:
        return [m.department for m in self.memberships if m.covers(day)]


@dataclass
class OwnersConfig:
    """rules/owners.yaml: which platform team reviews for each department, and who approves."""

    platform: str = "github"
    teams: dict[str, list[str]] = field(default_factory=dict)  # department id -> handles
    lines: dict[str, int] = field(default_factory=dict)  # department id -> line in owners.yaml
    assessment_office: str = "office"
    rules_owner: str = "leadership"
    code_owner: str = ""  # program, templates, CI files; "" = the rules owner
    has_teams: bool = False  # a teams: section was written
    people: dict[str, Person] = field(default_factory=dict)  # person id -> person, file order
    approver_lines: dict[str, int] = field(default_factory=dict)  # department id -> line
    show_names: bool = True  # False: the site names only the department of an approver
    show_authors: bool = True  # False: the site names the unit, not the git author, of a file's last change

    @property
    def approvals(self) -> bool:
        """People with keys are configured: approvals are verified and shown."""
        return any(p.keys for p in self.people.values())


# ------------------------------------------------------------------ loading


def shows_authors(root: str | Path) -> bool:
    """rules/owners.yaml's show_authors: true when the file or the setting is missing, or the
    file has errors (`qsgen check` reports those). Without the YAML parser when no line of the
    file can set it: every line naming show_authors starts (after blanks) with ``#``, a comment
    or text inside a multi-line value, never a key (a key is written on one line, and only a
    backslash escape in double quotes could spell it otherwise); a build's front matter is
    mostly read without PyYAML (core/yamlsafe.py), so this spares it importing PyYAML."""
    path = Path(root) / OWNERS_PATH
    if not os.path.lexists(path):
        return True
    try:
        text = read_file(path, within=root).decode("utf-8-sig")
    except (Refused, UnicodeDecodeError):
        return True
    if "\\" not in text and all(line.lstrip(" \t").startswith("#")
                                for line in text.splitlines() if "show_authors" in line):
        return True
    cfg, _diags = load_owners(root)
    return True if cfg is None else cfg.show_authors


def load_owners(root: str | Path) -> tuple[OwnersConfig | None, list[Diagnostic]]:
    """Read rules/owners.yaml; None when the file does not exist."""
    path = Path(root) / OWNERS_PATH
    if not os.path.lexists(path):
        return None, []
    diags = Diagnostics()
    try:
        text = read_file(path, within=root).decode("utf-8-sig")
    except Refused as e:
        diags.error(OWNERS_PATH, 1, 1, f"文件{e.reason}", "rules/owners.yaml 必须是仓库里的普通文本文件")
        return None, diags.sorted()
    except UnicodeDecodeError:
        diags.error(OWNERS_PATH, 1, 1, "文件不是 UTF-8 编码", "请用 UTF-8 编码保存")
        return None, diags.sorted()
    node, ydiags = yamlsafe.load(text, OWNERS_PATH)
    diags.extend(ydiags)
    if node is None:
        return None, diags.sorted()
    cfg = OwnersConfig()
    if not node.is_map:
        diags.error(OWNERS_PATH, node.line, node.col, "文件内容应是“键: 值”的形式",
                    "参照示例：teams: {fagui: \"@组织/fagui\"}")
        return None, diags.sorted()
    for key, value in node.value.items():
        if key not in KNOWN_KEYS:
            close = nearest(key, sorted(KNOWN_KEYS))
            diags.error(OWNERS_PATH, value.key_line, 1, f"不认识的设置项：{key}",
                        f"是不是 {close}？" if close else "可用的设置项：" + "、".join(sorted(KNOWN_KEYS)))
    if "platform" in node.value:
        p = node.value["platform"]
        if not p.is_scalar or p.value.strip().lower() not in PLATFORMS:
            diags.error(OWNERS_PATH, p.line, p.col, f"platform 只能是 {' / '.join(PLATFORMS)}",
                        "GitHub 写 github，GitLab 写 gitlab，Gitea 写 gitea")
        else:
            cfg.platform = p.value.strip().lower()
    for key in ("assessment_office", "rules_owner", "code_owner"):
        if key in node.value:
            v = node.value[key]
            if not v.is_scalar or not v.value.strip():
                diags.error(OWNERS_PATH, v.line, v.col, f"{key} 应写一个股室 id，如 office")
            else:
                setattr(cfg, key, v.value.strip())
    for key, meaning in (("show_names", "true：网站上写审核人姓名；false：只写股室"),
                         ("show_authors", "true：记录页上写最后修改的提交人姓名；false：只写单位（股室、所）")):
        if key in node.value:
            v = node.value[key]
            word = v.value.strip().lower() if v.is_scalar else ""
            if word in ("true", "yes", "是"):
                setattr(cfg, key, True)
            elif word in ("false", "no", "否"):
                setattr(cfg, key, False)
            else:
                diags.error(OWNERS_PATH, v.line, v.col, f"{key} 只能是 true 或 false", meaning)
    teams = node.value.get("teams")
    if teams is not None:
        _load_teams(teams, cfg, diags)
    approvers = node.value.get("approvers")
    if approvers is not None:
        _load_approvers(approvers, cfg, diags)
    return cfg, diags.sorted()


def _load_teams(teams: Node, cfg: OwnersConfig, diags: Diagnostics) -> None:
    cfg.has_teams = True
    if not teams.is_map:
        diags.error(OWNERS_PATH, teams.line, teams.col, "teams: 下应是“股室 id: 团队”的形式")
        return
    for dept, v in teams.value.items():
        handles = [v] if v.is_scalar else (v.value if v.is_list else None)
        if handles is None:
            diags.error(OWNERS_PATH, v.line, v.col, f"股室 {dept} 的团队应写成文字或文字列表")
            continue
        out: list[str] = []
        for h in handles:
            text_h = h.value.strip() if h.is_scalar else ""
            if not text_h:
                continue
            if " " in text_h or not (text_h.startswith("@") or "@" in text_h[1:]):
                diags.error(OWNERS_PATH, h.line, h.col, f"团队名 {text_h!r} 的写法不对",
                            "以 @ 开头，如 \"@qinshui-scj/fagui\"（要加引号），或写邮箱地址")
                continue
            out.append(text_h)
        cfg.teams[dept] = out
        cfg.lines[dept] = v.key_line


def _load_approvers(approvers: Node, cfg: OwnersConfig, diags: Diagnostics) -> None:
    if not approvers.is_map:
        diags.error(OWNERS_PATH, approvers.line, approvers.col,
                    "approvers: 下应是“股室 id: 人员列表”的形式",
                    "例如 approvers: {fagui: [{id: wangmou, name: 王某, key: \"ssh-ed25519 AAAA…\"}]}")
        return
    owner_of_key: dict[str, tuple[str, int]] = {}  # key text -> (person id, line)
    for dept, people in approvers.value.items():
        cfg.approver_lines[dept] = people.key_line
        entries = people.value if people.is_list else None
        if entries is None:
            diags.error(OWNERS_PATH, people.line, people.col, f"股室 {dept} 的审核人应写成列表",
                        "每人一项：- {id: wangmou, name: 王某, key: \"ssh-ed25519 AAAA…\"}")
            continue
        for entry in entries:
            _load_person(dept, entry, cfg, diags, owner_of_key)


def _load_person(dept: str, entry: Node, cfg: OwnersConfig, diags: Diagnostics,
                 owner_of_key: dict[str, tuple[str, int]]) -> None:
    if not entry.is_map:
        diags.error(OWNERS_PATH, entry.line, entry.col, "审核人应写成 {id: …, name: …, key: …}")
        return
    fields = entry.value
    for key, value in fields.items():
        if key not in PERSON_KEYS:
            close = nearest(key, PERSON_KEYS)
            diags.error(OWNERS_PATH, value.key_line, 1, f"审核人不认识的设置项：{key}",
                        f"是不是 {close}？" if close else "可用的设置项：" + "、".join(PERSON_KEYS))
    pid_node, name_node = fields.get("id"), fields.get("name")
    pid = pid_node.value.strip() if pid_node is not None and pid_node.is_scalar else ""
    name = name_node.value.strip() if name_node is not None and name_node.is_scalar else ""
    if not PERSON_ID.fullmatch(pid):
        where = pid_node or entry
        diags.error(OWNERS_PATH, where.line, where.col,
                    "审核人的 id 应是字母、数字、“.”“_”“-”组成的代号" if pid else "审核人缺少 id",
                    "例如 id: wangmou（全库唯一，写进 rules/allowed_signers，不显示在网站上）")
        return
    if not name:
        where = name_node or entry
        diags.error(OWNERS_PATH, where.line, where.col, f"审核人 {pid} 缺少 name（网站上显示的名字）",
                    "例如 name: 王某")
        return
    person = cfg.people.get(pid)
    if person is None:
        person = cfg.people[pid] = Person(pid, name, line=entry.line)
    elif person.name != name:
        diags.error(OWNERS_PATH, name_node.line, name_node.col,
                    f"审核人 {pid} 在第 {person.line} 行叫“{person.name}”，这里叫“{name}”",
                    "同一个 id 是同一个人，名字要一致；不同的人用不同的 id")
    since = _date(fields.get("since"), diags)
    until = _date(fields.get("until"), diags)
    if since and until and until < since:
        diags.error(OWNERS_PATH, fields["until"].line, fields["until"].col, "until 早于 since")
    person.memberships.append(Membership(dept, since, until, entry.line))
    key_node = fields.get("key")
    key_nodes = [] if key_node is None else ([key_node] if key_node.is_scalar else
                                             (key_node.value if key_node.is_list else [key_node]))
    if key_node is None:
        diags.error(OWNERS_PATH, entry.line, entry.col, f"审核人 {pid} 缺少 key（SSH 公钥）",
                    "把 ~/.ssh/id_ed25519.pub 的内容整行贴在 key: 后面，加引号")
    for k in key_nodes:
        parsed = parse_key(k.value) if k.is_scalar else None
        if parsed is None:
            diags.error(OWNERS_PATH, k.line, k.col, f"审核人 {pid} 的 key 不是有效的 SSH 公钥",
                        "应是一整行，如 \"ssh-ed25519 AAAAC3Nza… 备注\"（.pub 文件的内容，不是私钥）")
            continue
        owner = owner_of_key.get(parsed.text)
        if owner is not None and owner[0] != pid:
            diags.error(OWNERS_PATH, k.line, k.col,
                        f"这把公钥已在第 {owner[1]} 行属于 {owner[0]}，一把公钥只能属于一个人",
                        "每人用自己的密钥；换人时给新人生成新的密钥")
            continue
        owner_of_key[parsed.text] = (pid, k.line)
        if parsed not in person.keys:
            person.keys.append(parsed)
    emails = fields.get("emails")
    for e in ([] if emails is None else ([emails] if emails.is_scalar else
                                         (emails.value if emails.is_list else [emails]))):
        text = e.value.strip().lower() if e.is_scalar else ""
        if not EMAIL.fullmatch(text):
            diags.error(OWNERS_PATH, e.line, e.col, "emails 应是邮箱地址（提交时 git 用的 user.email）")
        elif text not in person.emails:
            person.emails.append(text)


def _date(node: Node | None, diags: Diagnostics) -> _dt.date | None:
    if node is None:
        return None
    try:
        return _dt.date.fromisoformat(node.value.strip()) if node.is_scalar else None
    except ValueError:
        pass
    diags.error(OWNERS_PATH, node.line, node.col, "日期格式应为 2023-06-02")
    return None


def parse_key(text: str) -> PublicKey | None:
    """An OpenSSH public key line ("type base64 [comment]"); None when it is not one."""
    parts = text.strip().split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    # The blob starts with the key type as an SSH string: uint32 length, then the name.
    if len(blob) < 4:
        return None
    n = int.from_bytes(blob[:4], "big")
    if blob[4:4 + n] != parts[0].encode("ascii"):
        return None
    return PublicKey(parts[0], parts[1])


def check_departments(cfg: OwnersConfig, departments: dict[str, str], where: str) -> list[Diagnostic]:
    """Unknown department ids in teams: and approvers: (``departments``: the rules' id -> name;
    ``where``: the rules folder named in the hint)."""
    diags = Diagnostics()
    for dept, line in [*cfg.lines.items(), *cfg.approver_lines.items()]:
        if dept not in departments:
            close = nearest(dept, sorted(departments))
            diags.error(OWNERS_PATH, line, 1, f"不认识的股室 id：{dept}",
                        f"是不是 {close}？" if close else f"股室 id 见 {where}/assessment.yaml 的 departments:")
    return diags.sorted()

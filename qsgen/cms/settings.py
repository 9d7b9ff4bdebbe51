"""The form's settings: the `cms:` section of rules/owners.yaml (with its `platform:`), one place for every backend."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qsgen.core import yamlsafe
from qsgen.core.errors import Diagnostic, Diagnostics
from qsgen.repo.files import Refused, read_file

OWNERS_PATH = "rules/owners.yaml"
BACKENDS = ("github", "gitlab", "gitea", "forgejo")
DEFAULT_LOCAL_PORT = 8081
KEYS = {
    "repo": "平台上仓库的“所有者/名称”，如 qinshui-scj/kaohe",
    "branch": "记录合并进的分支，默认 main",
    "backend": "github、gitlab、gitea 或 forgejo；不写时与 platform 相同",
    "base_url": "自建平台的地址，如 https://git.example.gov.cn；GitHub 写登录代理（OAuth）的地址",
    "app_id": "平台上为表单登记的 OAuth 应用的 Client ID（GitLab、Gitea、Forgejo）",
    "site_url": "已发布网站的地址，表单里“查看网站”链到这里",
    "local_port": "本机试用时 decap-server 的端口，默认 8081",
}


@dataclass
class CmsSettings:
    """The web editor's settings (its backend, repository, branch, address)."""

    backend_name: str = "github"
    repo: str = ""
    branch: str = "main"
    base_url: str = ""
    app_id: str = ""
    site_url: str = ""
    local_port: int = DEFAULT_LOCAL_PORT
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def editorial_workflow(self) -> bool:
        """Each entry a branch and a pull request; Decap's gitea backend has no such workflow."""
        return self.backend_name != "gitea"

    def backend(self) -> dict[str, Any]:
        """Decap's `backend:` section."""
        out: dict[str, Any] = {"name": self.backend_name, "repo": self.repo or "OWNER/REPO",
                               "branch": self.branch}
        base = self.base_url.rstrip("/")
        if self.backend_name == "github":
            if base:
                out["base_url"] = base
        elif self.backend_name == "gitlab":
            out["auth_type"] = "pkce"
            if self.app_id:
                out["app_id"] = self.app_id
            if base:
                out.update(base_url=base, api_root=f"{base}/api/v4", auth_endpoint="oauth/authorize")
        else:  # gitea, forgejo
            if self.app_id:
                out["app_id"] = self.app_id
            if base:
                out.update(base_url=base, api_root=f"{base}/api/v1",
                           auth_endpoint=f"{base}/login/oauth/authorize")
        out["squash_merges"] = False
        out["cms_label_prefix"] = "qsgen/"
        return out


def load_settings(root: str | Path) -> tuple[CmsSettings, list[Diagnostic]]:
    """The settings of rules/owners.yaml (defaults where the file or a key is missing)."""
    settings = CmsSettings()
    diags = Diagnostics()
    path = Path(root) / OWNERS_PATH
    try:
        text = read_file(path, within=root).decode("utf-8-sig")
    except (Refused, UnicodeDecodeError):
        return settings, []  # (missing; else qsgen codeowners reports it)
    node, ydiags = yamlsafe.load(text, OWNERS_PATH)
    if node is None or ydiags or not node.is_map:
        return settings, list(ydiags)
    platform = node.value.get("platform")
    if platform is not None and platform.is_scalar and platform.value.strip().lower() in BACKENDS:
        settings.backend_name = platform.value.strip().lower()
    cms = node.value.get("cms")
    if cms is None:
        return settings, []
    if not cms.is_map:
        diags.error(OWNERS_PATH, cms.line, cms.col, "cms: 下应是“设置项: 值”的形式",
                    "例如：\n      cms:\n        repo: qinshui-scj/kaohe")
        return settings, diags.sorted()
    for key, value in cms.value.items():
        settings.lines[key] = value.key_line
        if key not in KEYS:
            diags.error(OWNERS_PATH, value.key_line, 1, f"cms: 下不认识的设置项：{key}",
                        "可用的设置项：" + "、".join(KEYS))
            continue
        if not value.is_scalar:
            diags.error(OWNERS_PATH, value.line, value.col, f"cms: 的 {key} 应写一个值", KEYS[key])
            continue
        text = value.value.strip()
        if key == "backend":
            if text.lower() not in BACKENDS:
                diags.error(OWNERS_PATH, value.line, value.col, f"cms: 的 backend 只能是 {' / '.join(BACKENDS)}",
                            KEYS[key])
                continue
            settings.backend_name = text.lower()
        elif key == "repo":
            if not re.fullmatch(r"[\w.-]+(/[\w.-]+)+", text, re.ASCII):
                diags.error(OWNERS_PATH, value.line, value.col, f"cms: 的 repo 写法不对：{text}", KEYS[key])
                continue
            settings.repo = text
        elif key == "local_port":
            if not text.isdigit() or not 0 < int(text) < 65536:
                diags.error(OWNERS_PATH, value.line, value.col, f"cms: 的 local_port 应是端口号：{text}",
                            KEYS[key])
                continue
            settings.local_port = int(text)
        elif key in ("base_url", "site_url") and text and not re.match(r"https?://", text):
            diags.error(OWNERS_PATH, value.line, value.col, f"cms: 的 {key} 应以 http:// 或 https:// 开头",
                        KEYS[key])
        else:
            setattr(settings, key, text)
    if settings.backend_name == "gitea":
        line = settings.lines.get("backend", settings.lines.get("branch", cms.key_line))
        diags.warning(OWNERS_PATH, line, 1,
                      "Gitea 后端没有审核流程：表单会把记录直接提交到 branch 写的分支",
                      "把 branch 设为单独的分支（如 tianbao），再由考核办从它开合并请求；"
                      "Forgejo 请写 backend: forgejo（有审核流程）")
    return settings, diags.sorted()

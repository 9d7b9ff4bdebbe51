"""Local mode: decap-server on a loopback port against this repository, and the admin folder served beside it."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DECAP_SERVER_VERSION = "3.11.3"  # as pinned in tests/cms/package.json
HOST = "127.0.0.1"


class LocalError(Exception):
    """Local mode cannot start (Chinese message)."""


def find_decap_server(root: Path) -> list[str]:
    """The command that runs decap-server: $QSGEN_DECAP_SERVER, node_modules/.bin of the
    repository or of tests/cms/, or decap-server on PATH."""
    env = os.environ.get("QSGEN_DECAP_SERVER")
    if env:
        return [env]
    for folder in (root / "node_modules", root / "tests" / "cms" / "node_modules"):
        candidate = folder / ".bin" / "decap-server"
        if candidate.is_file():
            return [str(candidate)]
    found = shutil.which("decap-server")
    if found:
        return [found]
    raise LocalError(
        "找不到 decap-server（本机试用表单需要它，它是 Node.js 程序）。\n"
        f"    提示：装有 Node.js 时运行 npm install --global decap-server@{DECAP_SERVER_VERSION}，"
        "或设置环境变量 QSGEN_DECAP_SERVER 指向它")


def server_env(repo: Path, port: int) -> dict[str, str]:
    """decap-server's environment: git mode (branches for the review workflow), loopback only,
    and git's core.quotepath off for its git commands, so that a file name in Chinese (an
    attachment) is not printed quoted and the draft can be opened again."""
    env = dict(os.environ)
    env.update({
        "MODE": "git", "PORT": str(port), "BIND_HOST": HOST, "GIT_REPO_DIRECTORY": str(repo),
        "LOG_LEVEL": env.get("LOG_LEVEL", "warn"),
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.quotepath", "GIT_CONFIG_VALUE_0": "false",
    })
    return env


def dirty(repo: Path) -> list[str]:
    """Uncommitted changes of the repository (decap-server switches branches and commits in it)."""
    out = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True)
    if out.returncode != 0:
        raise LocalError(f"{repo} 不是 git 仓库：本机试用需要 git 仓库")
    return [line for line in out.stdout.splitlines() if line.strip()]


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".yml": "text/yaml", ".js": "text/javascript",
                      ".wasm": "application/wasm"}

    def log_message(self, *args) -> None:
        pass


class LocalCms:
    """decap-server (MODE=git) on ``api_port`` and an HTTP server for ``admin`` on ``http_port``
    (0: any free port), both on 127.0.0.1; a context manager that stops both."""

    def __init__(self, repo: Path, admin: Path, api_port: int, http_port: int = 0,
                 command: list[str] | None = None) -> None:
        self.repo = Path(repo)
        self.admin = Path(admin)
        self.api_port = api_port
        self.http_port = http_port
        self.command = command or find_decap_server(self.repo)
        self.process: subprocess.Popen | None = None
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://{HOST}:{self.httpd.server_address[1]}/"

    def start(self, timeout: float = 20) -> LocalCms:
        self.process = subprocess.Popen(self.command, env=server_env(self.repo, self.api_port),
                                        cwd=self.repo, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                raise LocalError(f"decap-server 没有启动（退出码 {self.process.returncode}）")
            if time.monotonic() > deadline:
                self.stop()
                raise LocalError(f"decap-server 在 {timeout:.0f} 秒内没有在端口 {self.api_port} 上应答")
            time.sleep(0.1)
        handler = functools.partial(_Quiet, directory=str(self.admin))
        self.httpd = ThreadingHTTPServer((HOST, self.http_port), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def _answers(self) -> bool:
        request = urllib.request.Request(
            f"http://{HOST}:{self.api_port}/api/v1", data=json.dumps({"action": "info"}).encode(),
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return json.load(response).get("type") == "local_git"
        except (OSError, ValueError):
            return False

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> LocalCms:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

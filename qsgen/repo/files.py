"""Files of the repository as qsgen reads them: resolved inside the repository, regular files only."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def resolve_file(root: Path | str, rel: str, dirs: dict[str, str]) -> tuple[str, bool]:
    """(os.path.realpath of the repository file ``rel``, whether it is a regular file),
    resolving each folder once (``dirs``: folder -> its real path, shared by the calls of one
    build; most attachments share a few folders). Raises OSError when it cannot be read."""
    folder, _, name = rel.rpartition("/")
    real_dir = dirs.get(folder)
    if real_dir is None:
        real_dir = dirs[folder] = os.path.realpath(os.path.join(root, *folder.split("/")))
    real = os.path.join(real_dir, name)
    st = os.lstat(real)
    if stat.S_ISLNK(st.st_mode):  # only a link needs resolving beyond its folder
        real = os.path.realpath(real)
        st = os.stat(real)
    return real, stat.S_ISREG(st.st_mode)

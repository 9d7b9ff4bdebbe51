"""Vendor the pinned decap-cms browser build into qsgen/cms/vendor/decap-cms/ (run by hand on a
version bump; the result is committed).

    python tools/vendor_decap.py            # fetch decap-cms@VERSION with `npm pack`, check, copy
    python tools/vendor_decap.py --check    # only check that the vendored files match MANIFEST

Only the browser build is kept: dist/decap-cms.js, its lazily loaded chunks (NNN.decap-cms.js),
the two .wasm files those chunks load, and the third-party licence notices of the bundle
(decap-cms.js.LICENSE.txt); source maps and the duplicate cms.js build are left out. The npm
tarball's integrity is checked against the sha512 pinned below before anything is copied, and
MANIFEST records the sha256 of every vendored file (tests/test_cms.py checks it).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.16.3"
INTEGRITY = ("sha512-hf+dPlCh7TJmWl8+6VRzHYOWhri5xgUknrZbDewaWe4s9B7xJ8PQugp2QHeSldMUKzav6+z0oIpwUYhUJDYtYw==")
DEST = Path(__file__).resolve().parent.parent / "qsgen" / "cms" / "vendor" / "decap-cms"
KEEP_SUFFIXES = ("decap-cms.js", ".wasm")
KEEP_NAMES = {"decap-cms.js.LICENSE.txt"}


def wanted(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.startswith("package/dist/") and "/" not in name[len("package/dist/"):] and (
        base in KEEP_NAMES or base.endswith(KEEP_SUFFIXES))


def manifest_text(folder: Path) -> str:
    lines = []
    for path in sorted(p for p in folder.iterdir() if p.name not in ("MANIFEST", "LICENSE", "README.md")):
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    return f"# decap-cms {VERSION} (npm), files of its dist/ kept by tools/vendor_decap.py\n" + "\n".join(lines) + "\n"


def fetch() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", f"decap-cms@{VERSION}", "--pack-destination", tmp],
                       check=True, stdout=subprocess.DEVNULL)
        tgz = Path(tmp) / f"decap-cms-{VERSION}.tgz"
        data = tgz.read_bytes()
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != INTEGRITY:
        sys.exit(f"decap-cms-{VERSION}.tgz: integrity {got} is not the pinned {INTEGRITY}")
    for old in DEST.glob("*"):
        if old.name not in ("LICENSE", "README.md"):
            old.unlink()
    DEST.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and wanted(member.name):
                (DEST / member.name.rsplit("/", 1)[-1]).write_bytes(tar.extractfile(member).read())
    (DEST / "MANIFEST").write_text(manifest_text(DEST), encoding="utf-8")
    print(f"vendored decap-cms {VERSION} into {DEST}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        ok = (DEST / "MANIFEST").read_text(encoding="utf-8") == manifest_text(DEST)
        print("vendored decap-cms matches MANIFEST" if ok else "vendored decap-cms differs from MANIFEST")
        sys.exit(0 if ok else 1)
    fetch()


if __name__ == "__main__":
    main()

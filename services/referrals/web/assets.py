"""Unpack the staff pages' pinned front-end assets (assets.toml) into static/vendor/.

python -m services.referrals.web.assets: run by `make install` (and the Docker build); does nothing
when the right versions are already there.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import tomllib
from pathlib import Path

import httpx

HERE = Path(__file__).parent
MANIFEST = HERE / "assets.toml"
VENDOR = HERE / "static" / "vendor"


def install(manifest: Path = MANIFEST, target: Path = VENDOR) -> list[str]:
    """Fetch and unpack every asset not already at its pinned version; returns what was installed."""
    installed = []
    for name, asset in tomllib.loads(manifest.read_text()).items():
        folder, stamp = target / name, target / name / ".version"
        if stamp.exists() and json.loads(stamp.read_text()) == asset:
            continue
        tarball = httpx.get(asset["tarball"], timeout=120, follow_redirects=True).raise_for_status().content
        algorithm, expected = asset["integrity"].split("-", 1)
        actual = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
        if actual != expected:
            raise SystemExit(f"{name} {asset['version']}: the tarball's {algorithm} is {actual}, not {expected}")
        _unpack(tarball, asset["paths"], folder)
        stamp.write_text(json.dumps(asset))
        installed.append(f"{name} {asset['version']}")
    return installed


def _unpack(tarball: bytes, paths: list[str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member in archive.getmembers():
            wanted = next((p for p in paths if member.name == p or member.name.startswith(p)), None)
            if wanted is None or not member.isfile():
                continue
            relative = member.name[len(wanted) :] if wanted.endswith("/") else Path(member.name).name
            destination = (folder / relative).resolve()
            if folder.resolve() not in destination.parents:  # never outside the folder
                raise SystemExit(f"refusing to unpack {member.name} outside {folder}")
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(archive.extractfile(member).read())


if __name__ == "__main__":
    done = install()
    print(f"web assets: {', '.join(done) if done else 'already installed'}")

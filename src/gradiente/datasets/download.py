"""Downloading dataset files with checksum verification (torchvision's ``download_url`` & co).

A file is fetched into ``root`` under a temporary name, its checksum (SHA-256 or MD5, the
published one) is verified, and only then is it renamed into place. A file already in ``root``
whose checksum matches is reused without touching the network. A checksum failure deletes the
download and raises an error naming both the expected and the actual hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
from collections.abc import Sequence

__all__ = [
    "calculate_md5",
    "calculate_sha256",
    "check_integrity",
    "download_url",
    "download_from_mirrors",
    "extract_archive",
    "download_and_extract_archive",
]

_CHUNK = 1024 * 1024
_USER_AGENT = "gradiente"


def _hash_file(fpath: str, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(fpath, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def calculate_md5(fpath: str) -> str:
    """The MD5 of a file as hex (the checksum torchvision publishes for its datasets)."""
    return _hash_file(fpath, "md5")


def calculate_sha256(fpath: str) -> str:
    """The SHA-256 of a file as hex."""
    return _hash_file(fpath, "sha256")


def _expected(md5: str | None, sha256: str | None) -> tuple[str, str] | None:
    """The (algorithm, expected hex digest) to verify with; SHA-256 wins if both are given."""
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    return None


def check_integrity(fpath: str, md5: str | None = None, sha256: str | None = None) -> bool:
    """True if ``fpath`` is a file and matches the checksum (any file passes without one)."""
    if not os.path.isfile(fpath):
        return False
    expected = _expected(md5, sha256)
    return expected is None or _hash_file(fpath, expected[0]) == expected[1]


def _fetch(url: str, destination: str, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(destination, "wb") as f:
        shutil.copyfileobj(response, f, _CHUNK)


def download_url(
    url: str,
    root: str | os.PathLike,
    filename: str | None = None,
    md5: str | None = None,
    sha256: str | None = None,
    timeout: float = 60.0,
) -> str:
    """Download ``url`` to ``root/filename`` and verify it; returns the file's path.

    If the file is already there and passes the checksum, it is reused (no request). If the
    downloaded bytes fail the checksum, they are deleted and a ``RuntimeError`` names the
    expected and the actual hash. Network errors propagate as ``urllib.error.URLError``.
    """
    root = os.fspath(os.path.expanduser(root))
    filename = filename or os.path.basename(url.rstrip("/"))
    fpath = os.path.join(root, filename)
    expected = _expected(md5, sha256)
    if os.path.isfile(fpath) and check_integrity(fpath, md5, sha256):
        if expected is not None:
            print(f"Using downloaded and verified file: {fpath}")
        return fpath
    os.makedirs(root, exist_ok=True)
    partial = fpath + ".part"
    try:
        print(f"Downloading {url} to {fpath}")
        _fetch(url, partial, timeout)
        if expected is not None:
            algorithm, want = expected
            got = _hash_file(partial, algorithm)
            if got != want:
                raise RuntimeError(
                    f"Checksum mismatch for {url}: expected {algorithm} {want}, got {got}. "
                    f"The downloaded file was deleted; try again, or another mirror."
                )
        os.replace(partial, fpath)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
    return fpath


def download_from_mirrors(
    mirrors: Sequence[str],
    filename: str,
    root: str | os.PathLike,
    md5: str | None = None,
    sha256: str | None = None,
    timeout: float = 60.0,
) -> str:
    """Try ``mirror + filename`` for each mirror in turn until one downloads and verifies.

    Raises ``RuntimeError`` listing every mirror's error when none succeeds.
    """
    errors = []
    for mirror in mirrors:
        url = f"{mirror}{filename}"
        try:
            return download_url(url, root, filename, md5=md5, sha256=sha256, timeout=timeout)
        except (urllib.error.URLError, OSError, RuntimeError) as error:
            print(f"Failed to download {url} (trying next mirror): {error}")
            errors.append(f"  {url}: {error}")
    raise RuntimeError(f"Error downloading {filename} from every mirror:\n" + "\n".join(errors))


def extract_archive(from_path: str, to_path: str | None = None) -> str:
    """Extract a .tar / .tar.gz archive into ``to_path`` (default: beside it); returns that folder.

    Members that would land outside the folder (absolute paths, ``..``, links) are refused.
    """
    to_path = os.path.dirname(from_path) if to_path is None else to_path
    with tarfile.open(from_path, "r:*") as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(to_path, filter="data")
        else:  # Python without extraction filters: check each member ourselves
            base = os.path.realpath(to_path)
            for member in archive.getmembers():
                target = os.path.realpath(os.path.join(to_path, member.name))
                if (
                    not (member.isfile() or member.isdir())
                    or os.path.commonpath([base, target]) != base
                ):
                    raise RuntimeError(f"refusing to extract {member.name!r} from {from_path}")
            archive.extractall(to_path)
    return to_path


def download_and_extract_archive(
    url: str,
    download_root: str,
    extract_root: str | None = None,
    filename: str | None = None,
    md5: str | None = None,
    sha256: str | None = None,
    remove_finished: bool = False,
) -> str:
    """Download a verified archive and extract it (into ``extract_root``, default the same)."""
    archive = download_url(url, download_root, filename, md5=md5, sha256=sha256)
    folder = extract_archive(archive, extract_root or download_root)
    if remove_finished:
        os.remove(archive)
    return folder

"""Downloading dataset files with checksum verification (torchvision's ``download_url`` & co).

A file is fetched into ``root`` under a temporary name (unpredictable, created exclusively by
``tempfile``), its size is checked against the server's ``Content-Length`` and its checksum
(SHA-256 or MD5, the published one) is verified, and only then is it renamed into place. A file
already in ``root`` whose checksum matches is reused without touching the network. A failed
download leaves no file behind and raises an error naming the URL and what was wrong (both
hashes, or both sizes).

Archives are extracted into a fresh temporary folder beside the target, member by member, and
moved into place only when all of them were extracted: only plain files and folders inside the
target are accepted (no absolute paths, no ``..``, no links), so a hostile archive extracts
nothing, and a damaged one leaves nothing half-extracted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence

from gradiente.datasets.errors import DatasetFileError

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


def _fetch(url: str, f, timeout: float) -> None:
    """Copy ``url``'s body into the open file ``f``, refusing a body shorter or longer than
    the ``Content-Length`` the server announced (a connection cut mid-way is otherwise silent)."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        announced = response.headers.get("Content-Length")
        received = 0
        for block in iter(lambda: response.read(_CHUNK), b""):
            f.write(block)
            received += len(block)
    if announced is not None and announced.strip().isdigit() and received != int(announced):
        raise RuntimeError(
            f"Incomplete download of {url}: the server announced {int(announced)} bytes but "
            f"sent {received}. The partial file was deleted; try again, or another mirror."
        )


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
    downloaded bytes fail the checksum, or are fewer or more than the server announced, they are
    deleted and a ``RuntimeError`` names the expected and the actual hash (or size). Network
    errors propagate as ``urllib.error.URLError``.
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
    fd, partial = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=root)
    try:
        print(f"Downloading {url} to {fpath}")
        with os.fdopen(fd, "wb") as f:
            _fetch(url, f, timeout)
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
            errors.append(f"{url}: {error}")
    raise RuntimeError(f"Error downloading {filename} from every mirror: " + "; ".join(errors))


def _check_member(member: tarfile.TarInfo, archive: str) -> None:
    """Refuse a member that is not a plain file or folder, or whose path leaves the folder."""
    name = member.name
    if not (member.isfile() or member.isdir()):
        kind = "a link" if member.issym() or member.islnk() else "not a plain file or folder"
        raise DatasetFileError(f"{archive}: refusing to extract {name!r:.200}: it is {kind}")
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or os.path.isabs(name) or ".." in parts or ":" in parts[0]:
        raise DatasetFileError(
            f"{archive}: refusing to extract {name!r:.200}: its path leads outside the folder"
        )


def _move_tree(staging: str, to_path: str, archive: str) -> None:
    """Move everything under ``staging`` into ``to_path``, merging with folders already there
    (never through a symbolic link planted in ``to_path``)."""
    for folder, _, files in os.walk(staging):
        relative = os.path.relpath(folder, staging)
        target = os.path.normpath(os.path.join(to_path, relative))
        if relative != "." and os.path.islink(target):
            raise DatasetFileError(
                f"{archive}: refusing to extract into {target}: it is a symbolic link"
            )
        os.makedirs(target, exist_ok=True)
        for name in files:
            os.replace(os.path.join(folder, name), os.path.join(target, name))


# The most an archive may unpack to (CIFAR-100's archive unpacks to about 180 MB): a larger
# total is refused before it fills the disk (an archive "bomb").
MAX_EXTRACTED_BYTES = 8 << 30


def extract_archive(
    from_path: str, to_path: str | None = None, max_bytes: int = MAX_EXTRACTED_BYTES
) -> str:
    """Extract a .tar / .tar.gz archive into ``to_path`` (default: beside it); returns that folder.

    Only plain files and folders whose paths stay inside the folder are extracted: an archive
    with anything else (absolute paths, ``..``, symbolic or hard links, devices), or whose
    files add up to more than ``max_bytes``, raises ``DatasetFileError`` and extracts nothing,
    and so does a damaged or truncated archive.
    """
    from_path = os.fspath(from_path)
    to_path = os.path.dirname(from_path) if to_path is None else os.fspath(to_path)
    os.makedirs(to_path, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".extracting-", dir=to_path)
    try:
        with tarfile.open(from_path, "r:*") as archive:
            total = 0
            for member in archive:  # one pass: each member is checked, then extracted
                _check_member(member, from_path)
                total += member.size
                if total > max_bytes:
                    raise DatasetFileError(
                        f"{from_path}: refusing to extract: its files add up to more than "
                        f"{max_bytes} bytes"
                    )
                if hasattr(tarfile, "data_filter"):  # the standard library's own check as well
                    archive.extract(member, staging, filter="data")
                else:
                    archive.extract(member, staging)
        _move_tree(staging, to_path, from_path)
    except OSError as error:
        if error.filename is not None:
            raise  # a missing archive, a full or read-only disk: the error names the file
        raise DatasetFileError(f"{from_path}: damaged archive ({error})") from error
    except (tarfile.TarError, EOFError, zlib.error) as error:
        detail = " ".join(str(error).split())  # tarfile lists every method it tried, one a line
        raise DatasetFileError(f"{from_path}: damaged or truncated archive ({detail})") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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

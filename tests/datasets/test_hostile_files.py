"""Dataset readers on damaged, foreign and hostile files: IDX (MNIST), CIFAR pickles, archives
and downloads. Each refusal is one ``DatasetFileError`` (or, for downloads, ``RuntimeError``)
whose message names the file, and leaves nothing behind: nothing extracted outside the target
folder, no partial file."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import gzip
import io
import pathlib
import pickle
import struct
import tarfile

import numpy as np
import pytest

from conftest import LyingServer
from gradiente import datasets
from gradiente.datasets import DatasetFileError, download, mnist
from gradiente.datasets.cifar import restricted_load


def _idx(array: np.ndarray, dims=None) -> bytes:
    """IDX bytes of a uint8 array; ``dims`` overrides the sizes the header announces."""
    dims = array.shape if dims is None else dims
    return bytes([0, 0, 0x08, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + array.tobytes()


def _refused(path, call, *fragments, error=DatasetFileError):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert str(path) in message and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


# ---------------------------------------------------------------------------------------------
# IDX
# ---------------------------------------------------------------------------------------------

_IMAGES = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)


@pytest.mark.parametrize(
    "content,fragment",
    [
        (b"", "not an IDX file (first bytes none)"),
        (b"\x89PNG\r\n\x1a\n", "not an IDX file (first bytes 89504e47)"),
        (b"\x00\x00\x07\x03", "not an IDX file"),  # unknown type code
        (_idx(_IMAGES)[:9], "truncated IDX header"),
        (_idx(_IMAGES)[:-1], "(32 bytes) but 31 bytes follow"),
        (_idx(_IMAGES) + b"\x00", "(32 bytes) but more bytes follow"),
        (_idx(_IMAGES, dims=(60000, 28, 28)), "announces shape (60000, 28, 28)"),
        (_idx(_IMAGES, dims=(2**32 - 1,) * 3), "more than the 1073741824 bytes"),
        (b"\x1f\x8b" + b"junk" * 10, "damaged or truncated gzip file"),
        (gzip.compress(_idx(_IMAGES))[:-6], "damaged or truncated gzip file"),
    ],
)
def test_read_idx_refuses_damaged_files(tmp_path, content, fragment):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(content)
    _refused(path, lambda: mnist.read_idx(path), fragment)


def test_gzip_bomb_is_decompressed_only_as_far_as_the_header_says(tmp_path):
    """64 MiB of zeros after a header announcing 16 bytes: refused after reading 17 of them."""
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(_idx(np.zeros((4, 4), np.uint8)))
        f.write(bytes(64 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    _refused(path, lambda: mnist.read_idx(path), "(16 bytes) but more bytes follow")


def test_idx_of_the_wrong_kind(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(_idx(_IMAGES))  # images where labels belong
    _refused(path, lambda: mnist.read_label_file(path), "expected uint8 labels (N,)")


def _mnist_folder(root, n_images=3, labels=(1, 2, 3)):
    raw = pathlib.Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split in ("train", "t10k"):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(
            _idx(np.zeros((n_images, 28, 28), np.uint8))
        )
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(_idx(np.array(labels, np.uint8)))
    return raw


@pytest.mark.parametrize(
    "n_images,labels,fragment",
    [
        (3, (1, 2), "holds 3 images but"),
        (3, (1, 2, 10), "label 10 is not one of the 10 classes"),
    ],
)
def test_mnist_files_that_do_not_belong_together(tmp_path, n_images, labels, fragment):
    raw = _mnist_folder(tmp_path, n_images, labels)
    path = raw / "train-labels-idx1-ubyte"
    _refused(path, lambda: datasets.MNIST(tmp_path, train=True), fragment)


# ---------------------------------------------------------------------------------------------
# CIFAR
# ---------------------------------------------------------------------------------------------


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class _HugeArray:
    """Pickles as NumPy's own ``_reconstruct`` asked for an array far larger than the file."""

    def __reduce__(self):
        return (np.ndarray.__reduce__(np.zeros(1))[0], (np.ndarray, (10**12,), b"b"))


def _batch(**changes):
    entry = {
        b"batch_label": b"x",
        b"labels": [0, 1],
        b"data": np.zeros((2, 3072), np.uint8),
        b"filenames": [b"a.png", b"b.png"],
    }
    entry.update({k.encode(): v for k, v in changes.items()})
    return entry


@pytest.mark.parametrize(
    "content,fragment",
    [
        (b"garbage that is not a pickle", "cannot read this CIFAR batch"),
        (pickle.dumps(_batch())[:-20], "cannot read this CIFAR batch"),
        (
            pickle.dumps({"data": _Evil()}, protocol=2),
            f"refusing to load {os.system.__module__}.system",
        ),
        (pickle.dumps({"data": _HugeArray()}, protocol=2), "larger than the file"),
        (pickle.dumps([1, 2, 3]), "not a CIFAR batch (expected a dict"),
        (pickle.dumps({b"labels": [0]}), "not a CIFAR batch"),
        (pickle.dumps(_batch(data=np.zeros((2, 3072), np.float32))), "not uint8 images"),
        (pickle.dumps(_batch(data=[[0] * 3072] * 2)), "'data' is a list of 2 items"),
        (pickle.dumps(_batch(data=np.zeros((2, 100), np.uint8))), "100 values per image"),
        (pickle.dumps(_batch(labels=[0])), "2 images but 1 labels"),
        (pickle.dumps(_batch(labels=["cat", "dog"])), "not ints"),
        (pickle.dumps(_batch(labels=[0, 10])), "label 10 is not one of the 10 classes"),
    ],
)
def test_cifar_refuses_crafted_batches(tmp_path, content, fragment):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]:
        (folder / name).write_bytes(pickle.dumps(_batch()))
    path = folder / "data_batch_3"
    path.write_bytes(content)
    message = _refused(path, lambda: datasets.CIFAR10(tmp_path, train=True), fragment)
    assert "pwned" not in message


def test_cifar_refusals_are_also_unpickling_errors(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({"data": _Evil()}, protocol=2))
    _refused(path, lambda: restricted_load(path), "refusing", error=pickle.UnpicklingError)


def test_cifar_meta_with_the_wrong_class_names(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "test_batch").write_bytes(pickle.dumps(_batch()))
    path = folder / "batches.meta"
    path.write_bytes(pickle.dumps({"label_names": ["only", "three", "names"]}))
    _refused(path, lambda: datasets.CIFAR10(tmp_path, train=False), "a list of 10 class names")


# ---------------------------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------------------------


def _archive(path, members, mode="w:gz"):
    """A tar archive of ``(TarInfo, bytes or None)`` members, in order."""
    with tarfile.open(path, mode) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name, data=b"x"):
    return tarfile.TarInfo(name), data


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


@pytest.mark.parametrize(
    "bad,fragment",
    [
        (_file("../escaped.txt"), "leads outside the folder"),
        (_file("folder/../../escaped.txt"), "leads outside the folder"),
        (_file("/tmp/gradiente-absolute-escape.txt"), "leads outside the folder"),
        (_link("folder/link", "/etc"), "it is a link"),
        (_link("folder/link", "../../.."), "it is a link"),
        (_link("folder/hard", "/etc/passwd", tarfile.LNKTYPE), "it is a link"),
        (_link("folder/fifo", "", tarfile.FIFOTYPE), "not a plain file or folder"),
    ],
)
def test_hostile_archive_extracts_nothing(tmp_path, bad, fragment):
    archive = _archive(
        tmp_path / "evil.tar.gz", [_file("folder/good.txt"), bad, _file("folder/after.txt")]
    )
    out = tmp_path / "out"
    _refused(archive, lambda: download.extract_archive(str(archive), str(out)), fragment)
    assert list(out.iterdir()) == []  # not even the good file before it, no staging folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.tar.gz", "out"]
    assert not pathlib.Path("/tmp/gradiente-absolute-escape.txt").exists()


def test_damaged_archive_leaves_nothing_half_extracted(tmp_path):
    archive = _archive(
        tmp_path / "data.tar.gz", [_file("folder/a.bin", bytes(50_000)), _file("folder/b.bin")]
    )
    archive.write_bytes(archive.read_bytes()[:-30])
    out = tmp_path / "out"
    _refused(archive, lambda: download.extract_archive(str(archive), str(out)), "archive")
    assert list(out.iterdir()) == []
    archive.write_bytes(b"not an archive at all")
    _refused(archive, lambda: download.extract_archive(str(archive), str(out)), "archive")


def test_archive_does_not_write_through_a_planted_symlink(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "folder").symlink_to(outside)
    archive = _archive(tmp_path / "data.tar", [_file("folder/a.txt")], mode="w")
    _refused(archive, lambda: download.extract_archive(str(archive), str(out)), "symbolic link")
    assert list(outside.iterdir()) == []


def test_good_archive_merges_into_an_existing_folder(tmp_path):
    out = tmp_path / "out"
    (out / "folder").mkdir(parents=True)
    (out / "folder" / "kept.txt").write_text("old")
    archive = _archive(tmp_path / "data.tar.gz", [_file("folder/a.txt", b"new")])
    download.extract_archive(str(archive), str(out))
    assert sorted(p.name for p in out.iterdir()) == ["folder"]  # staging folder removed
    assert (out / "folder" / "a.txt").read_bytes() == b"new"
    assert (out / "folder" / "kept.txt").read_text() == "old"


# ---------------------------------------------------------------------------------------------
# Downloads whose size is wrong
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def lying_server():
    body = bytes(range(256)) * 40
    server = LyingServer({"short.bin": (body, len(body) + 1000), "exact.bin": (body, len(body))})
    yield server, body
    server.stop()


def test_truncated_download_without_checksum_is_refused(lying_server, tmp_path):
    server, body = lying_server
    root = tmp_path / "cache"
    message = _refused(
        server.url + "short.bin",
        lambda: download.download_url(server.url + "short.bin", root),
        f"announced {len(body) + 1000} bytes but sent {len(body)}",
        error=RuntimeError,
    )
    assert "Incomplete download" in message
    assert list(root.iterdir()) == []  # no partial file, no temporary file
    path = download.download_url(server.url + "exact.bin", root)
    assert pathlib.Path(path).read_bytes() == body
    assert [p.name for p in root.iterdir()] == ["exact.bin"]


def test_truncated_download_tries_the_next_mirror(lying_server, tmp_path):
    server, body = lying_server
    root = tmp_path / "cache"
    message = _refused(
        "short.bin",
        lambda: download.download_from_mirrors(
            [server.url, server.url + "none/"], "short.bin", root
        ),
        "Incomplete download",
        "404",
        error=RuntimeError,
    )
    assert list(root.iterdir()) == [] and "\n" not in message


def test_archive_bomb_is_refused_before_it_fills_the_disk(tmp_path):
    # 3 MB of zeros compress to a few KB; with a 1 MB limit nothing is left behind
    archive = _archive(
        tmp_path / "bomb.tar.gz",
        [_file("folder/a.bin", bytes(1_000_000)), _file("folder/b.bin", bytes(2_000_000))],
    )
    out = tmp_path / "out"
    _refused(
        archive,
        lambda: download.extract_archive(str(archive), str(out), max_bytes=1_500_000),
        "add up to more than",
    )
    assert list(out.iterdir()) == []
    download.extract_archive(str(archive), str(out), max_bytes=3_000_000)
    assert (out / "folder" / "b.bin").stat().st_size == 2_000_000

"""Datasets: IDX and CIFAR readers on small files written here, downloads from a local server,
the bundled digits, the real MNIST test split from ../shared, and the toy generators.

No test touches the internet: downloads go to an ``http.server`` on 127.0.0.1 started here.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import functools
import gzip
import hashlib
import http.server
import inspect
import pathlib
import pickle
import struct
import tarfile
import threading
import warnings

import numpy as np
import pytest

import gradiente
from gradiente import datasets
from gradiente.datasets import download, mnist
from gradiente.datasets.cifar import restricted_load
from gradiente.transforms import ToTensor

SHARED_MNIST = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mnist"


def _idx_bytes(array: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D}[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder, splits=("train", "t10k"), n=10, compress=True, seed=0):
    """Small MNIST-like IDX files; returns {split: (images, labels)}."""
    rng = np.random.default_rng(seed)
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for split in splits:
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        for kind, arr in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
            raw = _idx_bytes(arr)
            name = f"{split}-{kind}" + (".gz" if compress else "")
            (folder / name).write_bytes(gzip.compress(raw) if compress else raw)
        out[split] = (images, labels)
    return out


# ---------------------------------------------------------------------------------------------
# IDX
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, compress):
    array = (
        (np.arange(24).reshape(2, 3, 4) * 3 - 20).astype(dtype)
        if dtype != np.uint8
        else (np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    )
    raw = _idx_bytes(array)
    path = tmp_path / "x.idx"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    back = mnist.read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.flags.writeable
    np.testing.assert_array_equal(back, array)


def test_read_idx_rejects_damaged_files(tmp_path):
    raw = _idx_bytes(np.zeros((3, 2, 2), np.uint8))
    (tmp_path / "short").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="announces shape"):
        mnist.read_idx(tmp_path / "short")
    (tmp_path / "foreign").write_bytes(b"\x89PNG....")
    with pytest.raises(ValueError, match="not an IDX file"):
        mnist.read_idx(tmp_path / "foreign")
    (tmp_path / "badgz").write_bytes(gzip.compress(raw)[:-6])
    with pytest.raises(ValueError, match="gzip"):
        mnist.read_idx(tmp_path / "badgz")


# ---------------------------------------------------------------------------------------------
# MNIST folders
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_torchvision_layout(tmp_path, cls, compress):
    written = _write_mnist(tmp_path / cls.__name__ / "raw", compress=compress)
    for train, split in ((True, "train"), (False, "t10k")):
        ds = cls(tmp_path, train=train)
        images, labels = written[split]
        assert len(ds) == 10 and ds.data.dtype == gradiente.uint8 and ds.data.shape == (10, 28, 28)
        assert ds.targets.dtype == gradiente.int64
        np.testing.assert_array_equal(ds.data.numpy(), images)
        img, label = ds[3]
        assert isinstance(label, int) and label == labels[3]
        np.testing.assert_array_equal(img, images[3])
        assert len(ds.classes) == 10
    ds = cls(tmp_path, transform=ToTensor(), target_transform=lambda t: t + 100)
    img, label = ds[0]
    assert img.shape == (1, 28, 28) and img.dtype == gradiente.float32 and label >= 100


def test_mnist_test_only_folder_trains_on_its_first_part_and_tests_on_all_of_it(tmp_path):
    written = _write_mnist(tmp_path, splits=("t10k",), n=10)
    with pytest.warns(UserWarning, match="only the test split"):
        train = datasets.MNIST(tmp_path, train=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test = datasets.MNIST(tmp_path, train=False)  # torchvision's test split: no warning
    images, labels = written["t10k"]
    assert len(train) == 8 and len(test) == 10
    np.testing.assert_array_equal(train.data.numpy(), images[:8])
    np.testing.assert_array_equal(test.targets.numpy(), labels)
    assert train.held_out is None and test.held_out == slice(8, 10)


@pytest.mark.parametrize("folder", ["MNIST", "mnist", "MNIST/raw", "."])
def test_mnist_is_found_under_root(tmp_path, folder):
    written = _write_mnist(tmp_path / folder, splits=("t10k",), n=4)
    test = datasets.MNIST(tmp_path, train=False, download=False)
    np.testing.assert_array_equal(test.data.numpy(), written["t10k"][0])


def test_mnist_missing_files_error_says_what_where_and_how(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "t10k-images-idx3-ubyte," not in message  # that one is present
    assert str(tmp_path) in message and "download=True" in message


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist is not available")
def test_real_mnist_test_split_from_shared():
    folder = SHARED_MNIST
    images = mnist.read_image_file(folder / "t10k-images-idx3-ubyte.gz")
    labels = mnist.read_label_file(folder / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == gradiente.uint8
    assert labels.tolist()[0] == 7
    counts = np.bincount(labels.numpy(), minlength=10)
    np.testing.assert_array_equal(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    assert 30 < images.numpy().mean() < 40  # MNIST's mean pixel is about 33
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        train = datasets.MNIST(folder, train=True, transform=ToTensor())
        test = datasets.MNIST(folder, train=False)
    assert len(train) == 8000 and len(test) == 10000 and test.held_out == slice(8000, 10000)
    img, label = train[0]
    assert (
        img.shape == (1, 28, 28) and label == 7 and 0 <= img.numpy().min() <= img.numpy().max() <= 1
    )
    np.testing.assert_array_equal(test.data.numpy(), images.numpy())


# ---------------------------------------------------------------------------------------------
# Downloads from a local server
# ---------------------------------------------------------------------------------------------


class _Server:
    """A static file server on 127.0.0.1 that answers at most ``limit`` requests."""

    def __init__(self, directory, limit=50):
        self.requests = []
        self.limit = limit
        server_self = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                server_self.requests.append(self.path)
                if len(server_self.requests) > server_self.limit:
                    self.send_error(503, "request budget exhausted")
                    return
                super().do_GET()

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    s = _Server(served)
    s.root = served
    yield s
    s.stop()


def _md5(path):
    return hashlib.md5(pathlib.Path(path).read_bytes()).hexdigest()


def test_download_url_verifies_and_reuses_the_cache(server, tmp_path):
    (server.root / "a.bin").write_bytes(b"hello gradiente")
    sha = hashlib.sha256(b"hello gradiente").hexdigest()
    root = tmp_path / "cache"
    path = download.download_url(server.url + "a.bin", root, sha256=sha)
    assert pathlib.Path(path).read_bytes() == b"hello gradiente" and len(server.requests) == 1
    download.download_url(server.url + "a.bin", root, sha256=sha)
    assert len(server.requests) == 1  # verified cache: no second request
    pathlib.Path(path).write_bytes(b"stale")  # a bad cached copy is fetched again
    download.download_url(
        server.url + "a.bin", root, md5=hashlib.md5(b"hello gradiente").hexdigest()
    )
    assert len(server.requests) == 2 and pathlib.Path(path).read_bytes() == b"hello gradiente"


def test_download_checksum_failure_deletes_the_file_and_names_both_hashes(server, tmp_path):
    (server.root / "a.bin").write_bytes(b"corrupted bytes")
    wrong = "0" * 64
    actual = hashlib.sha256(b"corrupted bytes").hexdigest()
    with pytest.raises(RuntimeError) as info:
        download.download_url(server.url + "a.bin", tmp_path / "cache", sha256=wrong)
    assert wrong in str(info.value) and actual in str(info.value)
    assert not list((tmp_path / "cache").iterdir())


def test_mnist_download_with_mirrors_and_md5(server, tmp_path, monkeypatch):
    _write_mnist(server.root, compress=True, seed=3)
    resources = [(p.name, _md5(p)) for p in sorted(server.root.iterdir())]
    monkeypatch.setattr(datasets.MNIST, "mirrors", [server.url + "missing/", server.url])
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    ds = datasets.MNIST(tmp_path / "data", train=True, download=True)
    assert len(ds) == 10
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == [name for name, _ in resources]
    assert len(server.requests) == 8  # each file: a 404 on the first mirror, then the second
    datasets.MNIST(tmp_path / "data", train=False, download=True)
    assert len(server.requests) == 8  # everything was already there


def test_mnist_download_corrupted_file(server, tmp_path, monkeypatch):
    _write_mnist(server.root, compress=True)
    resources = [(p.name, _md5(p)) for p in sorted(server.root.iterdir())]
    bad_name, bad_md5 = resources[0]
    (server.root / bad_name).write_bytes(b"not the real file")
    monkeypatch.setattr(datasets.MNIST, "mirrors", [server.url])
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(tmp_path / "data", download=True)
    message = str(info.value)
    assert bad_md5 in message and hashlib.md5(b"not the real file").hexdigest() in message
    assert not (tmp_path / "data" / "MNIST" / "raw" / bad_name).exists()


# ---------------------------------------------------------------------------------------------
# CIFAR
# ---------------------------------------------------------------------------------------------


def _write_cifar(folder, n_per_batch=4, protocol=2):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n_per_batch).tolist()
        entry = {b"batch_label": b"x", b"labels": labels, b"data": data, b"filenames": [b"a.png"]}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=protocol))
        batches[name] = (data, labels)
    meta = {"label_names": [f"class{i}" for i in range(10)], "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=protocol))
    return batches


@pytest.mark.parametrize("protocol", [2, 4])
def test_cifar10_reads_python_batches(tmp_path, protocol):
    batches = _write_cifar(tmp_path / "cifar-10-batches-py", protocol=protocol)
    train = datasets.CIFAR10(tmp_path, train=True)
    test = datasets.CIFAR10(tmp_path, train=False, transform=ToTensor())
    assert len(train) == 20 and len(test) == 4
    assert train.data.shape == (20, 32, 32, 3) and train.data.dtype == gradiente.uint8
    data, labels = batches["data_batch_2"]
    img, label = train[4]
    np.testing.assert_array_equal(img, data[0].reshape(3, 32, 32).transpose(1, 2, 0))
    assert label == labels[0] and isinstance(label, int)
    assert train.classes == [f"class{i}" for i in range(10)]
    timg, _ = test[1]
    assert timg.shape == (3, 32, 32) and timg.dtype == gradiente.float32
    np.testing.assert_allclose(timg.numpy() * 255, batches["test_batch"][0][1].reshape(3, 32, 32))


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize(
    "payload",
    [
        {"data": _Evil()},
        {"data": np.array([object()], dtype=object)},
        {"data": np.ma.masked_array([1, 2])},
    ],
)
def test_cifar_unpickler_refuses_anything_but_plain_data(tmp_path, payload):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        restricted_load(path)


def test_cifar10_download_and_extract(server, tmp_path, monkeypatch):
    source = tmp_path / "source"
    _write_cifar(source / "cifar-10-batches-py")
    archive = server.root / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setattr(datasets.CIFAR10, "url", server.url + archive.name)
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", _md5(archive))
    ds = datasets.CIFAR10(tmp_path / "root", train=False, download=True)
    assert len(ds) == 4 and len(server.requests) == 1


def test_extract_archive_refuses_paths_outside_the_folder(tmp_path):
    archive = tmp_path / "evil.tar"
    payload = tmp_path / "payload.txt"
    payload.write_text("x")
    with tarfile.open(archive, "w") as tar:
        tar.add(payload, arcname="../escaped.txt")
    with pytest.raises(Exception, match="escaped|outside|refusing"):
        download.extract_archive(str(archive), str(tmp_path / "out"))
    assert not (tmp_path / "escaped.txt").exists()


def test_cifar_missing_files(tmp_path):
    with pytest.raises(RuntimeError, match="data_batch_1.*download=True"):
        datasets.CIFAR10(tmp_path)


# ---------------------------------------------------------------------------------------------
# Digits
# ---------------------------------------------------------------------------------------------


def test_digits_bundled_split():
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) == 1442 and len(test) == 355 and len(train) + len(test) == 1797
    assert train.data.shape == (1442, 8, 8) and train.data.dtype == gradiente.uint8
    raw_images, raw_targets = datasets.digits.load_digits_arrays()
    assert raw_images.max() == 16 and raw_targets[:10].tolist() == list(range(10))
    both = np.concatenate([train.data.numpy(), test.data.numpy()]).reshape(1797, -1)
    assert both.max() == 255 and set(np.unique(both)) <= {round(v * 255 / 16) for v in range(17)}
    # every image is in exactly one split: compare the multisets of rows
    rescaled = (raw_images.reshape(1797, -1).astype(int) * 255 + 8) // 16
    assert sorted(map(bytes, both.astype(np.uint8))) == sorted(
        map(bytes, rescaled.astype(np.uint8))
    )
    per_class_test = np.bincount(test.targets.numpy(), minlength=10)
    assert per_class_test.min() >= 34 and per_class_test.max() <= 37  # stratified
    img, label = datasets.Digits(transform=ToTensor())[0]
    assert img.shape == (1, 8, 8) and label == 0 and float(img.numpy().max()) <= 1.0


@pytest.mark.parametrize(
    "cls",
    [
        datasets.MNIST,
        datasets.FashionMNIST,
        datasets.KMNIST,
        datasets.CIFAR10,
        datasets.CIFAR100,
        datasets.Digits,
    ],
)
def test_split_datasets_take_torchvisions_arguments(cls):
    params = inspect.signature(cls).parameters
    defaults = {name: p.default for name, p in params.items()}
    root = None if cls is datasets.Digits else inspect.Parameter.empty  # the bundled digits
    assert defaults == {
        "root": root,
        "train": True,
        "transform": None,
        "target_transform": None,
        "download": False,
    }


def test_split_dataset_repr_names_the_split():
    text = repr(datasets.Digits(train=False, transform=ToTensor()))
    assert text.splitlines()[:3] == [
        "Dataset Digits",
        "    Number of datapoints: 355",
        "    Split: Test",
    ]


# ---------------------------------------------------------------------------------------------
# Toy generators
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        datasets.make_moons,
        datasets.make_circles,
        datasets.make_spirals,
        datasets.make_xor,
        datasets.make_blobs,
    ],
)
def test_toy_generators_shapes_and_determinism(make):
    gradiente.manual_seed(0)
    X, y = make(101)
    assert X.shape == (101, 2) and X.dtype == gradiente.float32 and y.dtype == gradiente.int64
    assert set(y.tolist()) <= {0, 1, 2}
    gradiente.manual_seed(0)
    X2, y2 = make(101)
    np.testing.assert_array_equal(X.numpy(), X2.numpy())
    np.testing.assert_array_equal(y.numpy(), y2.numpy())
    X3, _ = make(101, generator=gradiente.Generator().manual_seed(0))
    X4, _ = make(101, generator=gradiente.Generator().manual_seed(0))
    np.testing.assert_array_equal(X3.numpy(), X4.numpy())


def test_toy_geometry():
    X, y = datasets.make_moons(40, shuffle=False)
    x, yy = X.numpy().astype(np.float64), y.numpy()
    np.testing.assert_allclose(np.hypot(x[yy == 0, 0], x[yy == 0, 1]), 1, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(1 - x[yy == 1, 0], 0.5 - x[yy == 1, 1]), 1, rtol=1e-6)
    X, y = datasets.make_circles(50, factor=0.3)
    radius = np.hypot(*X.numpy().T)
    np.testing.assert_allclose(radius[y.numpy() == 0], 1, rtol=1e-6)
    np.testing.assert_allclose(radius[y.numpy() == 1], 0.3, rtol=1e-6)
    X, y = datasets.make_xor(200)
    x = X.numpy()
    assert np.array_equal(y.numpy(), ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64))
    X, y = datasets.make_blobs([5, 7], centers=[[0, 0], [50, 50]], cluster_std=0.1)
    assert np.bincount(y.numpy()).tolist() == [5, 7]
    assert np.all(np.abs(X.numpy()[y.numpy() == 1] - 50) < 1)
    X, y = datasets.make_spirals(90, n_classes=3, noise=0.0)
    assert np.bincount(y.numpy()).tolist() == [30, 30, 30]
    assert np.hypot(*X.numpy().T).max() <= 1 + 1e-6


def test_make_line_fits_its_line():
    gradiente.manual_seed(0)
    x, y = datasets.make_line(500, slope=0.5, intercept=0.75, noise=0.1)
    assert x.shape == y.shape == (500, 1) and x.dtype == gradiente.float32
    assert 0 <= x.numpy().min() and x.numpy().max() < 2
    slope, intercept = np.polyfit(x.numpy()[:, 0], y.numpy()[:, 0], 1)
    assert abs(slope - 0.5) < 0.05 and abs(intercept - 0.75) < 0.05

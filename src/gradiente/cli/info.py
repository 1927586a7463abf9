"""``gradiente info``: this installation — versions, backend, BLAS and threads, GPU, MPI,
datasets."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import pathlib
import platform
import sys

from gradiente import __version__, cuda, parallel
from gradiente import _blas as _blas_module
from gradiente import backend as B
from gradiente import distributed as dist
from gradiente.backend import xp
from gradiente.functions.settings import _blas_pools
from gradiente.train.data import default_data_dir
from gradiente.train.distributed import find_mpiexec

# The gradiente package's folder (this file is gradiente/cli/info.py).
PACKAGE_DIR = pathlib.Path(__file__).parents[1]


def add_arguments(info) -> None:
    """Add ``info``'s options to its parser."""
    info.add_argument("--data-dir", metavar="DIR", help="the dataset folder to look in")
    info.set_defaults(handler=cmd_info)


def cmd_info(args: argparse.Namespace) -> int:
    """``gradiente info``: versions, backend, BLAS, threads and the datasets on disk."""
    root = pathlib.Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    rows = [
        ("gradiente", f"{__version__} ({PACKAGE_DIR})"),
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("backend", f"NumPy {xp.__version__} (CPU)"),
        ("BLAS", _blas()),
        ("threads", _threads()),
        ("GPU", _gpu()),
    ]
    for module in ("tqdm", "matplotlib", "PIL", "safetensors", "torch"):
        try:
            version = getattr(__import__(module), "__version__", "installed")
        except ImportError:
            version = "not installed"
        rows.append((module if module != "PIL" else "pillow", version))
    rows.append(("MPI", _mpi_info()))
    rows.append(("data folder", f"{root}" + ("" if root.is_dir() else " (does not exist yet)")))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print("datasets:")
    for line in _datasets_found(root):
        print(f"  {line}")
    return 0


def _blas() -> str:
    """The BLAS library NumPy was built with, its version, the kernel it runs (an
    ``OPENBLAS_CORETYPE`` in the environment forces one), and whether convolutions call it
    directly (``gradiente._blas``, the shifted-GEMM convolutions)."""
    try:
        config = xp.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        name = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy without mode="dicts"
        name = "unknown (see numpy.show_config())"
    kernels = [p.get("architecture") for p in _blas_pools() if p.get("architecture")]
    if kernels:
        name += f", {kernels[0]} kernels"
        if os.environ.get("OPENBLAS_CORETYPE"):
            name += f" (forced by OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']})"
    direct = "yes" if _blas_module.available() else "no (convolutions build im2col columns)"
    return f"{name}; direct GEMM calls: {direct}"


def _threads() -> str:
    """CPU cores and the BLAS/OpenMP thread pools (threadpoolctl), or the thread variables."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        env = [
            f"{v}={os.environ[v]}"
            for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if v in os.environ
        ]
        detail = ", ".join(env) if env else "no thread variables set"
        return f"{os.cpu_count()} CPU cores ({detail}; install threadpoolctl for BLAS threads)"
    pools = [f"{p['internal_api']} {p['num_threads']} threads" for p in threadpool_info()]
    own = f"gradiente's own pool {parallel.num_threads()} threads"
    mode = parallel.gemm_threading_mode()
    if mode == "auto":
        own += " (running the matrix products too from the first convolution: "
        own += "GRADIENTE_GEMM_THREADS=auto)"
    elif mode == "gradiente":
        own += " (running the matrix products too: GRADIENTE_GEMM_THREADS=gradiente)"
    return f"{os.cpu_count()} CPU cores; " + ", ".join((pools or ["no BLAS thread pool"]) + [own])


def _gpu() -> str:
    """The CUDA devices: the NumPy stand-ins (``GRADIENTE_FAKE_CUDA``), or CuPy's GPUs with the
    CUDA runtime, CuPy and cuDNN frontend versions, or "none" and why. CuPy is imported only
    when it is installed, and every import is guarded: a broken GPU stack is a line here, not a
    traceback."""
    if B.stand_in_cuda():
        count = cuda.device_count()
        return (
            f"{count} NumPy stand-in{'s' if count > 1 else ''} (GRADIENTE_FAKE_CUDA): "
            + ", ".join(f"cuda:{i} {cuda.get_device_name(i)}" for i in range(count))
        )
    if importlib.util.find_spec("cupy") is None:
        return "none (no CuPy: pip install 'gradiente[cuda]' on a machine with an NVIDIA GPU)"
    try:
        count = cuda.device_count()
        cupy = importlib.import_module("cupy")
    except Exception as error:  # a driver or library that does not load
        return f"none (CuPy does not load: {' '.join(str(error).split())})"
    if count == 0:
        return f"none (CuPy {cupy.__version__} finds no CUDA device)"
    try:
        runtime = cupy.cuda.runtime.runtimeGetVersion()  # e.g. 12080 for CUDA 12.8
        versions = f"CUDA runtime {runtime // 1000}.{runtime % 1000 // 10}"
    except Exception:
        versions = "CUDA runtime unknown"
    versions += f", CuPy {cupy.__version__}, {_cudnn_frontend()}"
    names = ", ".join(f"cuda:{i} {cuda.get_device_name(i)}" for i in range(count))
    return f"{names} ({versions})"


def _cudnn_frontend() -> str:
    """The version of NVIDIA's cuDNN frontend (``import cudnn``) and of the cuDNN it loads."""
    try:
        cudnn = importlib.import_module("cudnn")
    except Exception:
        return "cuDNN frontend not installed"
    text = f"cuDNN frontend {getattr(cudnn, '__version__', 'unknown')}"
    try:
        v = int(cudnn.backend_version())
    except Exception:  # older frontends, or no cuDNN library found
        return text
    if v >= 90000:  # cuDNN 9 numbers its versions major·10000 + minor·100 + patch
        major, rest = divmod(v, 10000)
    else:  # cuDNN 8: major·1000 + minor·100 + patch
        major, rest = divmod(v, 1000)
    return f"{text} (cuDNN {major}.{rest // 100}.{rest % 100})"


def _datasets_found(root: pathlib.Path) -> list[str]:
    """The datasets ready to use: the bundled and generated ones, and those found in ``root``."""
    found = ["digits (bundled with gradiente)", "moons, circles, spirals (generated)"]
    for name, folder in (
        ("mnist", "MNIST"),
        ("fashion-mnist", "FashionMNIST"),
        ("kmnist", "KMNIST"),
    ):
        raw = root / folder / "raw"
        if raw.is_dir() and any(raw.glob("*-idx?-ubyte*")):
            found.append(f"{name} ({raw})")
    if (root / "cifar-10-batches-py").is_dir():
        found.append(f"cifar10 ({root / 'cifar-10-batches-py'})")
    return found


def _mpi_info() -> str:
    """mpi4py, the MPI library and mpiexec, or how to install them."""
    if not dist.is_available():
        return "not installed (pip install 'gradiente[distributed]' for --nproc)"
    import mpi4py
    from mpi4py import MPI

    vendor, version = MPI.get_vendor()
    mpiexec = find_mpiexec() or "no mpiexec found"
    return (
        f"mpi4py {mpi4py.__version__}, {vendor} {'.'.join(map(str, version))} (MPI "
        f"{'.'.join(map(str, MPI.Get_version()))}), {mpiexec}"
    )

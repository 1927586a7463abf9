"""``gradiente info``: this installation — versions, backend, BLAS and threads, MPI, datasets."""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import sys

from gradiente import __version__, parallel
from gradiente import distributed as dist
from gradiente.backend import xp
from gradiente.train.data import default_data_dir
from gradiente.train.distributed import find_mpiexec

# The gradiente package's folder (this file is gradiente/cli/info.py).
PACKAGE_DIR = pathlib.Path(__file__).parents[1]


def add_parser(sub) -> None:
    """Add ``info`` and its options to the subcommands ``sub``."""
    info = sub.add_parser(
        "info",
        help="version, backend, BLAS and threads, datasets found",
        description="Describe this installation.",
    )
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
    """The BLAS library NumPy was built with, and its version."""
    try:
        config = xp.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy without mode="dicts"
        return "unknown (see numpy.show_config())"


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
    return f"{os.cpu_count()} CPU cores; " + ", ".join((pools or ["no BLAS thread pool"]) + [own])


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

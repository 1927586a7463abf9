"""The layering of ../shared/DESIGN.md, enforced: a module imports only its layer or below."""

from __future__ import annotations

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "gradiente"

# Lower number = lower layer. A module's layer is looked up by its first path component(s).
LAYERS = {
    "backend": 0,
    "_cupy_standin": 0,  # the strict CuPy stand-in for CPU-only tests (imports NumPy only)
    "_malloc": 0,  # glibc malloc thresholds set once at import (no gradiente imports)
    "_blas": 0,  # direct GEMM calls into NumPy's own BLAS (no gradiente imports)
    "random": 0,
    "backends": 0,  # torch.backends' switches (cudnn.enabled, ...), read by the ops
    "parallel": 0,  # gradiente's own threads for chunked array work (no gradiente imports)
    "autograd": 1,
    "ops": 2,
    "tensor": 3,
    "_printing": 3,
    "functions": 3,
    "_generated_functions": 3,  # the function forms of the methods, from their marks
    "linalg": 3,
    "cuda": 3,  # torch.cuda: device count, current device, events and streams
    "func": 3,
    "special": 3,
    "sparse": 3,  # torch.sparse's products for dense tensors (gradiente has no sparse layout)
    "quasirandom": 3,  # torch.quasirandom.SobolEngine (direction numbers in _sobol_directions)
    "_sobol_directions": 0,  # Joe & Kuo's direction numbers as text (no imports)
    "special_bessel": 3,  # torch.special's Bessel and Airy functions (Cephes, on arrays)
    "fft": 3,  # torch.fft's real-valued helpers (frequencies, shifts) from Tensor ops
    "foreach": 3,  # torch._foreach_* ops: loops over Tensor methods (and linalg norms)
    "types": 3,  # torch.types: typing aliases of Tensor, Size, device, dtype
    "random_api": 3,  # torch.random: the generator's functions, state as a Tensor
    "return_types": 3,  # torch.return_types: the named tuples of multi-output ops
    "signal": 3,  # torch.signal.windows and the window factories, composed from Tensor ops
    "testing": 3,
    # collectives on tensors over MPI; nn.parallel and SyncBatchNorm build on them
    "distributed": 3,
    "multiprocessing": 3,  # torch.multiprocessing: Python's, for tensors in shared memory
    "nn": 4,
    "optim": 5,
    "distributions": 5,  # torch.distributions: sampling and densities on tensors and nn.functional
    "data": 5,
    "utils": 5,
    "datasets": 5,
    "transforms": 5,
    "vision": 5,  # torchvision's utils (make_grid, save_image) on tensors and nn.functional
    "serialization": 5,
    "jit": 5,  # torch.jit's eager stand-ins (script/trace return the module itself)
    "hub": 5,  # torch.hub without a network: local hubconf.py and cached checkpoints
    "torch_format": 5,  # reads (and writes) the files of the real torch.save
    "onnx": 5,  # torch.onnx: traces nn models into ONNX graphs (the onnx package, optional)
    "train": 6,
    "models": 6,
    "viz": 7,
    "lecture": 7,
    "compat": 8,
    "cli": 8,
    "__main__": 8,
    # ``import gradiente`` (the package's re-exports: tensor .. train/models) counts as layer 6,
    # so the package root may not import viz, lecture or the CLI.
    "__init__": 6,
}


def _layer(parts: tuple[str, ...]) -> int | None:
    if not parts:
        return LAYERS["__init__"]
    return LAYERS.get(parts[0])


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("").parts
        yield path, rel


@pytest.mark.parametrize("path,rel", list(_modules()), ids=lambda v: str(v))
def test_imports_point_down(path, rel):
    own = _layer(rel if rel != ("__init__",) else ())
    if own is None:
        pytest.fail(f"{'/'.join(rel)} is not assigned to a layer in tests/test_architecture.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "gradiente":
                names = [f"gradiente.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] != "gradiente":
                if parts[0] in ("numpy", "cupy") and rel[0] not in (
                    "backend",
                    "random",
                    "_cupy_standin",
                ):
                    # Only the backend (the host-side RNG, the CuPy stand-in) import NumPy;
                    # data, datasets, serialization and plotting read and write files with it.
                    if own < LAYERS["optim"]:
                        pytest.fail(f"{'/'.join(rel)} imports {name}: use gradiente.backend.xp")
                continue
            target = _layer(tuple(parts[1:]))
            if target is None:
                continue
            assert target <= own, (
                f"{'/'.join(rel)} (layer {own}) imports {name} (layer {target}): imports must "
                "point down (see DESIGN.md)"
            )

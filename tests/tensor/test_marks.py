"""The marks on Tensor methods (gradiente/tensor/marks.py) are the one source of truth for op
names: the generated function forms are up to date, every marked name resolves, and every name
we claim is PyTorch's exists in torch."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

import gradiente
from gradiente import _generated_functions
from gradiente.tensor import Tensor
from gradiente.tensor.marks import marked

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_regenerating_the_function_forms_gives_the_checked_in_files():
    pytest.importorskip("ruff")
    script = ROOT / "scripts" / "generate_functions.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_marked_name_resolves_on_tensor_and_gradiente():
    functions = marked(Tensor, "function")
    assert len(functions) > 200
    for name in functions:
        assert callable(getattr(Tensor, name)), name
        assert callable(getattr(gradiente, name)), name
    for name in marked(Tensor, "inplace"):
        assert callable(getattr(Tensor, name + "_")), name + "_"
    for name in marked(Tensor, "inplace_function"):
        assert callable(getattr(gradiente, name + "_")), name + "_"


def test_generated_names_are_the_marked_ones():
    generated = {n for n in vars(_generated_functions) if not n.startswith("_")} - {
        "annotations",
        "method_function",
        "inplace_function",
    }
    marked_names = set(marked(Tensor, "function")) | {
        n + "_" for n in marked(Tensor, "inplace_function")
    }
    handwritten = set(gradiente.functions.__all__)
    assert generated == marked_names - handwritten
    for name in generated:
        assert getattr(gradiente, name) is getattr(_generated_functions, name), name


def test_the_torch_names_we_claim_exist_in_torch():
    torch = pytest.importorskip("torch")
    for name in marked(Tensor, "function"):
        assert hasattr(torch, name), f"torch.{name}"
        assert hasattr(torch.Tensor, name), f"torch.Tensor.{name}"
    for name in marked(Tensor, "inplace"):
        assert hasattr(torch.Tensor, name + "_"), f"torch.Tensor.{name}_"
    for name in marked(Tensor, "inplace_function"):
        assert hasattr(torch, name + "_"), f"torch.{name}_"
    # vector_norm is torch.linalg.vector_norm's kernel, a Tensor method only in gradiente
    for name in set(marked(Tensor, "numpy_axis")) - {"vector_norm"}:
        assert hasattr(torch.Tensor, name), f"torch.Tensor.{name}"
    for name in gradiente.functions.__all__:
        assert hasattr(torch, name), f"torch.{name}"


def test_the_marks_do_what_they_say():
    torch = pytest.importorskip("torch")
    data = [[0.5, -1.25, 2.0], [3.0, 0.25, -0.75]]
    x, y = gradiente.tensor(data, dtype=gradiente.float64), torch.tensor(data, dtype=torch.float64)
    # @function: gradiente.X(input, ...) is input.X(...), and accepts out=
    assert gradiente.exp(x).tolist() == torch.exp(y).tolist()
    out = gradiente.empty(2, 3, dtype=gradiente.float64)
    gradiente.clamp(x, -1, 1, out=out)
    assert out.tolist() == torch.clamp(y, -1, 1).tolist()
    # @numpy_axis: axis= and keepdims= are dim= and keepdim=
    assert x.sum(axis=1, keepdims=True).tolist() == y.sum(axis=1, keepdims=True).tolist()
    assert gradiente.amax(x, axis=0).tolist() == torch.amax(y, axis=0).tolist()
    # @inplace: x.X_() writes x.X() into x
    a, b = x.clone(), y.clone()
    a.tan_(), b.tan_()
    assert a.tolist() == b.tolist()
    # @inplace(function=True): gradiente.X_(input) too
    a, b = x.clone(), y.clone()
    gradiente.floor_(a), torch.floor_(b)
    assert a.tolist() == b.tolist()

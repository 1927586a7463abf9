"""Findings of the hunt with complete programs in the style of pytorch/examples and the PyTorch
tutorials (VAE, DCGAN, word LM, LBFGS time series, GCN, ViT, seq2seq, ...), each run under
torch 2.13 and ``gradiente run``; the scripts are in programs/examples_scripts.

Fixed here:

- an aliased module's ``__dict__`` held only its own few names, so ``vars(torch.nn)`` and the
  imagenet example's ``models.__dict__[args.arch]`` (and its list of model names) failed;
- ``torch.sparse.mm``/``addmm`` and ``torch.spmm`` on dense tensors (graph networks call them
  on a dense adjacency), with ``torch.sparse.mm``'s column-major result, which decides what a
  following dropout zeroes;
- the deprecation warnings of ``torch.range``, ``torch.chain_matmul`` and of ``torch.meshgrid``
  without ``indexing`` (the last two once per process, as torch's warn-once).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pathlib
import warnings

import numpy as np
import pytest

import gradiente
from conftest import torch_and_gradiente_print

torch = pytest.importorskip("torch")

SCRIPTS = pathlib.Path(__file__).parent / "programs" / "examples_scripts"


@pytest.mark.parametrize("name", sorted(p.stem for p in SCRIPTS.glob("*.py")))
def test_example_program_prints_what_torch_prints(name):
    theirs, ours = torch_and_gradiente_print((SCRIPTS / f"{name}.py").read_text())
    assert ours == theirs


def test_alias_module_dict_lists_the_public_names():
    """``vars(torch.X)`` sees X's functions and classes as a plain module's does, while a
    submodule name still resolves to its own alias and ``from torch.X import *`` is as before."""
    code = """
        import torch, torch.nn as nn, torch.nn.functional as F
        print("Linear" in vars(nn), "relu" in vars(F), "tensor" in vars(torch))
        print(callable(torch.__dict__["zeros"]), vars(torch.optim)["SGD"].__name__)
        print(torch.nn.functional is F, type(torch.nn.functional.relu).__name__)
        ns = {}
        exec("from torch.nn.functional import *", ns)
        print("relu" in ns, "Tensor" in ns, "F" in ns)
    """
    theirs, ours = torch_and_gradiente_print(code)
    assert ours == theirs


def _pair(lib):
    gen = np.random.default_rng(0)
    a = lib.tensor(gen.standard_normal((4, 5)), dtype=lib.float32)
    b = lib.tensor(gen.standard_normal((5, 3)), dtype=lib.float32, requires_grad=True)
    return a, b


@pytest.mark.parametrize(
    "product",
    [
        lambda lib, a, b: lib.sparse.mm(a, b),
        lambda lib, a, b: lib.spmm(a, b),
        lambda lib, a, b: lib.sparse.addmm(lib.ones(4, 3), a, b, beta=0.5, alpha=2.0),
    ],
    ids=["sparse.mm", "spmm", "sparse.addmm"],
)
def test_sparse_products_of_dense_tensors(product):
    """Values, layout (strides) and gradient as torch's for dense operands."""
    results = []
    for lib in (gradiente, torch):
        a, b = _pair(lib)
        out = product(lib, a, b)
        (out * out).sum().backward()
        results.append((out.detach().numpy(), out.stride(), b.grad.numpy()))
    (ours, our_stride, our_grad), (theirs, their_stride, their_grad) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-5)
    assert our_stride == their_stride


def test_dropout_after_sparse_mm_zeroes_what_torch_zeroes():
    """torch.sparse.mm's result is column-major, and dropout draws in memory order."""
    masks = []
    for lib in (gradiente, torch):
        a, b = _pair(lib)
        lib.manual_seed(3)
        out = lib.nn.functional.dropout(lib.sparse.mm(a, b), 0.5)
        masks.append((out == 0).numpy())
    np.testing.assert_array_equal(masks[0], masks[1])


def _warnings_of(lib, call):
    """The messages of the UserWarnings that ``call(lib)`` raises (warn-once ones too)."""
    was = lib.is_warn_always_enabled()
    lib.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(lib)
    finally:
        lib.set_warn_always(was)
    # torch's C++ warnings end with where in its sources they were raised
    return [str(w.message).split(" (Triggered internally")[0] for w in caught]


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.range(0, 3),
        lambda lib: lib.chain_matmul(lib.ones(2, 2), lib.ones(2, 2)),
        lambda lib: lib.meshgrid(lib.arange(2), lib.arange(3)),
        lambda lib: lib.meshgrid(lib.arange(2), lib.arange(3), indexing="ij"),
    ],
    ids=["range", "chain_matmul", "meshgrid", "meshgrid_indexing"],
)
def test_deprecation_warnings_as_torch(call):
    assert _warnings_of(gradiente, call) == _warnings_of(torch, call)


def test_meshgrid_warns_once_per_process():
    """Without set_warn_always, torch warns about meshgrid's indexing only the first time."""
    code = """
        import warnings
        import torch
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(3):
                torch.meshgrid(torch.arange(2), torch.arange(2))
                torch.chain_matmul(torch.ones(1, 1), torch.ones(1, 1))
                torch.range(0, 1)
        print([str(w.message)[:20] for w in caught])
    """
    theirs, ours = torch_and_gradiente_print(code)
    assert ours == theirs

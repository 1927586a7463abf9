"""Findings of the eighth hunt: programs in the style of pytorch/examples, the PyTorch
tutorials and computer-vision coursework (DCGAN, transfer learning, spatial transformer, style
transfer, packed-sequence classifiers, schedulers, EMA, custom Functions, hooks and Grad-CAM,
data utilities, checkpoint resume, torch.func, losses, conv by unfold, ...), each run under
torch and ``gradiente run`` and compared. The most valuable ones are kept in
programs/hunt8_scripts and rerun here.

Fixed here:

- ``backward(inputs=[...])``: a non-leaf input's ``.grad`` was accumulated twice when it also
  had ``retain_grad()``; torch makes such an input retain its gradient (later passes fill it
  too), and a leaf input's post-accumulate-grad hooks did not run;
- ``x[advanced] = v`` on a tensor in the graph was always recorded as ``CopySlices``; torch
  records ``IndexPutBackward0`` when the index's basic part makes no view (the printed
  ``grad_fn=<...>`` of a tensor after such a write);
- the IndexError for a bool mask of the wrong shape named the wrong shape and dims: torch
  names the tensor the basic indices leave, the first mask dim that differs and its dim;
- ``torch._foreach_*`` (``_foreach_lerp_`` for an EMA of the weights, ``_foreach_mul_``,
  ``_foreach_norm``, ...) were missing: gradiente/foreach.py;
- mixed dtypes that torch refuses were computed: ``grid_sample`` (a float64 grid for a float32
  image), ``einsum`` (it promoted), ``one_hot`` of an int32 tensor; ``addmm`` refused them in
  mm's words instead of its own;
- torch's UserWarnings for ``torch.tensor(t)``/``x.new_tensor(t)`` of a tensor, a list of NumPy
  arrays, ``torch.from_numpy`` of a read-only array and ``x.T``/``x.H`` of a non-matrix were
  missing (tensor/creation_warnings.py), the last ones once per process as torch.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pathlib
import re

import pytest

from conftest import torch_and_gradiente_print

torch = pytest.importorskip("torch")

SCRIPTS = pathlib.Path(__file__).parent / "programs" / "hunt8_scripts"
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _same_up_to_rounding(theirs: str, ours: str, rtol: float = 1e-4) -> bool:
    """The two printouts have the same text between numbers and numbers that agree within
    ``rtol`` (float32 training rounds sums differently; a flipped argmax still shows)."""
    if theirs == ours:
        return True
    if _NUMBER.sub("#", theirs) != _NUMBER.sub("#", ours):
        return False
    pairs = zip(_NUMBER.findall(theirs), _NUMBER.findall(ours), strict=True)
    return all(abs(float(a) - float(b)) <= rtol * max(1.0, abs(float(a))) for a, b in pairs)


@pytest.mark.parametrize("name", sorted(p.stem for p in SCRIPTS.glob("*.py")))
def test_program_prints_what_torch_prints(name):
    theirs, ours = torch_and_gradiente_print((SCRIPTS / f"{name}.py").read_text())
    assert _same_up_to_rounding(theirs, ours), (theirs, ours)


def test_backward_inputs_non_leaf_retains_grad_once():
    """``backward(inputs=[y])`` for a non-leaf y that already retains its gradient fills
    ``y.grad`` once (not twice), makes y retain it (a later pass without inputs fills it
    again) and runs a leaf input's post-accumulate-grad hook."""
    code = """
        import torch
        x = torch.ones(2, requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda p: print("post", p.grad))
        x.register_hook(lambda g: g * 2)
        y = x * 2
        y.retain_grad()
        z = (y * y * torch.tensor([1.0, 0.5])).sum()
        z.backward(inputs=[y], retain_graph=True)
        print(y.grad, x.grad)
        u = x * 3
        (u * u).sum().backward(inputs=[u, x], retain_graph=True)
        print(u.retains_grad, u.grad, x.grad)
        (u * u).sum().backward(inputs=[x])
        print(u.grad, x.grad)
        a = torch.ones(2, requires_grad=True)
        b = a.exp()
        (b * b).sum().backward(inputs=[b], create_graph=True)
        print(b.grad, b.grad.requires_grad, a.grad)
    """
    theirs, ours = torch_and_gradiente_print(code)
    assert ours == theirs


def test_advanced_index_write_node_name_and_gradient():
    """The node torch records for ``w[index] = v`` (IndexPutBackward0 without a view,
    CopySlices through one), the printed tensor and the gradients of w and v."""
    code = """
        import torch
        z = torch.arange(24.).view(2, 3, 4).requires_grad_()
        for idx in ["[[0, 1]]", "[:, [0, 2]]", "[..., [1]]", "[0, [1, 2]]", "[0, :, [1, 2]]",
                    "[z > 5]", "[1:, 0]", "[None, 0]", "[:, 1:]", "[[0], :, [1, 3]]",
                    "[[1], 0:3]", "[[1], 1:]", "[:, torch.tensor([0, 2])]", "[torch.tensor(1)]"]:
            v = torch.tensor(2.5, requires_grad=True)
            w = z * 1
            exec(f"w{idx} = v * 3")
            print(idx, type(w.grad_fn).__name__, w._version)
            w.pow(2).sum().backward()
            print(z.grad.sum().item(), v.grad.item())
            z.grad = None
        w = z * 1
        w[:, [0, 2]] = w[:, [2, 0]].clone()
        print(w[0])
    """
    theirs, ours = torch_and_gradiente_print(code)
    assert ours == theirs


def test_mask_shape_error_names_the_sliced_tensor():
    code = """
        import torch
        z = torch.zeros(2, 3, 4)
        m = lambda *shape: torch.ones(shape, dtype=torch.bool)
        indices = [(m(3, 4),), (m(2, 4),), (0, m(4, 4)), (slice(None), m(3, 3)),
                   (slice(1, None), m(2)), (Ellipsis, m(3)), (None, m(3)),
                   ([0], slice(None), m(3)), (m(2, 3), slice(0, 2))]
        for index in indices:
            try:
                z[index]
                print("ok")
            except IndexError as e:
                print(e)
    """
    theirs, ours = torch_and_gradiente_print(code)
    assert ours == theirs


def test_mixed_dtype_errors_of_grid_sample_einsum_one_hot_addmm():
    code = """
        import torch
        import torch.nn.functional as F
        f, d = torch.randn(2, 3), torch.randn(2, 3, dtype=torch.float64)
        cases = [
            lambda: F.grid_sample(torch.randn(1, 1, 3, 3), torch.zeros(1, 2, 2, 2).double(),
                                  align_corners=False),
            lambda: F.grid_sample(torch.randn(1, 1, 3, 3).double(), torch.zeros(1, 2, 2, 2),
                                  align_corners=False),
            lambda: F.grid_sample(torch.randn(1, 1, 3, 3, 3), torch.zeros(1, 2, 2, 2, 3).double(),
                                  align_corners=False),
            lambda: torch.einsum("ij,kj->ik", f, d),
            lambda: torch.einsum("ij,kj->ik", d, f),
            lambda: torch.einsum("ij,kj->ik", torch.ones(2, 3, dtype=torch.long), f),
            lambda: torch.einsum("ij,kj->ik", f, f).dtype,
            lambda: F.one_hot(torch.tensor([1], dtype=torch.int32), 3),
            lambda: F.one_hot(torch.tensor([1], dtype=torch.uint8), 3),
            lambda: F.one_hot(torch.tensor([1]), 3),
            lambda: torch.addmm(torch.zeros(2, 2), f, d.T),
            lambda: torch.addmm(torch.zeros(2, 2, dtype=torch.float64), f, d.T),
            lambda: torch.addmm(torch.zeros(2, 2, dtype=torch.float64), f, f.T),
            lambda: torch.zeros(2, 2).addmm_(d, d.T),
            lambda: torch.addmm(torch.zeros(2, 2), f, f.T).dtype,
        ]
        for case in cases:
            try:
                print(case())
            except RuntimeError as e:
                print(e)
    """
    theirs, ours = torch_and_gradiente_print(code)
    assert ours == theirs


def test_creation_warnings_as_torch():
    """What each warns (category and message), twice in a row: the last three only once."""
    code = """
        import warnings
        import numpy as np
        import torch

        def caught(name, fn):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                fn()
                fn()
            print(name, [(x.category.__name__, str(x.message).split(" (Triggered")[0]) for x in w])

        caught("tensor", lambda: torch.tensor(torch.ones(2), requires_grad=True))
        caught("new_tensor", lambda: torch.zeros(2).new_tensor(torch.ones(2)))
        caught("as_tensor", lambda: torch.as_tensor(torch.ones(2)))
        caught("list_of_arrays", lambda: torch.tensor([np.ones(2), np.ones(2)]))
        caught("read_only", lambda: torch.from_numpy(np.broadcast_to(np.ones(3), (2, 3))))
        caught("T_1d_2d", lambda: (torch.ones(3).T, torch.ones(2, 3).T))
        caught("T_3d", lambda: torch.ones(2, 3, 4).T)
        caught("T_H_0d", lambda: (torch.tensor(1.0).T, torch.tensor(1.0).H, torch.ones(2, 2).H))
    """
    theirs, ours = torch_and_gradiente_print(code)
    assert ours == theirs

"""Findings of the fourth outside-style hunt (PyTorch programs in other people's styles, run
under torch and ``gradiente run``), fixed; each script prints the same under both.

- the legacy constructors: ``torch.Tensor()`` is empty 1-D, ``torch.Tensor(x.size())`` and
  ``x.new(x.size())`` are sizes, ``torch.Tensor(t)`` aliases ``t``, a float is refused;
- the p-norm's gradient for 0 < p < 2 is 0 (not NaN) at an exact zero (``cdist``, ``pdist``);
- ``autograd.grad``/``backward(inputs=)`` take any iterable (``model.parameters()``);
- ``torch.normal(0, 0.01, size=..., requires_grad=True)``; ``float(t)`` of many elements is a
  ValueError, ``operator.index`` a TypeError; ``from_numpy`` refuses negative strides;
- loss target dtypes checked as torch (int32 class indices, integer BCE-with-logits and KL
  targets, integer MSE), and CUDA without a GPU is an AssertionError as in torch's CPU build.
"""

import pathlib

import pytest

from conftest import torch_and_gradiente_print

pytest.importorskip("torch")

SCRIPTS = pathlib.Path(__file__).parent / "hunt4_scripts"


@pytest.mark.parametrize("name", sorted(p.stem for p in SCRIPTS.glob("*.py")))
def test_script_prints_what_torch_prints(name):
    theirs, ours = torch_and_gradiente_print((SCRIPTS / f"{name}.py").read_text())
    # gradiente's CUDA message goes on to say how to get a GPU
    ours = "\n".join(line.split(": CUDA is not available")[0] for line in ours.split("\n"))
    assert ours == theirs

"""Element-wise results laid out as torch lays them out, compared with torch.

NumPy falls back to row-major memory when its operands disagree; torch's TensorIterator
follows the first operand whose strides decide. The layout matters beyond ``stride()``:
dropout (and every random ``*_like`` fill) draws in memory order, so a residual connection on
a batch-first RNN's output followed by dropout must see torch's layout to get torch's mask.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")


def _operands(lib):
    a = lib.arange(120, dtype=lib.float64).reshape(5, 3, 8).transpose(0, 1) / 7 - 3
    b = lib.arange(120, dtype=lib.float64).reshape(3, 5, 8).flip(-1) / 11 + 0.5
    return a, b


CASES = {
    "a + b": lambda lib, a, b: a + b,
    "b + a": lambda lib, a, b: b + a,
    "a * b": lambda lib, a, b: a * b,
    "a - b[0]": lambda lib, a, b: a - b[0],
    "a / b": lambda lib, a, b: a / b,
    "a ** |b|": lambda lib, a, b: a ** b.abs(),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "where": lambda lib, a, b: lib.where(a > 0, a, b),
    "sigmoid(a) + b": lambda lib, a, b: lib.sigmoid(a) + b,
    "relu(a + b)": lambda lib, a, b: lib.relu(a + b),
    "a + 1": lambda lib, a, b: a + 1,
    "remainder": lambda lib, a, b: lib.remainder(a, b),
}


@pytest.mark.parametrize("name", list(CASES))
def test_element_wise_results_have_torchs_strides(name):
    ours, theirs = (
        CASES[name](gradiente, *_operands(gradiente)),
        CASES[name](torch, *_operands(torch)),
    )
    assert ours.stride() == theirs.stride()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_dropout_after_a_residual_on_a_batch_first_gru_gets_torchs_mask():
    outputs = {}
    for lib in (torch, gradiente):
        lib.manual_seed(3)
        gru = lib.nn.GRU(4, 3, batch_first=True, bidirectional=True).double()
        skip = lib.nn.Linear(6, 6).double()
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 5, 4)))
        h, _ = gru(x)
        y = lib.sigmoid(h + skip(h))
        lib.manual_seed(9)
        outputs[lib.__name__] = lib.nn.functional.dropout(y, 0.5).detach().numpy()
    np.testing.assert_allclose(outputs["gradiente"], outputs["torch"], rtol=1e-10, atol=1e-12)


def test_two_dropouts_in_a_row_on_a_transposed_view_draw_torchs_masks():
    """The first dropout's result keeps the view's layout (its mask is drawn in the view's
    memory order and is laid out as torch's), so the second draws in that order too."""
    outputs = {}
    for lib in (torch, gradiente):
        x = lib.arange(36, dtype=lib.float64).reshape(3, 2, 6).transpose(0, 1) + 1
        lib.manual_seed(5)
        y = lib.nn.functional.dropout(lib.nn.functional.dropout(x, 0.3), 0.3)
        outputs[lib.__name__] = (y.numpy(), y.stride())
    assert outputs["gradiente"][1] == outputs["torch"][1]
    np.testing.assert_allclose(outputs["gradiente"][0], outputs["torch"][0], rtol=1e-12)

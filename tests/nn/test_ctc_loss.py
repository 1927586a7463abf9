"""F.ctc_loss / nn.CTCLoss against torch: values, gradients, error messages, gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import gradiente
from gradiente.autograd import gradcheck

torch = pytest.importorskip("torch")

T, N, C = 12, 3, 6


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, N, C))
    targets = rng.integers(1, C, (N, 5))
    targets[0, 1] = targets[0, 0]  # a repeated label: the path must pass a blank between
    return x, targets, np.array([12, 10, 7]), np.array([5, 3, 2])


def _run(lib, x, targets, input_lengths, target_lengths, dtype, upstream=None, **kwargs):
    logits = lib.tensor(x, dtype=dtype, requires_grad=True)
    loss = lib.nn.functional.ctc_loss(
        logits.log_softmax(-1), targets, input_lengths, target_lengths, **kwargs
    )
    if upstream is None:
        loss.sum().backward()
    else:
        loss.backward(lib.tensor(upstream, dtype=dtype))
    return loss.detach().numpy(), logits.grad.numpy()


def _compare(g, t, dtype):
    rtol = 1e-5 if dtype == "float32" else 1e-11
    np.testing.assert_allclose(g[0], t[0], rtol=rtol, atol=rtol)
    np.testing.assert_allclose(g[1], t[1], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("target_form", ["padded", "concatenated"])
@pytest.mark.parametrize("blank", [0, 3])
def test_ctc_loss_matches_torch(dtype, reduction, target_form, blank):
    x, targets, input_lengths, target_lengths = _data()
    targets = np.where(targets == blank, (blank + 1) % C, targets)
    if target_form == "concatenated":
        targets = np.concatenate([targets[n, :k] for n, k in enumerate(target_lengths)])
    upstream = np.array([0.5, -1.0, 2.0]) if reduction == "none" else None
    results = []
    for lib in (gradiente, torch):
        args = [lib.tensor(a) for a in (targets, input_lengths, target_lengths)]
        dt = getattr(lib, dtype)
        results.append(_run(lib, x, *args, dt, upstream=upstream, reduction=reduction, blank=blank))
    _compare(*results, dtype)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_impossible_alignment_and_empty_target(zero_infinity):
    x, targets, _, _ = _data(1)
    targets[1, :4] = [2, 2, 2, 2]  # needs 7 frames, gets 5: infinite loss
    input_lengths, target_lengths = [12, 5, 7], [5, 4, 0]
    results = []
    for lib in (gradiente, torch):
        results.append(
            _run(
                lib,
                x,
                lib.tensor(targets),
                input_lengths,
                target_lengths,
                lib.float64,
                upstream=np.ones(3),
                reduction="none",
                zero_infinity=zero_infinity,
            )
        )
    g, t = results
    np.testing.assert_allclose(g[0], t[0], rtol=1e-12)
    assert np.isinf(g[0][1]) != zero_infinity
    np.testing.assert_allclose(g[1], t[1], rtol=1e-10, atol=1e-12)


def test_ctc_loss_unbatched_and_module():
    x, targets, _, _ = _data(2)
    results = []
    for lib in (gradiente, torch):
        logits = lib.tensor(x[:, 0], requires_grad=True)
        criterion = lib.nn.CTCLoss(blank=0, reduction="none")
        loss = criterion(
            logits.log_softmax(-1), lib.tensor(targets[0, :4]), lib.tensor(11), lib.tensor(4)
        )
        assert loss.shape == ()
        loss.backward()
        results.append((loss.detach().numpy(), logits.grad.numpy()))
        assert repr(lib.nn.CTCLoss(zero_infinity=True)) == "CTCLoss()"
        assert lib.nn.CTCLoss(blank=2).blank == 2
    _compare(*results, "float32")


def test_ctc_loss_gradcheck():
    x, targets, input_lengths, target_lengths = _data(3)
    x = gradiente.tensor(x[:6, :2, :4], dtype=gradiente.float64, requires_grad=True)
    targets = gradiente.tensor(np.minimum(targets[:2, :2], 3))

    def fn(logits):
        # through log_softmax, as the loss is meant to be used (see ops/ctc.py)
        return gradiente.nn.functional.ctc_loss(
            logits.log_softmax(-1), targets, [6, 5], [2, 1], reduction="none"
        )

    assert gradcheck(fn, (x,), eps=1e-6, atol=1e-5)


def test_ctc_loss_no_double_backward():
    x, targets, input_lengths, target_lengths = _data()
    logits = gradiente.tensor(x, requires_grad=True)
    loss = gradiente.nn.functional.ctc_loss(
        logits.log_softmax(-1), gradiente.tensor(targets), input_lengths, target_lengths
    )
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward"):
        gradiente.autograd.grad(loss, logits, create_graph=True)


@pytest.mark.parametrize(
    ("targets_shape", "input_lengths", "target_lengths", "blank", "reduction"),
    [
        ((N, 5), [12, 13, 7], [5, 3, 2], 0, "mean"),
        ((N, 3), [12, 10, 7], [3, 4, 2], 0, "mean"),
        ((N, 5), [12, 10, 7], [5, 3, 2], 6, "mean"),
        ((N, 5), [12, 10], [5, 3, 2], 0, "mean"),
        ((N, 5), [12, 10, 7], [5, 3], 0, "mean"),
        ((9,), [12, 10, 7], [5, 3, 2], 0, "mean"),
        ((N, 5), [12, 10, 7], [5, 3, 2], 0, "average"),
    ],
)
def test_ctc_loss_errors_match_torch(
    targets_shape, input_lengths, target_lengths, blank, reduction
):
    x, _, _, _ = _data()
    errors = []
    for lib in (gradiente, torch):
        with pytest.raises((RuntimeError, ValueError)) as error:
            lib.nn.functional.ctc_loss(
                lib.tensor(x).log_softmax(-1),
                lib.ones(targets_shape, dtype=lib.int64),
                lib.tensor(input_lengths),
                lib.tensor(target_lengths),
                blank=blank,
                reduction=reduction,
            )
        errors.append((type(error.value), str(error.value)))
    assert errors[0] == errors[1]


def test_ctc_loss_float_lengths_rejected():
    x, targets, _, _ = _data()
    for lib in (gradiente, torch):
        with pytest.raises(RuntimeError, match="input_lengths must be integral"):
            lib.nn.functional.ctc_loss(
                lib.tensor(x).log_softmax(-1),
                lib.tensor(targets),
                lib.tensor([12.0, 10.0, 7.0]),
                lib.tensor([5, 3, 2]),
            )

"""ops/loss.py and the losses of nn.functional against torch in float64 across reductions and
options: values, gradients, ignored and weighted targets, stability, messages."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings

import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op, class_indices, leaf, probabilities, uniform

torch = pytest.importorskip("torch")


REDUCTIONS = ["mean", "sum", "none"]


def _signs(shape, seed=0):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("mse_loss", {}),
        ("l1_loss", {}),
        ("smooth_l1_loss", {}),
        ("smooth_l1_loss", {"beta": 0.5}),
        ("smooth_l1_loss", {"beta": 0.0}),
        ("huber_loss", {}),
        ("huber_loss", {"delta": 0.3}),
    ],
)
def test_regression_losses_match_torch(name, kwargs, reduction):
    x, y = uniform((4, 5)), uniform((4, 5), 1)
    check_op(
        lambda m, a, b: getattr(m.nn.functional, name)(a, b, reduction=reduction, **kwargs),
        x,
        y,
        double=name == "mse_loss",
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses_match_torch(name, reduction):
    x, y, w = uniform((3, 4)), uniform((3, 4), 1), uniform((3, 4), 2, 0.1, 2.0)
    check_op(
        lambda m, a, b, c: getattr(m.nn.functional, name)(a, b, reduction=reduction, weight=c),
        x,
        y,
        w,
        requires_grad=[True, True, False],
    )


def test_regression_losses_warn_about_broadcasting():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(gradiente.zeros(3, 1), gradiente.zeros(3))


CE_CASES = {
    "2d": ((6, 4), (6,)),
    "4d": ((2, 3, 4, 5), (2, 4, 5)),
    "3d": ((3, 4, 2), (3, 2)),
    "unbatched": ((5,), ()),
}


@pytest.mark.parametrize("case", CE_CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices_match_torch(case, reduction, weighted, smoothing):
    x_shape, t_shape = CE_CASES[case]
    C = x_shape[0] if len(x_shape) == 1 else x_shape[1]
    target = class_indices(t_shape, C, 1)
    if t_shape:  # some ignored targets
        target.reshape(-1)[::3] = -100
    arrays = [uniform(x_shape, 2), target] + ([uniform((C,), 3, 0.2, 2.0)] if weighted else [])

    def op(m, x, t, *w):
        return m.nn.functional.cross_entropy(
            x, t, *w, reduction=reduction, label_smoothing=smoothing
        )

    check_op(op, *arrays, requires_grad=[True, False, False][: len(arrays)], double=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4), (4,)])
def test_cross_entropy_probabilities_match_torch(shape, reduction, weighted, smoothing):
    axis = 0 if len(shape) == 1 else 1
    C = shape[axis]
    arrays = [uniform(shape), probabilities(shape, axis, 1)] + (
        [uniform((C,), 3, 0.2, 2.0)] if weighted else []
    )

    def op(m, x, p, *w):
        return m.nn.functional.cross_entropy(
            x, p, *w, reduction=reduction, label_smoothing=smoothing
        )

    # the target's gradient too (probabilities are differentiable)
    check_op(op, *arrays, requires_grad=[True, True, False][: len(arrays)], double=True)


def test_cross_entropy_ignore_index_and_all_ignored():
    x, t = uniform((4, 3)), np.array([0, 7, 2, 7])
    check_op(lambda m, a, b: m.nn.functional.cross_entropy(a, b, ignore_index=7), x, t)
    none = np.array([7, 7, 7, 7])
    g = F.cross_entropy(gradiente.from_numpy(x), gradiente.from_numpy(none), ignore_index=7)
    t_ = torch.nn.functional.cross_entropy(
        torch.from_numpy(x), torch.from_numpy(none), ignore_index=7
    )
    assert np.isnan(g.item()) and np.isnan(t_.item())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [3e3, 3e3, -3e3]], dtype=dtype)
    t = np.array([0, 2, 1])
    g_x = leaf(x)
    g = F.cross_entropy(g_x, gradiente.from_numpy(t))
    t_x = torch.from_numpy(x).requires_grad_()
    ref = torch.nn.functional.cross_entropy(t_x, torch.from_numpy(t))
    g.backward()
    ref.backward()
    assert np.isfinite(g.item()) and np.isfinite(g_x.grad.numpy()).all()
    np.testing.assert_allclose(g.item(), ref.item(), rtol=1e-6)
    np.testing.assert_allclose(g_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_cross_entropy_float32_mlp_loss_matches_torch():
    x, t = uniform((128, 10)).astype(np.float32), class_indices((128,), 10)
    g = F.cross_entropy(gradiente.from_numpy(x), gradiente.from_numpy(t))
    ref = torch.nn.functional.cross_entropy(torch.from_numpy(x), torch.from_numpy(t))
    assert g.dtype == gradiente.float32
    np.testing.assert_allclose(g.item(), ref.item(), rtol=1e-6)


def test_cross_entropy_is_one_graph_node_named_as_torchs_last():
    # one node (log-softmax and NLL fused), named as the node torch's composition ends in,
    # which a printed loss shows: grad_fn=<NllLossBackward0>
    x = leaf(uniform((3, 4)))
    loss = F.cross_entropy(x, gradiente.tensor([0, 1, 3]))
    assert loss.grad_fn.name() == "NllLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    target = gradiente.tensor([[0.5, 0.5, 0.0, 0.0]] * 3)
    names = {
        F.cross_entropy(x, gradiente.tensor([0, 1, 3]), label_smoothing=0.1).grad_fn.name(),
        F.cross_entropy(x, target).grad_fn.name(),
        F.cross_entropy(x, target, reduction="sum").grad_fn.name(),
        F.cross_entropy(leaf(uniform((2, 4, 3))), gradiente.zeros(2, 3).long()).grad_fn.name(),
    }
    assert names == {"AddBackward0", "DivBackward1", "NegBackward0", "NllLoss2DBackward0"}


def test_cross_entropy_bad_targets_say_what_is_wrong():
    x = gradiente.zeros(4, 10)
    with pytest.raises(IndexError, match=r"^Target 12 is out of bounds\.$"):  # torch's words
        F.cross_entropy(x, gradiente.tensor([1, 12, 3, 4]))
    with pytest.raises(IndexError, match=r"Target -3 is out of bounds"):
        F.cross_entropy(x, gradiente.tensor([1, -3, 3, 4]))
    with pytest.raises(
        ValueError,
        match=r"Expected input batch_size \(4\) to match target "
        r"batch_size \(3\)",
    ):
        F.cross_entropy(x, gradiente.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(x, gradiente.tensor([1, 2, 3, 4]), weight=gradiente.ones(3))
    with pytest.raises(
        RuntimeError, match="expected target dtype to be Long or Byte, but got Float"
    ):
        F.cross_entropy(x, gradiente.zeros(4))


@pytest.mark.parametrize("case", CE_CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch(case, reduction, weighted):
    x_shape, t_shape = CE_CASES[case]
    C = x_shape[0] if len(x_shape) == 1 else x_shape[1]
    target = class_indices(t_shape, C, 1)
    if t_shape:
        target.reshape(-1)[::4] = 1 if C > 1 else 0
    arrays = [uniform(x_shape, 2), target] + ([uniform((C,), 3, 0.2, 2.0)] if weighted else [])

    def op(m, x, t, *w):
        return m.nn.functional.nll_loss(
            x.log_softmax(0 if x.ndim == 1 else 1), t, *w, ignore_index=1, reduction=reduction
        )

    check_op(op, *arrays, requires_grad=[True, False, False][: len(arrays)], double=True)


def test_nll_loss_target_out_of_range():
    with pytest.raises(IndexError, match=r"^Target 5 is out of bounds\.$"):
        F.nll_loss(gradiente.zeros(2, 3), gradiente.tensor([0, 5]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_matches_torch(reduction, weighted):
    x, y = uniform((4, 3), 0, 0.05, 0.95), uniform((4, 3), 1, 0.0, 1.0)
    arrays = [x, y] + ([uniform((4, 3), 2, 0.1, 2.0)] if weighted else [])

    def op(m, a, b, *w):
        return m.nn.functional.binary_cross_entropy(a, b, *w, reduction=reduction)

    check_op(op, *arrays, requires_grad=[True, True, False][: len(arrays)], double=True)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    x, y = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    check_op(
        lambda m, a, b: m.nn.functional.binary_cross_entropy(a, b, reduction="none"),
        x,
        y,
        requires_grad=[True, False],
        gradcheck=False,
    )
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(gradiente.tensor([1.5]), gradiente.tensor([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits_matches_torch(reduction, weighted, pos_weighted):
    x, y = uniform((4, 3), 0, -5, 5), uniform((4, 3), 1, 0.0, 1.0)
    w = uniform((4, 3), 2, 0.1, 2.0) if weighted else None
    pw = uniform((3,), 3, 0.5, 3.0) if pos_weighted else None

    def op(m, a, b):
        weight = None if w is None else m.from_numpy(w.copy())
        pos_weight = None if pw is None else m.from_numpy(pw.copy())
        return m.nn.functional.binary_cross_entropy_with_logits(
            a, b, weight, reduction=reduction, pos_weight=pos_weight
        )

    check_op(op, x, y, double=True)


def test_bce_with_logits_is_stable_for_huge_logits():
    x, y = np.array([-1e4, 1e4, 800.0, -800.0]), np.array([1.0, 0.0, 1.0, 0.0])
    check_op(
        lambda m, a, b: m.nn.functional.binary_cross_entropy_with_logits(a, b, reduction="none"),
        x,
        y,
        gradcheck=False,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_has_the_targets_dtype_like_torch(reduction):
    """A float64 input with a float32 target (a float64 model, ``.float()`` labels) gives a
    float32 loss in torch, whose gradient is still the float64 one, σ(x) − y."""
    x, y = uniform((5,), 0, -3, 3), np.array([1.0, 0.0, 1.0, 0.0, 1.0], dtype=np.float32)
    results = []
    for m in (gradiente, torch):
        xt = m.tensor(x, requires_grad=True)
        loss = m.nn.functional.binary_cross_entropy_with_logits(
            xt, m.tensor(y), reduction=reduction
        )
        loss.backward(m.ones_like(loss))
        results.append((str(loss.dtype), str(xt.grad.dtype), loss.tolist(), xt.grad.tolist()))
    (dtype, grad_dtype, value, grad), (t_dtype, t_grad_dtype, t_value, t_grad) = results
    assert (dtype, grad_dtype) == (t_dtype, t_grad_dtype) == ("torch.float32", "torch.float64")
    # torch rounds (1 − y)·x to float32 before it subtracts log σ(x) (gradiente rounds once, at
    # the end): the values agree to within the float32 rounding of x (|x| < 3, ulp 2.4e-7)
    np.testing.assert_allclose(value, t_value, rtol=1e-6, atol=3e-7)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-14)


@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("float32", "float64")])
def test_binary_cross_entropy_refuses_mixed_dtypes_like_torch(dtypes):
    x, y = (gradiente.full((3,), 0.5, dtype=getattr(gradiente, d)) for d in dtypes)
    names = {"float32": "Float", "float64": "Double"}
    message = f"Found dtype {names[dtypes[1]]} but expected {names[dtypes[0]]}"
    with pytest.raises(RuntimeError, match=message):
        F.binary_cross_entropy(x, y)
    with pytest.raises(RuntimeError, match=message):
        torch.nn.functional.binary_cross_entropy(
            *(torch.full((3,), 0.5, dtype=getattr(torch, d)) for d in dtypes)
        )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    x = np.log(probabilities((4, 5), 1, 0))
    y = probabilities((4, 5), 1, 1)
    y[0, 0] = 0.0  # 0 · log 0 = 0
    if log_target:
        y = np.log(probabilities((4, 5), 1, 1))

    def op(m, a, b):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return m.nn.functional.kl_div(a, b, reduction=reduction, log_target=log_target)

    check_op(op, x, y, requires_grad=[True, log_target], double=True)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x = uniform((3, 4))
    g_x = leaf(x)
    F.cross_entropy(g_x, gradiente.tensor([0, 3, 1]), reduction="sum").backward()
    p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    p[[0, 1, 2], [0, 3, 1]] -= 1
    assert_same(g_x.grad, torch.from_numpy(p))


RANKING = {
    "margin_ranking_loss": (
        lambda m, a, b, y, r: m.nn.functional.margin_ranking_loss(a, b, y, 0.3, reduction=r),
        lambda: [uniform((6,)), uniform((6,), 1), _signs((6,), 2)],
    ),
    "hinge_embedding_loss": (
        lambda m, a, y, r: m.nn.functional.hinge_embedding_loss(a, y, 0.8, reduction=r),
        lambda: [uniform((3, 4)), _signs((3, 4), 2)],
    ),
    "soft_margin_loss": (
        lambda m, a, y, r: m.nn.functional.soft_margin_loss(a, y, reduction=r),
        lambda: [uniform((3, 4)), _signs((3, 4), 2)],
    ),
    "cosine_embedding_loss": (
        lambda m, a, b, y, r: m.nn.functional.cosine_embedding_loss(a, b, y, 0.2, reduction=r),
        lambda: [uniform((5, 4)), uniform((5, 4), 1), _signs((5,), 2)],
    ),
    "triplet_margin_loss": (
        lambda m, a, p, n, r: m.nn.functional.triplet_margin_loss(a, p, n, reduction=r),
        lambda: [uniform((5, 4)), uniform((5, 4), 1), uniform((5, 4), 2)],
    ),
    "triplet_margin_loss_swap_p1": (
        lambda m, a, p, n, r: m.nn.functional.triplet_margin_loss(
            a, p, n, margin=0.5, p=1, swap=True, reduction=r
        ),
        lambda: [uniform((5, 4)), uniform((5, 4), 1), uniform((5, 4), 2)],
    ),
    "multilabel_soft_margin_loss": (
        lambda m, a, y, r: m.nn.functional.multilabel_soft_margin_loss(a, y, reduction=r),
        lambda: [uniform((5, 4)), class_indices((5, 4), 2).astype(np.float64)],
    ),
    "poisson_nll_loss": (
        lambda m, a, y, r: m.nn.functional.poisson_nll_loss(a, y, reduction=r),
        lambda: [uniform((5, 4)), uniform((5, 4), 1, 0.0, 4.0)],
    ),
    "poisson_nll_loss_full": (
        lambda m, a, y, r: m.nn.functional.poisson_nll_loss(
            a, y, log_input=False, full=True, reduction=r
        ),
        lambda: [uniform((5, 4), 0, 0.1, 3.0), uniform((5, 4), 1, 0.0, 4.0)],
    ),
    "gaussian_nll_loss": (
        lambda m, a, y, v, r: m.nn.functional.gaussian_nll_loss(a, y, v, reduction=r),
        lambda: [uniform((5, 4)), uniform((5, 4), 1), uniform((5, 4), 2, 0.1, 2.0)],
    ),
    "gaussian_nll_loss_full_shared_var": (
        lambda m, a, y, v, r: m.nn.functional.gaussian_nll_loss(a, y, v, full=True, reduction=r),
        lambda: [uniform((5, 4)), uniform((5, 4), 1), uniform((5, 1), 2, 0.1, 2.0)],
    ),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", RANKING)
def test_ranking_and_embedding_losses_match_torch(name, reduction):
    fn, make = RANKING[name]
    arrays = make()
    # labels (±1, 0/1) and Poisson counts are targets: no gradient
    is_target = ["y" in fn.__code__.co_varnames[1 + i] for i in range(len(arrays))]
    check_op(
        lambda m, *xs: fn(m, *xs, reduction),
        *arrays,
        requires_grad=[not t for t in is_target],
    )


_IGNORED_CASES = {
    "2d": ((3, 4), np.full(3, -100)),
    "k_dim": ((2, 4, 3, 2), np.full((2, 3, 2), -100)),
    "unbatched": ((4,), np.array(-100)),
    "zero_weight_class": ((3, 4), np.array([1, 1, 1])),  # kept, but Σw = 0
    "some_ignored": ((3, 4), np.array([1, -100, 2])),
}


@pytest.mark.parametrize("case", list(_IGNORED_CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_all_ignored_targets_give_zero_gradient_like_torch(case, reduction, weighted, smoothing):
    """torch: the mean is 0/0 = NaN, but an ignored target's row of the gradient is exactly
    0 (only kept targets are written), not NaN; double backward too."""
    shape, target = _IGNORED_CASES[case]
    x = uniform(shape, 5)
    weight = np.array([0.5, 0.0, 1.0, 3.0]) if weighted else None
    for name in ("cross_entropy", "nll_loss"):
        if name == "nll_loss" and smoothing:
            continue
        for lib in (gradiente, torch):
            xs = lib.from_numpy(x.copy()).requires_grad_()
            w = None if weight is None else lib.from_numpy(weight.copy())
            kwargs = {"label_smoothing": smoothing} if name == "cross_entropy" else {}
            fn = getattr(lib.nn.functional, name)
            loss = fn(xs, lib.from_numpy(target.copy()), w, reduction=reduction, **kwargs)
            up = lib.from_numpy(np.random.default_rng(1).standard_normal(tuple(loss.shape)))
            (g1,) = lib.autograd.grad(loss, xs, up, create_graph=True)
            g2 = None  # NLL's gradient is constant in x: gradiente builds no graph for it
            if g1.requires_grad:
                second = (g1 * g1.detach().nan_to_num()).sum()
                (g2,) = lib.autograd.grad(second, xs, allow_unused=True)
            if lib is gradiente:
                got = [loss.detach().numpy(), g1.detach().numpy(), g2]
            else:
                expected = [loss.detach().numpy(), g1.detach().numpy(), g2]
        for a, b, what in zip(got, expected, ("loss", "gradient", "second derivative")):
            if b is None or a is None:
                assert b is None or not np.any(b.numpy()), (name, what)
                continue
            a = a if isinstance(a, np.ndarray) else a.numpy()
            b = b if isinstance(b, np.ndarray) else b.numpy()
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12, err_msg=f"{name} {what}")


def test_all_ignored_gradient_without_create_graph():
    x = gradiente.from_numpy(uniform((3, 4))).requires_grad_()
    target = gradiente.tensor([-100, -100, -100])
    for loss in (F.cross_entropy(x, target), F.nll_loss(x, target)):
        assert np.isnan(loss.item())
        (g,) = gradiente.autograd.grad(loss, x)
        np.testing.assert_array_equal(g.numpy(), np.zeros((3, 4)))


def test_class_weights_gradient_like_torch():
    """Class-index targets: torch refuses a weight that requires grad; probability targets:
    the weight is differentiable (dL/dw_c = −Σ_i s_i q_ic log softmax(x_i)_c)."""
    w = gradiente.tensor([0.5, 2.0, 1.0], requires_grad=True)
    x = gradiente.from_numpy(uniform((4, 3)))
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
            fn(x, gradiente.tensor([0, 1, 2, 1]), w)
    with gradiente.no_grad():
        F.nll_loss(x, gradiente.tensor([0, 1, 2, 1]), w)
    for eps in (0.0, 0.3):
        check_op(
            lambda m, a, p, ww, eps=eps: m.nn.functional.cross_entropy(
                a, p, ww, label_smoothing=eps
            ),
            uniform((4, 3)),
            probabilities((4, 3), 1, 2),
            uniform((3,), 3, 0.2, 2.0),
            requires_grad=[True, False, True],
        )


@pytest.mark.parametrize("name", ["smooth_l1_loss", "huber_loss"])
def test_smooth_losses_at_infinite_and_nan_differences(name):
    """Found by the fuzzer: an infinite x - y gave a NaN gradient through the unused branch."""
    x = np.array([1.25, 3.0, -0.5, -np.inf, np.inf, np.nan])
    y = np.array([-2.25, 1.5, 1.4, -2.25, 0.0, 0.0])
    check_op(
        lambda m, a, b: getattr(m.nn.functional, name)(a, b, reduction="none"),
        x, y, requires_grad=[True, False], gradcheck=False,
    )  # fmt: skip


def _same_with_signs(g, t):
    g, t = g.detach().numpy(), t.detach().numpy()
    np.testing.assert_array_equal(g, t)
    zeros = t == 0
    np.testing.assert_array_equal(np.signbit(g[zeros]), np.signbit(t[zeros]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_ignored_rows_with_nan_or_inf_count_zero(reduction, smoothing):
    """Found by the fuzzer: an ignored target's row holding NaN/inf made the loss NaN (0 · NaN);
    torch writes an exact +0.0 for it."""
    x = np.array([[-np.inf, 1.0], [np.nan, 0.5], [np.inf, 2.0], [3.0, -1.0]])
    y = np.array([0, 1, 0, 1])
    for ignore in (0, 1):
        out = []
        for lib in (gradiente, torch):
            xt = lib.tensor(x, requires_grad=True)
            loss = lib.nn.functional.cross_entropy(
                xt, lib.tensor(y), reduction=reduction, ignore_index=ignore,
                label_smoothing=smoothing,
            )  # fmt: skip
            out.append(loss)
        _same_with_signs(*out)
    check_op(
        lambda m, a: m.nn.functional.cross_entropy(
            a, m.tensor([0, -100, 2, -100]), reduction=reduction, label_smoothing=smoothing
        ),
        uniform((4, 3)),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_signed_zeros_match_torch(reduction):
    """Found by the fuzzer: with one class every log-probability is 0, so the losses are zeros
    whose sign follows torch's formulas: probability targets −Σ q log p negated after the sum
    (−0.0), one unbatched sample 0 − w log p (+0.0), ignored targets +0.0."""
    x = np.array([[1.46], [0.3], [2.9], [2.75]])
    cases = [
        lambda m: m.nn.functional.cross_entropy(m.tensor(x), m.tensor(x * 2), reduction=reduction),
        lambda m: m.nn.functional.cross_entropy(
            m.tensor([2.0]), m.tensor([3.25]), reduction=reduction, label_smoothing=0.5
        ),
        lambda m: m.nn.functional.cross_entropy(m.tensor([2.0]), m.tensor(0), reduction=reduction),
        lambda m: m.nn.functional.nll_loss(
            m.tensor([0.0]), m.tensor(0), m.tensor([1.25]), reduction=reduction
        ),
        lambda m: m.nn.functional.nll_loss(
            m.tensor([[0.0], [-0.0], [float("nan")]]), m.tensor([0, 0, -100]), reduction=reduction
        ),
    ]
    for case in cases:
        _same_with_signs(case(gradiente), case(torch))


def test_kl_div_zero_targets_as_torch_xlogy():
    """Found by the fuzzer: y log y at y = -0.0 is +0.0 (torch's xlogy), and the target's
    gradient there is NaN as torch's (the y / y of d xlogy(y, y) / dy)."""
    x = np.array([-1.0, -2.0, -0.5, -1.5, -1.0, -np.inf])
    y = np.array([0.0, -0.0, 0.5, np.inf, -1.0, 0.0])
    up = np.arange(1.0, 7.0)
    res = []
    for lib in (gradiente, torch):
        xt, yt = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        out = lib.nn.functional.kl_div(xt, yt, reduction="none")
        out.backward(lib.tensor(up))
        res.append((out, xt.grad, yt.grad))
    for g, t in zip(*res, strict=True):
        _same_with_signs(g, t)
    check_op(
        lambda m, a, b: m.nn.functional.kl_div(a, b, reduction="batchmean"),
        uniform((3, 4)),
        uniform((3, 4), 1, 0.1, 1.0),
    )


@pytest.mark.parametrize(
    "name", ["mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy_with_logits"]
)
def test_fused_losses_keep_their_target_and_name_like_torch(name):
    """PyTorch's fused losses save input and target: changing the target in place before
    backward is refused, and the loss prints the fused node's name."""
    names = []
    for M in (gradiente, torch):
        x = M.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = M.tensor([0.0, 1.0, 1.0])
        loss = getattr(M.nn.functional, name)(x, y)
        names.append(type(loss.grad_fn).__name__ if M is torch else loss.grad_fn.name())
        y.mul_(0.5)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
    assert names[0] == names[1]


def test_probability_target_gradient_with_an_infinite_upstream_gradient_matches_torch():
    """PyTorch composes the probability-target loss; its gradient's NaNs and infinities
    follow that composition (an infinite upstream gradient or weight)."""
    grads = []
    for lib in (gradiente, torch):
        x = lib.tensor([[1.0780444145202637, 2.0], [0.5, -1.0]], dtype=lib.float32)
        x.requires_grad_()
        target = lib.tensor([[0.25, 2.0], [0.5, 0.5]], dtype=lib.float32)
        for weight in (None, lib.tensor([2.6480047702789307, -float("inf")])):
            loss = lib.nn.functional.cross_entropy(x, target, weight=weight, reduction="sum")
            lib.sinh(loss * 100).backward()  # sinh'(±∞) = ∞
            grads.append(x.grad.numpy().copy())
            x.grad = None
    half = len(grads) // 2
    for ours, theirs in zip(grads[:half], grads[half:]):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_array_equal(ours[~np.isnan(ours)], theirs[~np.isnan(theirs)])

"""torch.nn parity fixes found by comparing scripts under torch and ``gradiente run``: attention
mask checks, SDPA's attn_mask with is_causal, cross-entropy's saved tensors, empty batches in
the normalisation layers, grad_fn names, and the layers, functions and losses that were
missing (each compared with torch: values, gradients, random streams, reprs and errors)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn as nn
import gradiente.nn.functional as F
from conftest import assert_same, check_op, from_torch, to_torch, uniform

torch = pytest.importorskip("torch")


def _error(fn):
    """(type name, message) of what ``fn()`` raises."""
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


def _same_error(make):
    """``make(lib)`` raises the same exception type and message in gradiente and torch."""
    assert _error(lambda: make(gradiente)) == _error(lambda: make(torch))


# ------------------------------------------------------------------ attention mask checks


def _mha(lib, batch_first):
    lib.manual_seed(0)
    return lib.nn.MultiheadAttention(4, 2, batch_first=batch_first)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_refuses_a_transposed_key_padding_mask(batch_first, need_weights):
    x = uniform((2, 3, 4))  # batch 2, length 3 (batch_first) or length 2, batch 3

    def call(lib):
        mha = _mha(lib, batch_first)
        t = lib.from_numpy(x).float()
        # (S, N) where (N, S) is expected: batch_first, N = 2, S = 3; else S = 2, N = 3
        mask = lib.zeros((3, 2) if batch_first else (2, 3), dtype=lib.bool)
        return mha(t, t, t, key_padding_mask=mask, need_weights=need_weights)

    _same_error(call)


@pytest.mark.parametrize(
    "mask_shape, query_shape",
    [((2, 3, 1), (2, 3, 4)), ((3,), (2, 3, 4)), ((1, 3), (3, 4)), ((4,), (3, 4))],
)
def test_mha_refuses_key_padding_masks_of_the_wrong_rank_or_length(mask_shape, query_shape):
    x = uniform(query_shape)

    def call(lib):
        mha = _mha(lib, True)
        t = lib.from_numpy(x).float()
        return mha(t, t, t, key_padding_mask=lib.zeros(mask_shape, dtype=lib.bool))

    _same_error(call)


def test_mha_refuses_keys_and_values_of_different_lengths():
    q, k, v = uniform((2, 3, 4)), uniform((2, 5, 4), 1), uniform((2, 4, 4), 2)

    def call(lib):
        mha = _mha(lib, True)
        return mha(*(lib.from_numpy(a).float() for a in (q, k, v)))

    _same_error(call)


def test_transformer_layer_refuses_a_transposed_padding_mask():
    def call(lib):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        x = lib.ones(2, 5, 8)
        return layer(x, src_key_padding_mask=lib.zeros(5, 2, dtype=lib.bool))

    _same_error(call)


def test_mha_with_a_correct_padding_mask_still_matches_torch():
    x = uniform((2, 3, 4))
    mask = np.array([[False, False, True], [False, True, True]])
    outs = {}
    for lib in (gradiente, torch):
        mha = _mha(lib, True)
        t = lib.from_numpy(x).float()
        outs[lib.__name__] = mha(t, t, t, key_padding_mask=lib.from_numpy(mask))
    for g, t in zip(outs["gradiente"], outs["torch"], strict=True):
        assert_same(g, t, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------- SDPA: mask and causal


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("L, S", [(3, 5), (5, 3), (4, 4)])
def test_sdpa_applies_attn_mask_and_is_causal_together(kind, L, S):
    rng = np.random.default_rng(0)
    q, k, v = uniform((1, 2, L, 4)), uniform((1, 2, S, 4), 1), uniform((1, 2, S, 4), 2)
    mask = rng.random((L, S)) > 0.3 if kind == "bool" else rng.standard_normal((L, S))
    mask[0, 0] = False if kind == "bool" else mask[0, 0]  # a fully masked first row

    def op(lib, q, k, v):
        m = lib.from_numpy(mask)
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=True)

    check_op(op, q, k, v)


@pytest.mark.parametrize(
    "case",
    [
        "3-D inputs",
        "dropout",
        "mask requires grad",
        "value head size differs",
        "3-D mask",
        "batch broadcast",
    ],
)
def test_sdpa_refuses_mask_and_causal_where_torch_falls_back_to_math(case):
    shapes = {"q": (1, 2, 3, 4), "k": (1, 2, 5, 4), "v": (1, 2, 5, 4), "m": (3, 5)}
    kwargs = {}
    if case == "3-D inputs":
        shapes.update(q=(2, 3, 4), k=(2, 5, 4), v=(2, 5, 4))
    elif case == "dropout":
        kwargs["dropout_p"] = 0.5
    elif case == "value head size differs":
        shapes["v"] = (1, 2, 5, 6)
    elif case == "3-D mask":
        shapes["m"] = (2, 3, 5)
    elif case == "batch broadcast":
        shapes["q"] = (2, 2, 3, 4)
    arrays = {name: uniform(shape, i) for i, (name, shape) in enumerate(shapes.items())}

    def call(lib):
        q, k, v, m = (lib.from_numpy(arrays[n]) for n in "qkvm")
        m.requires_grad_(case == "mask requires grad")
        f = lib.nn.functional.scaled_dot_product_attention
        return f(q, k, v, attn_mask=m, is_causal=True, **kwargs)

    _same_error(call)


@pytest.mark.parametrize("L, S", [(2, 0), (0, 2)])
def test_sdpa_with_an_empty_sequence(L, S):
    def op(lib, q, k, v):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v)

    out = check_op(op, uniform((1, L, 4)), uniform((1, S, 4), 1), uniform((1, S, 4), 2))
    assert not out[0].detach().numpy().any()


# ------------------------------------------------- what the losses keep for their backward


def test_cross_entropy_allows_changing_the_logits_in_place_before_backward():
    x, y = uniform((3, 4)), np.array([0, 2, 1])
    grads = []
    for lib in (gradiente, torch):
        w = lib.from_numpy(x).requires_grad_()
        logits = w * 1
        loss = lib.nn.functional.cross_entropy(logits, lib.from_numpy(y))
        logits.mul_(2)
        loss.backward()
        grads.append(w.grad)
    assert_same(*grads)


def _inputs(kind):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    targets = {
        "class": np.array([0, 2, 1]),
        "prob": np.exp(x) / np.exp(x).sum(1, keepdims=True),
        "same": rng.standard_normal((3, 4)),
        "unit": rng.random((3, 4)),
    }
    return x, targets[kind]


LOSSES = {
    "ce": ("class", lambda F, x, t: F.cross_entropy(x, t)),
    "ce_weight": ("class", lambda F, x, t: F.cross_entropy(x, t, weight=x.new_ones(4))),
    "ce_smoothing": ("class", lambda F, x, t: F.cross_entropy(x, t, label_smoothing=0.1)),
    "ce_prob": ("prob", lambda F, x, t: F.cross_entropy(x, t)),
    "ce_prob_smoothing": ("prob", lambda F, x, t: F.cross_entropy(x, t, label_smoothing=0.1)),
    "ce_none": ("class", lambda F, x, t: F.cross_entropy(x, t, reduction="none")),
    "nll": ("class", lambda F, x, t: F.nll_loss(x, t)),
    "mse": ("same", lambda F, x, t: F.mse_loss(x, t)),
    "l1": ("same", lambda F, x, t: F.l1_loss(x, t)),
    "bce_logits": ("unit", lambda F, x, t: F.binary_cross_entropy_with_logits(x, t)),
    "soft_margin": ("same", lambda F, x, t: F.soft_margin_loss(x, t)),
    "kl": ("same", lambda F, x, t: F.kl_div(x, t, reduction="batchmean")),
    "multilabel_soft_margin": ("unit", lambda F, x, t: F.multilabel_soft_margin_loss(x, t)),
}


@pytest.mark.parametrize("changed", ["input", "target"])
@pytest.mark.parametrize("name", LOSSES)
def test_losses_refuse_in_place_changes_exactly_where_torch_does(name, changed):
    kind, loss_fn = LOSSES[name]
    x, t = _inputs(kind)

    def outcome(lib):
        w = lib.from_numpy(x).requires_grad_()
        logits, target = w * 1, lib.from_numpy(t.copy())
        loss = loss_fn(lib.nn.functional, logits, target)
        if changed == "input":
            logits.add_(1)
        elif target.dtype.is_floating_point:
            target.add_(1)
        else:
            target.fill_(0)
        try:
            loss.sum().backward()
        except RuntimeError as error:
            assert "modified by an inplace operation" in str(error)
            return "refused", None
        return "ok", w.grad

    (g_result, g_grad), (t_result, t_grad) = outcome(gradiente), outcome(torch)
    assert g_result == t_result
    if g_grad is not None:
        assert_same(g_grad, t_grad)


def test_cross_entropy_with_smoothed_probabilities_uses_the_target_of_the_forward():
    x, t = _inputs("prob")
    grads = []
    for lib in (gradiente, torch):
        w = lib.from_numpy(x).requires_grad_()
        target = lib.from_numpy(t.copy())
        loss = lib.nn.functional.cross_entropy(w, target, label_smoothing=0.2)
        target.mul_(3)
        loss.backward()
        grads.append(w.grad)
    assert_same(*grads)


@pytest.mark.parametrize("kind", ["class", "prob"])
def test_cross_entropy_double_backward_still_matches_torch(kind):
    x, t = _inputs(kind)
    v = uniform((3, 4), 4)
    results = []
    for lib in (gradiente, torch):
        w = lib.from_numpy(x).requires_grad_()
        loss = lib.nn.functional.cross_entropy(w, lib.from_numpy(t), label_smoothing=0.1)
        (g,) = lib.autograd.grad(loss, w, create_graph=True)
        (gg,) = lib.autograd.grad((g * lib.from_numpy(v)).sum(), w)
        results.append((g, gg))
    for g, t in zip(*results, strict=True):
        assert_same(g, t)


def test_cross_entropy_double_backward_refuses_logits_changed_in_place():
    """gradiente rebuilds log_softmax(x) from x for the differentiable gradient; torch keeps
    its output. Changed x: gradiente refuses (never a silently wrong second derivative)."""
    w = gradiente.from_numpy(uniform((3, 4))).requires_grad_()
    logits = w * 1
    loss = F.cross_entropy(logits, gradiente.tensor([0, 2, 1]))
    logits.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        gradiente.autograd.grad(loss, w, create_graph=True)


# --------------------------------------------------------------------------- empty batches


EMPTY_CASES = {
    "LayerNorm": (lambda nn: nn.LayerNorm(3), (0, 3)),
    "LayerNorm no features": (lambda nn: nn.LayerNorm(0), (2, 0)),
    "GroupNorm": (lambda nn: nn.GroupNorm(1, 3), (0, 3, 4)),
    "BatchNorm1d": (lambda nn: nn.BatchNorm1d(3), (0, 3)),
    "BatchNorm2d": (lambda nn: nn.BatchNorm2d(3), (0, 3, 2, 2)),
    "BatchNorm2d no positions": (lambda nn: nn.BatchNorm2d(3), (2, 3, 0, 2)),
    "BatchNorm1d eval": (lambda nn: nn.BatchNorm1d(3).eval(), (0, 3)),
    "BatchNorm untracked": (lambda nn: nn.BatchNorm1d(3, track_running_stats=False), (0, 3)),
    "InstanceNorm1d": (lambda nn: nn.InstanceNorm1d(3), (0, 3, 4)),
    "InstanceNorm1d no positions": (lambda nn: nn.InstanceNorm1d(3, affine=True), (2, 3, 0)),
    "TransformerEncoderLayer": (
        lambda nn: nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True),
        (0, 3, 4),
    ),
}


@pytest.mark.parametrize("name", EMPTY_CASES)
def test_layers_accept_an_empty_batch(name):
    make, shape = EMPTY_CASES[name]
    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        layer = make(lib.nn)
        x = lib.zeros(shape).requires_grad_()
        y = layer(x)
        y.sum().backward()
        grads = [p.grad for p in layer.parameters()]
        results.append((y, x.grad, grads, list(layer.buffers())))
    (g_y, g_dx, g_grads, g_bufs), (t_y, t_dx, t_grads, t_bufs) = results
    assert_same(g_y, t_y)
    assert_same(g_dx, t_dx)
    for g, t in zip(g_grads + g_bufs, t_grads + t_bufs, strict=True):
        assert_same(g, t)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda nn: nn.BatchNorm1d(3), (1, 3)),
        (lambda nn: nn.BatchNorm2d(3), (1, 3, 1, 1)),
        (lambda nn: nn.InstanceNorm1d(3), (2, 3, 1)),
    ],
)
def test_one_value_per_channel_is_refused_as_torch_does(make, shape):
    _same_error(lambda lib: make(lib.nn)(lib.zeros(shape)))


# ------------------------------------------------------------------------- grad_fn names


GRAD_FN_CASES = {
    "LayerNorm": lambda lib, x: lib.nn.LayerNorm(4)(x),
    "LayerNorm no affine": lambda lib, x: lib.nn.LayerNorm(4, elementwise_affine=False)(x),
    "BatchNorm1d": lambda lib, x: lib.nn.BatchNorm1d(3)(x),
    "InstanceNorm1d": lambda lib, x: lib.nn.InstanceNorm1d(3, affine=True)(x),
    "Linear 2-D": lambda lib, x: lib.nn.Linear(4, 5)(x[0]),
    "Linear 3-D": lambda lib, x: lib.nn.Linear(4, 5)(x),
    "Linear no bias 2-D": lambda lib, x: lib.nn.Linear(4, 5, bias=False)(x[0]),
    "Linear no bias 3-D": lambda lib, x: lib.nn.Linear(4, 5, bias=False)(x),
    "Linear 1-D": lambda lib, x: lib.nn.Linear(4, 5)(x[0, 0]),
    "Linear no bias 1-D": lambda lib, x: lib.nn.Linear(4, 5, bias=False)(x[0, 0]),
    "celu": lambda lib, x: lib.nn.functional.celu(x),
    "selu": lambda lib, x: lib.nn.functional.selu(x),
    "softsign": lambda lib, x: lib.nn.functional.softsign(x),
    "tanhshrink": lambda lib, x: lib.nn.functional.tanhshrink(x),
    "soft_margin_loss": lambda lib, x: lib.nn.functional.soft_margin_loss(x, x.detach()),
    "multi_margin_loss": lambda lib, x: lib.nn.functional.multi_margin_loss(
        x[0], lib.tensor([0, 1, 3])
    ),
    "pdist": lambda lib, x: lib.nn.functional.pdist(x[0]),
}


@pytest.mark.parametrize("name", GRAD_FN_CASES)
def test_grad_fn_names_match_torch(name):
    names = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        x = lib.ones(2, 3, 4, requires_grad=True)
        names.append(GRAD_FN_CASES[name](lib, x).grad_fn.name())
    assert names[0] == names[1]


# ---------------------------------------------------------------- layers that were missing


def _compare_layer(make, *arrays, rtol=1e-6, atol=1e-7):
    """``make(lib)`` in both libraries: same repr, outputs and input gradients."""
    results = []
    for lib in (gradiente, torch):
        lib.manual_seed(0)
        layer = make(lib)
        inputs = [lib.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in arrays]
        out = layer(*inputs)
        outs = list(out) if isinstance(out, tuple) else [out]
        float_outs = [o for o in outs if o.dtype.is_floating_point]
        ups = [lib.from_numpy(uniform(tuple(o.shape), 7 + i)) for i, o in enumerate(float_outs)]
        sum(((o * u).sum() for o, u in zip(float_outs, ups, strict=True)), lib.zeros(())).backward()
        results.append((repr(layer), outs, [x.grad for x in inputs if x.requires_grad]))
    (g_repr, g_outs, g_grads), (t_repr, t_outs, t_grads) = results
    assert g_repr == t_repr
    for g, t in zip(g_outs + g_grads, t_outs + t_grads, strict=True):
        assert_same(g, t, rtol=rtol, atol=atol)


LAYERS = {
    "Unfold": (lambda lib: lib.nn.Unfold((2, 3), padding=1, stride=(2, 1)), (2, 3, 5, 6)),
    "Fold": (lambda lib: lib.nn.Fold((4, 5), 2, dilation=1, stride=1), (2, 8, 12)),
    "AdaptiveMaxPool1d": (lambda lib: lib.nn.AdaptiveMaxPool1d(3), (2, 3, 7)),
    "AdaptiveMaxPool1d indices": (lambda lib: lib.nn.AdaptiveMaxPool1d(4, True), (2, 3, 9)),
    "LocalResponseNorm 3-D": (lambda lib: lib.nn.LocalResponseNorm(2), (2, 5, 7)),
    "LocalResponseNorm 4-D": (lambda lib: lib.nn.LocalResponseNorm(3, 0.1, 0.6, 1.5), (2, 6, 3, 4)),
    "LocalResponseNorm 5-D": (lambda lib: lib.nn.LocalResponseNorm(4), (2, 5, 2, 3, 2)),
    "ZeroPad3d": (lambda lib: lib.nn.ZeroPad3d(1), (1, 2, 3, 4, 5)),
    "ConstantPad3d": (lambda lib: lib.nn.ConstantPad3d((1, 0, 2, 1, 0, 1), 3.5), (1, 2, 3, 4, 5)),
    "ReflectionPad3d": (lambda lib: lib.nn.ReflectionPad3d((1, 2, 0, 1, 2, 1)), (1, 2, 3, 4, 5)),
    "ReplicationPad3d": (lambda lib: lib.nn.ReplicationPad3d(2), (1, 2, 3, 4, 5)),
    "CircularPad3d": (lambda lib: lib.nn.CircularPad3d((1, 0, 1, 0, 2, 2)), (1, 2, 3, 4, 5)),
    "RReLU eval": (lambda lib: lib.nn.RReLU(0.1, 0.3).eval(), (4, 5)),
    "AlphaDropout": (lambda lib: lib.nn.AlphaDropout(0.2), (4, 5)),
    "AlphaDropout eval": (lambda lib: lib.nn.AlphaDropout(0.2).eval(), (4, 5)),
    "FeatureAlphaDropout": (lambda lib: lib.nn.FeatureAlphaDropout(0.4), (2, 3, 4)),
    "RReLU training": (lambda lib: lib.nn.RReLU(), (4, 5)),
    "DataParallel": (lambda lib: lib.nn.DataParallel(lib.nn.Linear(5, 2)), (4, 5)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", LAYERS)
def test_new_layers_match_torch(name, dtype):
    make, shape = LAYERS[name]
    x = uniform(shape).astype(dtype)
    if name == "DataParallel":
        x = x.astype(np.float32)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {}
    _compare_layer(make, x, **tol)


@pytest.mark.parametrize("lower, upper", [(1 / 8, 1 / 3), (0.2, 0.2), (0.0, 1.0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rrelu_draws_torchs_slopes(lower, upper, dtype):
    x = uniform((6, 7))
    outs = []
    for lib in (gradiente, torch):
        lib.manual_seed(3)
        t = lib.from_numpy(x).to(getattr(lib, dtype)).requires_grad_()
        y = lib.nn.functional.rrelu(t, lower, upper, training=True)
        y.backward(lib.ones_like(y))
        after = lib.rand(2, dtype=lib.float64)  # the generator advanced by the same amount
        z = t.detach().clone()
        lib.nn.functional.rrelu_(z, lower, upper, training=True)
        outs.append((y, t.grad, after, z))
    for g, t in zip(*outs, strict=True):
        assert_same(g, t, rtol=0, atol=0)


@pytest.mark.parametrize("feature", [False, True])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_alpha_dropout_draws_torchs_pattern(feature, p):
    x = uniform((3, 4, 5)).astype(np.float32)
    outs = []
    for lib in (gradiente, torch):
        lib.manual_seed(1)
        f = lib.nn.functional
        fn = f.feature_alpha_dropout if feature else f.alpha_dropout
        t = lib.from_numpy(x.copy()).requires_grad_()
        y = fn(t, p, training=True)
        y.backward(lib.ones_like(y))
        z = lib.from_numpy(x.copy())
        fn(z, p, training=True, inplace=True)
        outs.append((y, t.grad, z, fn(t, p)))  # the last: training=False by default
    for g, t in zip(*outs, strict=True):
        assert_same(g, t, rtol=1e-6, atol=1e-7)


def test_randomised_ops_pass_gradcheck_with_their_draw_fixed():
    x = gradiente.from_numpy(uniform((3, 4))).requires_grad_()

    def seeded(fn):
        def run(x):
            gradiente.manual_seed(5)
            return fn(x)

        return run

    for fn in (
        lambda x: F.rrelu(x, training=True),
        lambda x: F.rrelu(x),
        lambda x: F.alpha_dropout(x, 0.3, training=True),
        lambda x: F.feature_alpha_dropout(x, 0.3, training=True),
        lambda x: F.gumbel_softmax(x, tau=0.7, dim=0),
    ):  # (hard gumbel_softmax is piecewise constant: its straight-through gradient is no
        # derivative of the output, so gradcheck does not apply)
        assert gradiente.autograd.gradcheck(seeded(fn), (x,))


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_matches_torch(hard, dim):
    x = uniform((4, 5))
    outs = []
    for lib in (gradiente, torch):
        lib.manual_seed(2)
        t = lib.from_numpy(x).float().requires_grad_()
        y = lib.nn.functional.gumbel_softmax(t, tau=0.5, hard=hard, dim=dim)
        y.backward(lib.from_numpy(uniform((4, 5), 1)).float())
        outs.append((y, t.grad))
    for g, t in zip(*outs, strict=True):
        assert_same(g, t, rtol=1e-5, atol=1e-6)


INPLACE = {
    "elu_": lambda f, x: f.elu_(x, 0.7),
    "leaky_relu_": lambda f, x: f.leaky_relu_(x, 0.2),
    "hardtanh_": lambda f, x: f.hardtanh_(x, -0.5, 0.5),
    "threshold_": lambda f, x: f.threshold_(x, 0.1, 9.0),
    "celu_": lambda f, x: f.celu_(x, 2.0),
    "selu_": lambda f, x: f.selu_(x),
    "rrelu_ eval": lambda f, x: f.rrelu_(x),
    "relu_": lambda f, x: f.relu_(x),
}


@pytest.mark.parametrize("name", INPLACE)
def test_in_place_activations(name):
    def op(lib, w):
        x = w * 1
        out = INPLACE[name](lib.nn.functional, x)
        assert out is x
        return x

    check_op(op, uniform((3, 4)))


# ------------------------------------------------------------------------- missing losses


MULTI_MARGIN = [
    {},
    {"p": 2},
    {"margin": 0.3},
    {"weight": True},
    {"p": 2, "weight": True, "reduction": "sum"},
    {"reduction": "none"},
]


@pytest.mark.parametrize("kwargs", MULTI_MARGIN)
def test_multi_margin_loss(kwargs):
    weight = uniform((5,), 3, 0.1, 2.0)

    def op(lib, x):
        kw = dict(kwargs)
        if kw.pop("weight", False):
            kw["weight"] = lib.from_numpy(weight)
        return lib.nn.functional.multi_margin_loss(x, lib.tensor([1, 0, 4]), **kw)

    check_op(op, uniform((3, 5)))


def test_multi_margin_loss_of_one_sample_and_the_module():
    check_op(
        lambda lib, x: lib.nn.functional.multi_margin_loss(x, lib.tensor(2), reduction="none"),
        uniform((5,)),
    )
    weight = uniform((5,), 3, 0.1, 2.0)
    _compare_layer(
        lambda lib: lib.nn.MultiMarginLoss(p=2, margin=0.5, weight=lib.from_numpy(weight)),
        uniform((3, 5)),
        np.array([1, 0, 4]),
    )
    module = nn.MultiMarginLoss(weight=gradiente.ones(3))
    assert list(module.state_dict()) == ["weight"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss(reduction):
    target = np.array([[1, 3, -1, 0, 0], [4, 4, 2, -1, 1], [0, 1, 2, 3, 4]])

    def op(lib, x):
        return lib.nn.functional.multilabel_margin_loss(
            x, lib.from_numpy(target), reduction=reduction
        )

    check_op(op, uniform((3, 5)))
    check_op(
        lambda lib, x: lib.nn.functional.multilabel_margin_loss(
            x, lib.tensor([2, 0, -1, 4, 1]), reduction=reduction
        ),
        uniform((5,)),
    )
    _compare_layer(
        lambda lib: lib.nn.MultiLabelMarginLoss(reduction=reduction), uniform((3, 5)), target
    )


TRIPLET = {
    "default": {},
    "swap": {"swap": True, "margin": 0.5},
    "cosine": {"distance": "cosine"},
    "none": {"reduction": "none"},
}


@pytest.mark.parametrize("name", TRIPLET)
def test_triplet_margin_with_distance_loss(name):
    def op(lib, a, p, n):
        kw = dict(TRIPLET[name])
        if kw.pop("distance", None):
            kw["distance_function"] = lambda u, v: 1 - lib.nn.functional.cosine_similarity(u, v)
        return lib.nn.functional.triplet_margin_with_distance_loss(a, p, n, **kw)

    check_op(op, uniform((4, 3)), uniform((4, 3), 1), uniform((4, 3), 2))


def test_triplet_margin_with_distance_loss_module():
    arrays = uniform((4, 3)), uniform((4, 3), 1), uniform((4, 3), 2)
    _compare_layer(lambda lib: lib.nn.TripletMarginWithDistanceLoss(swap=True), *arrays)
    _compare_layer(
        lambda lib: lib.nn.TripletMarginWithDistanceLoss(
            distance_function=lib.nn.PairwiseDistance(p=1), margin=2.0
        ),
        *arrays,
    )


LOSS_ERRORS = {
    "multi_margin p=3": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(2, 3), lib.tensor([0, 1]), p=3
    ),
    "multi_margin target size": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(2, 5), lib.tensor([2, 1, 0])
    ),
    "multi_margin target range": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(2, 5), lib.tensor([2, 5])
    ),
    "multi_margin weight size": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(2, 5), lib.tensor([2, 1]), weight=lib.ones(4)
    ),
    "multi_margin 3-D": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(2, 3, 4), lib.tensor([2, 1])
    ),
    "multilabel_margin target size": lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.ones(2, 5), lib.tensor([2, 1])
    ),
    "multilabel_margin target range": lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.ones(2, 5), lib.tensor([[2, 7, 1, 1, 1], [1, 1, 1, 1, 1]])
    ),
    "triplet margin": lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3), margin=0.0
    ),
    "triplet ranks": lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        lib.ones(2, 3), lib.ones(3), lib.ones(2, 3)
    ),
    "triplet module margin": lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=-1.0),
}


@pytest.mark.parametrize("name", LOSS_ERRORS)
def test_loss_errors_match_torch(name):
    _same_error(LOSS_ERRORS[name])


# ------------------------------------------------------------------- functions and errors


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, float("inf"), 0.0])
def test_pdist(p):
    check_op(lambda lib, x: lib.nn.functional.pdist(x, p), uniform((5, 3)))


def test_pdist_edge_cases():
    for n in (0, 1):
        g = F.pdist(gradiente.zeros(n, 3))
        assert tuple(g.shape) == (0,)
    for make in (
        lambda lib: lib.nn.functional.pdist(lib.ones(2, 3, 4)),
        lambda lib: lib.nn.functional.pdist(lib.ones(3, 4), p=-1),
        lambda lib: lib.nn.functional.pdist(lib.ones(3, 4, dtype=lib.long)),
    ):
        _same_error(make)


def test_local_response_norm_gradcheck_and_errors():
    check_op(
        lambda lib, x: lib.nn.functional.local_response_norm(x, 3, 0.2, 0.6, 2.0),
        uniform((2, 4, 3)),
    )
    _same_error(lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3), 2))


@pytest.mark.parametrize(
    "x_shape, bias", [((4, 5), None), ((5,), None), ((2, 3, 5), "scalar"), ((5,), "scalar")]
)
def test_linear_with_a_vector_weight(x_shape, bias):
    def op(lib, x, w):
        b = None if bias is None else lib.tensor(0.5, dtype=lib.float64)
        return lib.nn.functional.linear(x, w, b)

    check_op(op, uniform(x_shape), uniform((5,), 1))
    _same_error(lambda lib: lib.nn.functional.linear(lib.ones(4, 5), lib.ones(5), lib.ones(4)))


ERRORS = {
    "BatchNorm2d channels": lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 4, 3, 3)),
    "BatchNorm2d eval channels": lambda lib: lib.nn.BatchNorm2d(3).eval()(lib.ones(2, 4, 3, 3)),
    "batch_norm weight": lambda lib: lib.nn.functional.batch_norm(
        lib.ones(2, 4), None, None, weight=lib.ones(3), training=True
    ),
    "batch_norm running_var": lambda lib: lib.nn.functional.batch_norm(
        lib.ones(2, 4), lib.zeros(4), lib.ones(3), lib.ones(3), training=True
    ),
    "InstanceNorm affine channels": lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(
        lib.ones(2, 4, 5)
    ),
    "InstanceNorm tracked channels": lambda lib: lib.nn.InstanceNorm1d(3, track_running_stats=True)(
        lib.ones(2, 4, 5)
    ),
    "Linear negative out": lambda lib: lib.nn.Linear(2, -1),
    "Linear negative in": lambda lib: lib.nn.Linear(-2, 1),
    "dropout long": lambda lib: lib.nn.functional.dropout(lib.arange(4)),
    "dropout bool": lambda lib: lib.nn.functional.dropout(lib.tensor([True, False])),
    "dropout2d long": lambda lib: lib.nn.functional.dropout2d(lib.arange(8).reshape(2, 2, 2, 1)),
    "alpha_dropout long": lambda lib: lib.nn.functional.alpha_dropout(lib.arange(4), training=True),
    "rrelu bounds": lambda lib: lib.nn.functional.rrelu(lib.ones(3), 0.5, 0.1),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    _same_error(ERRORS[name])


def test_instance_norm_without_affine_accepts_other_channel_counts():
    x = uniform((2, 4, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        g = nn.InstanceNorm1d(3)(gradiente.from_numpy(x))
    t = torch.nn.InstanceNorm1d(3)(torch.from_numpy(x))
    assert_same(g, t)


def test_dropout_of_integers_where_torch_returns_them():
    for kwargs in ({"training": False}, {"p": 0.0}, {"p": 1.0}):
        g = F.dropout(gradiente.arange(4), **kwargs)
        t = torch.nn.functional.dropout(torch.arange(4), **kwargs)
        assert_same(g, t)


def test_conftest_helpers_round_trip():
    t = torch.arange(3.0)
    assert_same(from_torch(t), to_torch(from_torch(t)))

"""Fixes found by running realistic PyTorch training programs under torch and ``gradiente run``:
``interpolate``'s graph node (torch's one ``Upsample*Backward0`` node, which keeps no tensor),
mixed parameter dtypes refused as torch's CPU kernels refuse them (normalisations, PReLU, a
Linear's bias) in torch's words (also conv, scaled_dot_product_attention and the RNNs), and
the blank line between an optimizer's parameter groups in its repr."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")


def _error(fn):
    """(type name, message) of what ``fn()`` raises, or None if it returns."""
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error).__name__, str(error)
    return None


def _same_error(make):
    """``make(lib)`` raises the same exception type and message in gradiente and torch."""
    expected = _error(lambda: make(torch))
    assert expected is not None
    assert _error(lambda: make(gradiente)) == expected


# ------------------------------------------------------------------ interpolate's node

_MODES = [
    ((1, 2, 5), "nearest", {}),
    ((1, 2, 5), "nearest-exact", {}),
    ((1, 2, 5), "linear", {"align_corners": False}),
    ((1, 2, 4, 5), "nearest", {}),
    ((1, 2, 4, 5), "nearest-exact", {}),
    ((1, 2, 4, 5), "bilinear", {"align_corners": True}),
    ((1, 2, 4, 5), "bicubic", {"align_corners": False}),
    ((1, 2, 4, 5), "area", {}),
    ((1, 2, 3, 4, 5), "nearest", {}),
    ((1, 2, 3, 4, 5), "trilinear", {"align_corners": False}),
    ((1, 2, 3, 4, 5), "area", {}),
]


@pytest.mark.parametrize(("shape", "mode", "options"), _MODES)
def test_interpolate_records_torchs_node(shape, mode, options):
    """Upsampling shows torch's node and its one input; values and gradients agree."""
    data = np.random.default_rng(0).standard_normal(shape)
    results = []
    for lib in (torch, gradiente):
        x = lib.tensor(data, requires_grad=True)
        h = x * 2
        y = lib.nn.functional.interpolate(h, scale_factor=2, mode=mode, **options)
        (y * y).sum().backward()
        node = y.grad_fn
        inputs = [f.name() for f, _ in node.next_functions]
        results.append((node.name(), inputs, y.detach().numpy(), x.grad.numpy()))
    (t_name, t_inputs, t_y, t_grad), (g_name, g_inputs, g_y, g_grad) = results
    assert (g_name, g_inputs) == (t_name, t_inputs)
    np.testing.assert_allclose(g_y, t_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g_grad, t_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_node(mode):
    for lib in (torch, gradiente):
        x = lib.ones(1, 1, 8, 8, requires_grad=True)
        y = lib.nn.functional.interpolate(x, size=3, mode=mode, antialias=True)
        assert y.grad_fn.name() == f"Upsample{mode.capitalize()}2DAaBackward0"


def test_interpolate_input_may_change_in_place_afterwards():
    """torch's upsampling node saves no tensor: changing its input in place is allowed."""
    grads = []
    for lib in (torch, gradiente):
        x = lib.arange(8.0).reshape(1, 1, 2, 4).requires_grad_()
        h = x * 1
        y = lib.nn.functional.interpolate(h, scale_factor=2, mode="bilinear")
        h.mul_(3)
        (y * lib.arange(32.0).reshape(1, 1, 4, 8)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


def test_interpolate_without_grad_has_no_node():
    y = gradiente.nn.functional.interpolate(gradiente.ones(1, 1, 2, 2), scale_factor=2)
    assert y.grad_fn is None and not y.requires_grad


# ------------------------------------------------------------------ mixed dtypes

_DTYPE_PAIRS = [("float32", "float64"), ("float64", "float32"), ("float32", "bfloat16")]


def _lib_dtype(lib, name):
    return getattr(lib, name)


@pytest.mark.parametrize(("x_dtype", "p_dtype"), _DTYPE_PAIRS)
@pytest.mark.parametrize(
    "call",
    [
        lambda F, x, p: F.batch_norm(x, p(3), p(3), training=True),
        lambda F, x, p: F.batch_norm(x, p(3), p(3), training=False),
        lambda F, x, p: F.batch_norm(x, None, None, p(3), training=True),
        lambda F, x, p: F.layer_norm(x, (4,), p(4)),
        lambda F, x, p: F.layer_norm(x, (4,), None, p(4)),
        lambda F, x, p: F.group_norm(x, 1, p(3)),
        lambda F, x, p: F.instance_norm(x, weight=p(3)),
        lambda F, x, p: F.prelu(x, p(1)),
    ],
    ids=["bn-train", "bn-eval", "bn-weight", "ln", "ln-bias", "gn", "in", "prelu"],
)
def test_mixed_parameter_dtypes_are_refused(call, x_dtype, p_dtype):
    """torch's CPU kernels refuse float32 input with float64 parameters (and the reverse)
    rather than promote; gradiente used to compute anyway."""

    def make(lib):
        x = lib.ones(2, 3, 4, dtype=_lib_dtype(lib, x_dtype))
        return call(lib.nn.functional, x, lambda n: lib.ones(n, dtype=_lib_dtype(lib, p_dtype)))

    _same_error(make)


def test_matching_parameter_dtypes_still_work():
    x = gradiente.ones(2, 3, 4, dtype=gradiente.float64)
    p = gradiente.ones(3, dtype=gradiente.float64)
    assert gradiente.nn.functional.batch_norm(x, p, p, p, p).dtype == gradiente.float64
    assert gradiente.nn.functional.group_norm(x, 3, p, p).dtype == gradiente.float64


@pytest.mark.parametrize("x_shape", [(2, 3), (3,), (2, 2, 3)])
@pytest.mark.parametrize(
    ("x_dtype", "w_dtype", "b_dtype"),
    [
        ("float32", "float64", None),
        ("float32", "bfloat16", None),
        ("float32", "float64", "float64"),
        ("float32", "float32", "float64"),
        ("float64", "float32", "float64"),
        ("float32", "float16", "float16"),
    ],
)
def test_linear_dtype_errors(x_shape, x_dtype, w_dtype, b_dtype):
    def make(lib):
        x = lib.ones(x_shape, dtype=_lib_dtype(lib, x_dtype))
        w = lib.ones(4, 3, dtype=_lib_dtype(lib, w_dtype))
        b = None if b_dtype is None else lib.ones(4, dtype=_lib_dtype(lib, b_dtype))
        return lib.nn.functional.linear(x, w, b)

    _same_error(make)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(2, 3, 5, 5), lib.ones(4, 3, 3, 3, dtype=lib.float64)
        ),
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(2, 3, 5, 5), lib.ones(4, 3, 3, 3), lib.ones(4, dtype=lib.float64)
        ),
        lambda lib: lib.nn.functional.conv2d(
            lib.ones(2, 3, 5, 5),
            lib.ones(4, 3, 3, 3, dtype=lib.float64),
            lib.ones(4, dtype=lib.float64),
        ),
        lambda lib: lib.nn.functional.conv1d(
            lib.ones(2, 3, 5), lib.ones(4, 3, 3, dtype=lib.bfloat16)
        ),
        lambda lib: lib.nn.functional.conv_transpose2d(
            lib.ones(2, 3, 5, 5), lib.ones(3, 4, 3, 3, dtype=lib.float64)
        ),
        lambda lib: lib.nn.functional.conv3d(
            lib.ones(1, 2, 4, 4, 4), lib.ones(3, 2, 2, 2, 2), lib.ones(3, dtype=lib.float64)
        ),
        lambda lib: lib.nn.functional.scaled_dot_product_attention(
            lib.ones(1, 2, 4), lib.ones(1, 2, 4, dtype=lib.float64), lib.ones(1, 2, 4)
        ),
        lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 1, 3, dtype=lib.float64)),
        lambda lib: lib.nn.GRU(3, 4, dtype=lib.float64, batch_first=True)(lib.ones(1, 2, 3)),
    ],
    ids=[
        "conv-weight",
        "conv-bias",
        "conv-both",
        "conv1d-bf16",
        "convT",
        "conv3d-bias",
        "sdpa",
        "lstm",
        "gru",
    ],
)
def test_dtype_mismatch_messages(make):
    _same_error(make)


# ------------------------------------------------------------------ optimizer repr


def test_optimizer_repr_separates_groups_with_a_blank_line():
    texts = []
    for lib in (torch, gradiente):
        m = lib.nn.Linear(2, 2)
        opt = lib.optim.AdamW([{"params": [m.weight]}, {"params": [m.bias], "lr": 0.5}], lr=0.1)
        opt.add_param_group({"params": [lib.nn.Parameter(lib.zeros(1))], "weight_decay": 0.0})
        texts.append(repr(opt))
    assert "\n\nParameter Group 1\n" in texts[1]
    # the same layout, line for line, up to keys only one library has
    keys = {line.split(":")[0] for line in texts[1].splitlines()}
    shared = [line for line in texts[0].splitlines() if line.split(":")[0] in keys]
    assert [line for line in texts[1].splitlines() if line.split(":")[0] in keys] == shared

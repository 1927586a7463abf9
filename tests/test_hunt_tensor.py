"""Regressions from a hunt with realistic tensor/autograd snippets, each compared with torch."""

import os
import warnings

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
torch = pytest.importorskip("torch")

import gradiente  # noqa: E402


def _outcome(call):
    """(exception type name, message) or ("ok", None): what ``call`` does."""
    try:
        call()
    except Exception as e:  # noqa: BLE001 - the outcome is what is compared
        return type(e).__name__, str(e)
    return "ok", None


# ------------------------------------------------------------------ view of a view


VIEWS = [
    ("t", lambda m: m.arange(6.0).view(2, 3).t(), (6,)),
    ("permute", lambda m: m.arange(24).reshape(2, 3, 4).permute(2, 0, 1), (-1,)),
    ("permute keeps a chunk", lambda m: m.ones(2, 3, 4).permute(0, 2, 1), (2, 4, 3)),
    ("column slice", lambda m: m.ones(4, 3)[:, :2], (8,)),
    ("row step", lambda m: m.ones(4, 3)[::2], (6,)),
    ("expand", lambda m: m.ones(3).expand(2, 3), (6,)),
    ("strided to (n, 1)", lambda m: m.ones(3, 2)[:, 1], (3, 1)),
]


@pytest.mark.parametrize("make, shape", [v[1:] for v in VIEWS], ids=[v[0] for v in VIEWS])
def test_view_of_a_view_raises_where_torch_does(make, shape):
    """A view (t(), permute, slicing, expand) of a row-major tensor has torch's strides, so
    ``view`` raises exactly where torch's does instead of silently copying."""
    expected = _outcome(lambda: make(torch).view(shape))
    assert _outcome(lambda: make(gradiente).view(shape)) == expected


def test_view_that_succeeds_still_aliases():
    x = gradiente.arange(6.0).view(2, 3)
    v = x.t()[1:].view(2, 2)  # columns 1 and 2 of x: viewable, so a view
    v[0, 0] = 100.0
    assert x[0, 1].item() == 100.0


def test_view_of_a_conv_output_still_copies():
    """gradiente keeps convolution outputs channels-last: their views stay lenient."""
    y = gradiente.nn.Conv2d(3, 4, 3)(gradiente.randn(2, 3, 8, 8))
    assert y[0].view(-1).shape == (144,)
    assert y.relu().view(2, -1).shape == (2, 144)


# ------------------------------------------------------------------ joins and splits


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.ones(4).chunk(0),
        lambda m: m.ones(4).chunk(-1),
        lambda m: m.ones(4).tensor_split(0),
        lambda m: m.cat([]),
        lambda m: m.hstack([]),
        lambda m: m.vstack([]),
        lambda m: m.dstack([]),
        lambda m: m.column_stack([]),
    ],
    ids=["chunk0", "chunk-1", "tensor_split0", "cat", "hstack", "vstack", "dstack", "colstack"],
)
def test_empty_and_zero_part_errors_match_torch(call):
    assert _outcome(lambda: call(gradiente)) == _outcome(lambda: call(torch))


# ------------------------------------------------------------------ values and messages


def test_sigmoid_underflows_to_zero_as_torch():
    """torch computes 1/(1 + e^(−x)): where e^(−x) overflows, σ(x) is exactly 0."""
    for dtype in ("float32", "float64", "float16", "bfloat16"):
        values = [-88.7, -88.73, -89.0, -100.0, -709.7, -709.8, -800.0, 100.0]
        t = torch.sigmoid(torch.tensor(values, dtype=getattr(torch, dtype)))
        g = gradiente.sigmoid(gradiente.tensor(values, dtype=getattr(gradiente, dtype)))
        assert g.tolist() == pytest.approx(t.tolist(), rel=1e-6, abs=0), dtype
        assert [v == 0 for v in g.tolist()] == [v == 0 for v in t.tolist()], dtype


def test_complex_data_is_refused_when_the_tensor_is_made():
    with pytest.raises(TypeError, match="complex"):
        gradiente.tensor([1 + 2j, 3.0])


def test_grad_output_shape_mismatch_names_torch_sizes():
    messages = []
    for m in (torch, gradiente):
        x = m.ones(2, 2, requires_grad=True)
        messages.append(_outcome(lambda m=m, x=x: m.autograd.grad(x.sum(), x, m.ones(2))))
    assert messages[0] == messages[1]


# ------------------------------------------------------------------ warnings


def _warnings_of(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message).split(" (Triggered internally")[0] for w in caught]


def test_reading_grad_of_a_non_leaf_warns_as_torch():
    for m in (torch, gradiente):
        x = m.ones(2, requires_grad=True)
        y = x * 2
        kept = x * 3
        kept.retain_grad()
        warned = _warnings_of(lambda y=y: y.grad)
        assert len(warned) == 1 and "not a leaf Tensor" in warned[0]
        assert _warnings_of(lambda x=x: x.grad) == []
        assert _warnings_of(lambda kept=kept: kept.grad) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.tensor([5.0]).std(),
        lambda m: m.tensor([5.0]).var(),
        lambda m: m.var_mean(m.tensor([5.0])),
        lambda m: m.std_mean(m.tensor([5.0])),
        lambda m: m.tensor([[5.0, 1.0]]).var(0),
        lambda m: m.tensor([1.0, 2.0]).var(correction=2),
        lambda m: m.tensor([]).var(),
        lambda m: m.tensor(3.0).std(0),
        lambda m: m.tensor([1.0, 2.0]).std(),
        lambda m: m.var_mean(m.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, keepdim=True),
    ],
)
def test_no_degrees_of_freedom_warns_as_torch(call):
    assert _warnings_of(lambda: call(gradiente)) == _warnings_of(lambda: call(torch))


def test_var_mean_and_std_mean_values_match_torch():
    data = [[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]]
    for name in ("var_mean", "std_mean"):
        for kwargs in ({}, {"dim": 1}, {"dim": 0, "unbiased": False}, {"dim": (0, 1)}):
            t = getattr(torch, name)(torch.tensor(data), **kwargs)
            g = getattr(gradiente, name)(gradiente.tensor(data), **kwargs)
            for a, b in zip(t, g):
                assert b.tolist() == pytest.approx(a.tolist()), (name, kwargs)


# ------------------------------------------------------------------ torch's error words


def _without_shapes(outcome):
    """gradiente names both operands' shapes after some of torch's messages: drop that."""
    kind, message = outcome
    return kind, message and message.split(" (shapes ")[0]


PRODUCT_CALLS = {
    "mm 1-D": lambda m: m.mm(m.ones(3), m.ones(3, 2)),
    "mm dtype": lambda m: m.mm(m.ones(2, 3), m.ones(3, 2, dtype=m.int64)),
    "mm shapes": lambda m: m.mm(m.ones(2, 3), m.ones(2, 2)),
    "bmm 2-D": lambda m: m.bmm(m.ones(2, 3), m.ones(3, 2)),
    "bmm batch": lambda m: m.bmm(m.ones(2, 2, 3), m.ones(3, 3, 2)),
    "bmm dtype": lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 3, 2, dtype=m.float64)),
    "dot dtype": lambda m: m.dot(m.ones(3), m.ones(3, dtype=m.float64)),
    "dot size": lambda m: m.dot(m.ones(3), m.ones(4)),
    "mv 1-D": lambda m: m.mv(m.ones(3), m.ones(3)),
    "mv dtype": lambda m: m.mv(m.ones(2, 3), m.ones(3, dtype=m.float64)),
    "1d@1d": lambda m: m.ones(3) @ m.ones(4),
    "2d@1d": lambda m: m.ones(2, 3) @ m.ones(4),
    "1d@2d": lambda m: m.ones(3) @ m.ones(4, 2),
    "3d@1d": lambda m: m.ones(2, 2, 3) @ m.ones(4),
    "3d@2d": lambda m: m.ones(2, 2, 3) @ m.ones(4, 2),
    "2d@3d": lambda m: m.ones(2, 3) @ m.ones(2, 4, 2),
    "4d@3d": lambda m: m.ones(5, 2, 2, 3) @ m.ones(2, 4, 2),
    "batch dims": lambda m: m.ones(3, 2, 3) @ m.ones(2, 3, 2),
    "3d@3d dtype": lambda m: m.ones(2, 2, 3) @ m.ones(2, 3, 2, dtype=m.float64),
    "long@float": lambda m: m.ones(3, dtype=m.int64) @ m.ones(3),
}


@pytest.mark.parametrize("call", list(PRODUCT_CALLS.values()), ids=list(PRODUCT_CALLS))
def test_product_errors_use_torchs_words(call):
    expected = _outcome(lambda: call(torch))
    assert expected[0] == "RuntimeError"
    assert _without_shapes(_outcome(lambda: call(gradiente))) == expected


INDEX_CALLS = {
    "index_select": lambda m: m.ones(2).index_select(0, m.tensor([0.0])),
    "index_select int16": lambda m: m.ones(3).index_select(0, m.tensor([0], dtype=m.int16)),
    "gather": lambda m: m.ones(2, 3).gather(1, m.tensor([[0.0]])),
    "scatter": lambda m: m.ones(3).scatter(0, m.tensor([0.0]), 1.0),
    "scatter_add": lambda m: m.ones(3).scatter_add(0, m.tensor([0.0]), m.ones(1)),
    "index_add": lambda m: m.ones(3).index_add(0, m.tensor([0.0]), m.ones(1)),
    "index_add uint8": lambda m: m.ones(3).index_add(0, m.tensor([0], dtype=m.uint8), m.ones(1)),
    "index_fill": lambda m: m.ones(3).index_fill(0, m.tensor([0.0]), 1.0),
    "index_fill int32": lambda m: m.ones(3).index_fill(0, m.tensor([0], dtype=m.int32), 1.0),
    "index_copy int32": lambda m: m.ones(3).index_copy(0, m.tensor([0], dtype=m.int32), m.ones(1)),
    "take": lambda m: m.ones(3).take(m.tensor([0.0])),
    "take int32": lambda m: m.ones(3).take(m.tensor([0], dtype=m.int32)),
    "take_along_dim": lambda m: m.ones(3, 2).take_along_dim(m.tensor([[0.0]]), 1),
    "put_": lambda m: m.ones(3).put_(m.tensor([0.0]), m.ones(1)),
    "masked_fill": lambda m: m.ones(3).masked_fill(m.tensor([1, 0, 1]), 0),
    "masked_fill float": lambda m: m.ones(3).masked_fill(m.tensor([1.0, 0, 1]), 0),
    "masked_select": lambda m: m.ones(3).masked_select(m.tensor([1, 0, 1])),
    "masked_scatter": lambda m: m.ones(3).masked_scatter(m.tensor([1, 0, 1]), m.ones(3)),
    "where": lambda m: m.where(m.tensor([1, 0]), m.ones(2), m.zeros(2)),
}


@pytest.mark.parametrize("call", list(INDEX_CALLS.values()), ids=list(INDEX_CALLS))
def test_index_and_mask_dtype_errors_use_torchs_words(call):
    assert _outcome(lambda: call(gradiente)) == _outcome(lambda: call(torch))


def test_bincount_of_floats_is_torchs_missing_kernel():
    for values in ([1.0, 2.0], [[1.0, 2.0]], [True]):
        t = _outcome(lambda v=values: torch.bincount(torch.tensor(v)))
        assert _outcome(lambda v=values: gradiente.bincount(gradiente.tensor(v))) == t


def test_broadcast_error_starts_with_torchs_words():
    for m in (torch, gradiente):
        kind, message = _outcome(lambda m=m: m.ones(2, 3) + m.ones(3, 2))
        assert kind == "RuntimeError"
        assert message.startswith(
            "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
            "dimension 1"
        )


def test_instantiating_a_function_warns_as_torch():
    for m in (torch, gradiente):

        class Double(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        with pytest.warns(DeprecationWarning, match="should not be instantiated"):
            Double()
        x = m.ones(2, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Double.apply(x).sum().backward()  # the graph's node warns nothing
        assert x.grad.tolist() == [2.0, 2.0]

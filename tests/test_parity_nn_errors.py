"""The errors of ``nn`` and ``nn.functional`` in PyTorch's words: a student's bug (a Linear of the
wrong width, a conv fed the wrong channels, a float target in cross_entropy, a list where a
tensor goes) raises here the exception torch raises, with torch's type and message. Each case
runs in both frameworks and compares the two."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")


def _error(fn):
    """(type name, message) of what ``fn()`` raises."""
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


def _same_error(make):
    """``make(lib)`` raises the same exception type and message in gradiente and torch."""
    assert _error(lambda: make(gradiente)) == _error(lambda: make(torch))


def _randn(lib, *shape):
    return lib.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


def _long(lib, *values):
    return lib.tensor(list(values), dtype=lib.long)


# ------------------------------------------------------------------------ shape mismatches

SHAPE_CASES = {
    # Linear and F.linear: the matmul's words
    "linear": lambda m: m.nn.Linear(3, 2)(m.ones(2, 4)),
    "linear_1d": lambda m: m.nn.Linear(3, 2)(m.ones(4)),
    "linear_3d": lambda m: m.nn.Linear(3, 2)(m.ones(5, 2, 4)),
    "linear_0d": lambda m: m.nn.Linear(3, 2)(m.tensor(1.0)),
    "F_linear": lambda m: m.nn.functional.linear(m.ones(2, 4), m.ones(2, 3)),
    "transformer_decoder_width": lambda m: m.nn.TransformerDecoderLayer(8, 2)(
        _randn(m, 5, 2, 8), _randn(m, 5, 2, 6)
    ),
    "bilinear_input1": lambda m: m.nn.Bilinear(3, 4, 5)(m.ones(2, 2), m.ones(2, 4)),
    "bilinear_input2": lambda m: m.nn.Bilinear(3, 4, 5)(m.ones(2, 3), m.ones(2, 3)),
    "bilinear_batch": lambda m: m.nn.Bilinear(3, 4, 5)(m.ones(2, 3), m.ones(3, 4)),
    # convolutions: rank and channels
    "conv2d_groups": lambda m: m.nn.functional.conv2d(
        _randn(m, 2, 4, 9, 11), _randn(m, 6, 2, 3, 3), groups=3
    ),
    "conv2d_channels": lambda m: m.nn.Conv2d(3, 8, 3)(m.ones(1, 4, 8, 8)),
    "conv2d_unbatched_channels": lambda m: m.nn.Conv2d(3, 8, 3)(m.ones(4, 8, 8)),
    "conv2d_reflect_channels": lambda m: m.nn.Conv2d(4, 8, 3, padding=1, padding_mode="reflect")(
        m.ones(1, 6, 5, 5)
    ),
    "conv2d_grouped_layer": lambda m: m.nn.Conv2d(4, 8, 3, groups=2)(m.ones(1, 6, 5, 5)),
    "conv2d_rank": lambda m: m.nn.Conv2d(3, 8, 3)(m.ones(8, 8)),
    "conv2d_rank_5d": lambda m: m.nn.Conv2d(3, 8, 3)(m.ones(1, 1, 3, 8, 8)),
    "conv1d_channels": lambda m: m.nn.Conv1d(3, 8, 3)(m.ones(1, 4, 8)),
    "conv1d_rank": lambda m: m.nn.Conv1d(3, 8, 3)(m.ones(1, 3, 8, 8)),
    "conv3d_channels": lambda m: m.nn.Conv3d(3, 8, 3)(m.ones(1, 4, 8, 8, 8)),
    "conv3d_rank": lambda m: m.nn.Conv3d(3, 8, 3)(m.ones(8, 8)),
    "conv_transpose2d_channels": lambda m: m.nn.ConvTranspose2d(3, 8, 3)(m.ones(1, 4, 8, 8)),
    "conv_transpose2d_groups": lambda m: m.nn.ConvTranspose2d(4, 8, 3, groups=2)(
        m.ones(1, 6, 5, 5)
    ),
    "conv_transpose2d_rank": lambda m: m.nn.ConvTranspose2d(3, 8, 3)(m.ones(8, 8)),
    "F_conv_transpose2d_channels": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(1, 3, 3, 3), m.ones(2, 1, 3, 3)
    ),
    # batch, layer and group norm
    "batchnorm1d_rank": lambda m: m.nn.BatchNorm1d(3)(m.ones(2, 3, 4, 4)),
    "batchnorm2d_rank": lambda m: m.nn.BatchNorm2d(3)(m.ones(3, 5, 5)),
    "batchnorm3d_rank": lambda m: m.nn.BatchNorm3d(3)(m.ones(3, 4, 4, 4)),
    "batchnorm_list": lambda m: m.nn.BatchNorm1d(2)([[1.0, 2.0]]),
    "layer_norm_weight": lambda m: m.nn.functional.layer_norm(m.ones(2, 3), (3,), weight=m.ones(4)),
    "layer_norm_bias": lambda m: m.nn.functional.layer_norm(m.ones(2, 3), (3,), bias=m.ones(4)),
    "rms_norm_shape": lambda m: m.nn.RMSNorm(4)(m.ones(2, 3)),
    "group_norm_channels": lambda m: m.nn.GroupNorm(2, 4)(m.ones(2, 6, 3)),
    # embedding
    "embedding_float": lambda m: m.nn.Embedding(5, 3)(m.tensor([1.0, 2.0])),
    "embedding_max_norm_float": lambda m: m.nn.Embedding(5, 3, max_norm=1.0)(m.tensor([1.5])),
    "F_embedding_1d_weight": lambda m: m.nn.functional.embedding(_long(m, 1), m.ones(5)),
    # dims out of range
    "softmax_dim": lambda m: m.nn.functional.softmax(m.ones(2, 3), dim=2),
    "log_softmax_dim": lambda m: m.nn.functional.log_softmax(m.ones(2, 3), dim=-3),
    "softmin_dim": lambda m: m.nn.functional.softmin(m.ones(2, 3), dim=2),
    "Softmax_dim": lambda m: m.nn.Softmax(dim=3)(m.ones(2, 3)),
    "normalize_dim": lambda m: m.nn.functional.normalize(m.ones(2, 3), dim=2),
    "flatten_dim": lambda m: m.nn.Flatten(2)(m.ones(2, 3)),
    "glu_dim": lambda m: m.nn.functional.glu(m.ones(2, 4), dim=3),
    # interpolate, pad, gelu
    "interpolate_2d": lambda m: m.nn.functional.interpolate(m.ones(4, 4), size=8),
    "interpolate_mode": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 4, 4), 8, mode="foo"),
    "interpolate_linear_4d": lambda m: m.nn.functional.interpolate(
        m.ones(1, 1, 4, 4), size=8, mode="linear"
    ),
    "interpolate_bicubic_3d": lambda m: m.nn.functional.interpolate(
        m.ones(1, 1, 4), size=8, mode="bicubic"
    ),
    "Upsample_mode": lambda m: m.nn.Upsample(scale_factor=2, mode="foo")(m.ones(1, 1, 4, 4)),
    "pad_mode": lambda m: m.nn.functional.pad(m.ones(1, 2, 3), (1, 1), mode="foo"),
    "gelu_approximate": lambda m: m.nn.functional.gelu(m.ones(3), approximate="foo"),
    "pixel_unshuffle_height": lambda m: m.nn.functional.pixel_unshuffle(m.ones(1, 1, 3, 4), 2),
    "pixel_unshuffle_width": lambda m: m.nn.functional.pixel_unshuffle(m.ones(1, 1, 4, 3), 2),
    # dtypes and lists where torch's Python code calls a method first
    "batch_norm_integer_input": lambda m: m.nn.BatchNorm2d(3)(m.ones(2, 3, 4, 4, dtype=m.long)),
    "multi_margin_float_target": lambda m: m.nn.functional.multi_margin_loss(
        m.ones(2, 3), m.tensor([0.0, 1.0])
    ),
    "mse_list_target": lambda m: m.nn.functional.mse_loss(m.ones(2), [0.0, 1.0]),
    "mse_array_target": lambda m: m.nn.functional.mse_loss(m.ones(2), np.zeros(2)),
    "lstm_list": lambda m: m.nn.LSTM(3, 4)([[1.0, 2.0, 3.0]]),
    "instance_norm_array": lambda m: m.nn.functional.instance_norm(np.ones((2, 3), np.float32)),
    # a target that does not broadcast: torch's words (not those of the where() inside)
    "hinge_shape": lambda m: m.nn.functional.hinge_embedding_loss(m.ones(3), m.ones(4)),
}


@pytest.mark.parametrize("case", SHAPE_CASES)
def test_shape_errors_match_torch(case):
    _same_error(SHAPE_CASES[case])


# ------------------------------------------------------- classification targets (CE, NLL)

F_CE = "cross_entropy"
F_NLL = "nll_loss"

TARGET_CASES = {
    "float_target": (F_CE, (2, 3), lambda m: m.tensor([0.0, 1.0]), {}),
    "float_target_nll": (F_NLL, (2, 3), lambda m: m.tensor([0.0, 1.0]), {}),
    "int32_target": (F_CE, (2, 3), lambda m: m.tensor([0, 1], dtype=m.int32), {}),
    "bool_target": (F_NLL, (2, 3), lambda m: m.tensor([True, False]), {}),
    "out_of_bounds": (F_CE, (2, 3), lambda m: _long(m, 0, 3), {}),
    "out_of_bounds_nll": (F_NLL, (2, 3), lambda m: _long(m, 0, 3), {}),
    "negative": (F_CE, (2, 3), lambda m: _long(m, 0, -2), {}),
    "out_of_bounds_3d": (F_CE, (2, 3, 4), lambda m: m.full((2, 4), 5), {}),
    "out_of_bounds_4d": (F_CE, (2, 3, 4, 4), lambda m: m.full((2, 4, 4), 5), {}),
    "out_of_bounds_smoothing": (F_CE, (2, 3), lambda m: _long(m, 0, 3), {"label_smoothing": 0.1}),
    "batch": (F_CE, (2, 3), lambda m: _long(m, 0, 1, 2), {}),
    "batch_0d_target": (F_NLL, (2, 3), lambda m: m.tensor(0), {}),
    "target_2d": (F_CE, (2, 3), lambda m: m.zeros(2, 1, dtype=m.long), {}),
    "probabilities_wrong_width": (F_CE, (2, 3), lambda m: m.ones(2, 4), {}),
    "probabilities_wrong_batch": (F_CE, (2, 3), lambda m: m.ones(3, 3), {}),
    "indices_of_input_shape": (F_CE, (2, 3), lambda m: m.zeros(2, 3, dtype=m.long), {}),
    "ignore_index_with_probabilities": (F_CE, (2, 3), lambda m: m.ones(2, 3), {"ignore_index": 1}),
    "spatial_target_rank": (F_CE, (2, 3, 4, 4), lambda m: m.zeros(2, 4, dtype=m.long), {}),
    "spatial_size": (F_CE, (2, 3, 4, 4), lambda m: m.zeros(2, 4, 5, dtype=m.long), {}),
    "target_size_3d": (F_NLL, (2, 3, 4), lambda m: m.zeros(2, 3, dtype=m.long), {}),
    "target_size_5d": (F_NLL, (2, 3, 4, 4, 4), lambda m: m.zeros(2, 4, 4, dtype=m.long), {}),
    "input_1d_target_size": (F_NLL, (3,), lambda m: _long(m, 0, 1, 2), {}),
    "input_0d": (F_NLL, (), lambda m: m.tensor(0), {}),
    "input_0d_ce": (F_CE, (), lambda m: m.tensor(0), {}),
    "weight": (F_CE, (2, 3), lambda m: _long(m, 0, 1), {"weight": 4}),
    "weight_probabilities": (F_CE, (2, 3), lambda m: m.ones(2, 3), {"weight": 4}),
    "weight_spatial": (F_CE, (2, 3, 4, 4), lambda m: m.zeros(2, 4, 4, dtype=m.long), {"weight": 2}),
    "float_target_bad_weight": (F_CE, (2, 3), lambda m: m.ones(2), {"weight": 4}),
}


@pytest.mark.parametrize("case", TARGET_CASES)
def test_classification_target_errors_match_torch(case):
    name, shape, target, kwargs = TARGET_CASES[case]

    def call(m):
        options = dict(kwargs)
        if "weight" in options:
            options["weight"] = m.ones(options["weight"])
        return getattr(m.nn.functional, name)(_randn(m, *shape), target(m), **options)

    _same_error(call)


def test_cross_entropy_module_gives_torch_errors():
    _same_error(lambda m: m.nn.CrossEntropyLoss()(_randn(m, 2, 3), _long(m, 0, 3)))
    _same_error(lambda m: m.nn.CrossEntropyLoss()(_randn(m, 2, 3), m.tensor([0.0, 1.0])))
    _same_error(lambda m: m.nn.NLLLoss()(_randn(m, 2, 3), _long(m, 0, 3)))


@pytest.mark.parametrize("name", [F_CE, F_NLL])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_a_1d_input_takes_a_1d_target_of_one_class_index(name, reduction):
    """torch's rule: an unbatched (C,) input also takes its class index as a (1,) target; the
    loss is 0-d all the same."""
    losses = [
        getattr(m.nn.functional, name)(_randn(m, 3), _long(m, 1), reduction=reduction)
        for m in (gradiente, torch)
    ]
    assert losses[0].shape == losses[1].shape == ()
    assert np.isclose(losses[0].item(), losses[1].item())


# ---------------------------------------------------------- a list, an array, None as tensor

NON_TENSORS = {"list": [1.0, 2.0], "ndarray": np.ones((2, 3), np.float32), "None": None}

FUNCTIONAL = [
    "relu",
    "gelu",
    "hardshrink",
    "logsigmoid",
    "softplus",
    "softshrink",
    "dropout",
    "alpha_dropout",
    "feature_alpha_dropout",
    "one_hot",
    "gumbel_softmax",
    "glu",
    "interpolate",
    "layer_norm",
    "linear",
    "embedding",
]

TOPLEVEL = ["sum", "exp", "mean", "abs", "argmax", "sqrt", "sigmoid", "t", "sort", "cat", "stack"]


def _call_functional(m, name, value):
    F = m.nn.functional
    if name == "layer_norm":
        return F.layer_norm(value, (3,))
    if name == "linear":
        return F.linear(value, m.ones(2, 3))
    if name == "embedding":
        return F.embedding(value, m.ones(5, 3))
    if name == "interpolate":
        return F.interpolate(value, size=4)
    return getattr(F, name)(value)


@pytest.mark.parametrize("kind", NON_TENSORS)
@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_refuses_non_tensors_like_torch(name, kind):
    _same_error(lambda m: _call_functional(m, name, NON_TENSORS[kind]))


@pytest.mark.parametrize("kind", ["list", "ndarray"])
@pytest.mark.parametrize("name", TOPLEVEL)
def test_torch_functions_refuse_non_tensors_like_torch(name, kind):
    _same_error(lambda m: getattr(m, name)(NON_TENSORS[kind]))


def test_torch_functions_still_take_a_number_where_torch_does():
    assert gradiente.remainder(7, gradiente.tensor([2, 3])).tolist() == [1, 1]


@pytest.mark.parametrize("element", [[1.0, 2.0], np.ones(2), None])
def test_cat_and_stack_refuse_non_tensor_elements_like_torch(element):
    for op in ("cat", "stack"):
        _same_error(lambda m, op=op: getattr(m, op)([m.ones(2), element]))


def test_layer_norm_module_refuses_a_list_like_torch():
    _same_error(lambda m: m.nn.LayerNorm(2)([1.0, 2.0]))

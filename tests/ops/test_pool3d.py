"""max_pool3d, avg_pool3d and max_unpool1d/2d/3d (ops/pool3d.py) and their layers against
torch: values, indices, gradients, float64 gradcheck, second derivatives, bad arguments."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import check_op

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)

WINDOWS = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(1, 2, 3), stride=(2, 1, 1)),
]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("dilation", [1, (1, 1, 2)])
def test_max_pool3d_values_indices_and_gradients(window, dilation):
    x = rng.standard_normal((2, 2, 4, 5, 6))
    check_op(
        lambda lib, a: lib.nn.functional.max_pool3d(
            a, dilation=dilation, return_indices=True, **window
        ),
        x,
        double=True,
    )


def test_max_pool3d_ties_nans_and_unbatched_input():
    x = np.zeros((2, 4, 4, 4))  # unbatched (C, D, H, W), every window a tie
    x[0, 1, 1, 1] = np.nan
    x[1, 2:, 2:, 2:] = 5.0
    check_op(lambda lib, a: lib.nn.functional.max_pool3d(a, 2, return_indices=True), x, grad=False)


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool3d_values_and_gradients(window, count_include_pad):
    x = rng.standard_normal((1, 2, 4, 5, 5))
    check_op(
        lambda lib, a: lib.nn.functional.avg_pool3d(
            a, count_include_pad=count_include_pad, **window
        ),
        x,
        double=True,
    )
    check_op(lambda lib, a: lib.nn.functional.avg_pool3d(a, divisor_override=5, **window), x)


@pytest.mark.parametrize(
    "pool,unpool,shape,window,output_size",
    [
        ("max_pool1d", "max_unpool1d", (2, 3, 9), dict(kernel_size=3, stride=2), None),
        ("max_pool2d", "max_unpool2d", (2, 3, 6, 8), dict(kernel_size=2), None),
        ("max_pool2d", "max_unpool2d", (3, 7, 7), dict(kernel_size=3, stride=2, padding=1), None),
        ("max_pool2d", "max_unpool2d", (1, 2, 5, 7), dict(kernel_size=2), (1, 2, 5, 7)),
        (
            "max_pool3d",
            "max_unpool3d",
            (1, 2, 5, 6, 7),
            dict(kernel_size=(2, 2, 3), stride=2, padding=1),
            (5, 6, 8),
        ),
    ],
)
def test_max_unpool_inverts_max_pool_like_torch(pool, unpool, shape, window, output_size):
    def roundtrip(lib, a):
        y, i = getattr(lib.nn.functional, pool)(a, return_indices=True, **window)
        return getattr(lib.nn.functional, unpool)(y * 2, i, output_size=output_size, **window)

    # Where windows overlap, one input can win twice: unpooling writes it twice (once counts)
    # but its gradient, torch's too, adds both, so finite differences disagree there by design.
    overlap = window.get("stride", window["kernel_size"]) != window["kernel_size"]
    check_op(roundtrip, rng.standard_normal(shape), double=True, gradcheck=not overlap)


@pytest.mark.parametrize("divisor_override", [None, 3])
def test_avg_pool3d_of_int64_truncates_like_torch(divisor_override):
    x = np.random.default_rng(2).integers(-50, 50, size=(2, 3, 4, 5, 3))
    check_op(
        lambda lib, a: lib.nn.functional.avg_pool3d(
            a, 2, padding=1, count_include_pad=False, divisor_override=divisor_override
        ),
        x,
    )


def test_layers_repr_and_a_pool_unpool_network():
    outs = []
    for lib in (gradiente, torch):
        layers = [
            lib.nn.MaxPool3d(2, return_indices=True),
            lib.nn.AvgPool3d(2, ceil_mode=True, divisor_override=3),
            lib.nn.MaxUnpool1d(2),
            lib.nn.MaxUnpool2d(2),
            lib.nn.MaxUnpool3d((2, 1, 2), stride=1),
        ]
        pool, unpool = lib.nn.MaxPool2d(2, return_indices=True), lib.nn.MaxUnpool2d(2)
        x = lib.arange(2 * 3 * 4 * 6, dtype=lib.float64).reshape(2, 3, 4, 6).sin()
        y, i = pool(x)
        outs.append(([repr(m) for m in layers], unpool(y, i, output_size=x.shape)))
    assert outs[0][0] == outs[1][0]
    np.testing.assert_array_equal(outs[0][1].numpy(), outs[1][1].numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.nn.functional.max_pool3d(lib.ones(2, 3, 3), 2),
        lambda lib: lib.nn.functional.max_pool3d(lib.ones(1, 1, 2, 2, 2, dtype=lib.bool), 2),
        lambda lib: lib.nn.functional.avg_pool3d(lib.ones(1, 1, 2, 2, 2, dtype=lib.int32), 2),
        lambda lib: lib.nn.functional.max_pool3d(lib.ones(1, 1, 3, 3, 3), 2, padding=2),
        lambda lib: lib.nn.functional.max_pool3d(lib.ones(1, 1, 3, 3, 3), 4),
        lambda lib: lib.nn.functional.max_pool3d(lib.ones(1, 1, 3, 3, 3), 0),
        lambda lib: lib.nn.functional.avg_pool3d(lib.ones(1, 1, 3, 3, 3), 2, divisor_override=0),
        lambda lib: lib.nn.functional.max_unpool2d(
            lib.ones(1, 1, 2, 2), lib.tensor([[[[0, 1], [2, 99]]]]), 2
        ),
        lambda lib: lib.nn.functional.max_unpool2d(
            lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 3, dtype=lib.int64), 2
        ),
        lambda lib: lib.nn.functional.max_unpool2d(
            lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.int64), 2, output_size=(9, 4)
        ),
        lambda lib: lib.nn.functional.max_unpool2d(
            lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.int64), 2, output_size=(4,)
        ),
    ],
)
def test_bad_arguments_raise_torchs_error_type(fn):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(type(t_err.value)):
        fn(gradiente)

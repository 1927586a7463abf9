"""Bad arguments to the convolutions, unfold/fold and the activations raise torch's exception
type and message (``ops/conv_checks.py`` repeats torch's checks in its order): a kernel larger
than the padded input, negative padding, a zero stride or dilation, a bias of the wrong size, a
weight of another dtype, bool input, ``output_padding`` too large, bad layer arguments, an
integer tensor given to an activation. Each case runs in both frameworks and compares the two;
a call torch accepts compares the result's shape (activations: values too)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")


def R(m, *shape):
    """A float32 tensor of standard normal numbers (the same in both frameworks)."""
    return m.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


def x4(m):
    return R(m, 1, 3, 5, 5)


def w4(m):
    return R(m, 2, 3, 3, 3)


def x3(m):
    return R(m, 1, 3, 5)


def w3(m):
    return R(m, 2, 3, 3)


def x5(m):
    return R(m, 1, 3, 4, 4, 4)


def w5(m):
    return R(m, 2, 3, 3, 3, 3)


def wt4(m):
    return R(m, 3, 2, 3, 3)


def wt3(m):
    return R(m, 3, 2, 3)


def wt5(m):
    return R(m, 3, 2, 3, 3, 3)


def _outcome(make, lib):
    """(exception type, message) of ``make(lib)``, or what it returned (shapes as tuples)."""
    try:
        result = make(lib)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return type(error).__name__, str(error)
    if isinstance(result, lib.Tensor):
        return "ok", str(result.dtype).split(".")[-1], tuple(result.shape)
    return "ok", tuple(result) if hasattr(result, "__len__") else type(result).__name__


def _same(make):
    assert _outcome(make, gradiente) == _outcome(make, torch)


# functional convolutions: torch's checks, in its order
CONV_CASES = {
    "c2_kernel_big": lambda m: m.nn.functional.conv2d(R(m, 1, 3, 2, 2), w4(m)),
    "c2_kernel_big_dil": lambda m: m.nn.functional.conv2d(R(m, 1, 3, 4, 4), w4(m), dilation=2),
    "c2_kernel_big_pad": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 1, 1), R(m, 2, 3, 4, 4), padding=1
    ),
    "c2_kernel_big_unbatched": lambda m: m.nn.functional.conv2d(R(m, 3, 2, 2), w4(m)),
    "c2_neg_pad": lambda m: m.nn.functional.conv2d(x4(m), w4(m), padding=-1),
    "c2_neg_pad_tuple": lambda m: m.nn.functional.conv2d(x4(m), w4(m), padding=(0, -1)),
    "c2_stride0": lambda m: m.nn.functional.conv2d(x4(m), w4(m), stride=0),
    "c2_stride_neg": lambda m: m.nn.functional.conv2d(x4(m), w4(m), stride=(1, -1)),
    "c2_dil0": lambda m: m.nn.functional.conv2d(x4(m), w4(m), dilation=0),
    "c2_dil_neg": lambda m: m.nn.functional.conv2d(x4(m), w4(m), dilation=-2),
    "c2_bias_size": lambda m: m.nn.functional.conv2d(x4(m), w4(m), R(m, 3)),
    "c2_bias_2d": lambda m: m.nn.functional.conv2d(x4(m), w4(m), R(m, 2, 1)),
    "c2_bias_0d": lambda m: m.nn.functional.conv2d(x4(m), w4(m), m.tensor(1.0)),
    "c2_int_input_float_w": lambda m: m.nn.functional.conv2d(
        m.ones(1, 3, 5, 5, dtype=m.long), w4(m)
    ),
    "c2_bool_input": lambda m: m.nn.functional.conv2d(
        m.ones(1, 3, 5, 5, dtype=m.bool), m.ones(2, 3, 3, 3, dtype=m.bool)
    ),
    "c2_w3d": lambda m: m.nn.functional.conv2d(x4(m), R(m, 2, 3, 3)),
    "c2_w5d": lambda m: m.nn.functional.conv2d(x4(m), R(m, 2, 3, 3, 3, 3)),
    "c2_x5d": lambda m: m.nn.functional.conv2d(R(m, 1, 1, 3, 5, 5), w4(m)),
    "c2_x2d": lambda m: m.nn.functional.conv2d(R(m, 5, 5), w4(m)),
    "c2_groups_div_in": lambda m: m.nn.functional.conv2d(
        R(m, 1, 4, 5, 5), R(m, 2, 2, 3, 3), groups=3
    ),
    "c2_groups_div_out": lambda m: m.nn.functional.conv2d(
        R(m, 1, 4, 5, 5), R(m, 3, 2, 3, 3), groups=2
    ),
    "c2_groups0": lambda m: m.nn.functional.conv2d(x4(m), w4(m), groups=0),
    "c2_groups_neg": lambda m: m.nn.functional.conv2d(x4(m), w4(m), groups=-1),
    "c2_channels": lambda m: m.nn.functional.conv2d(R(m, 1, 4, 5, 5), w4(m)),
    "c2_dtype_w_double": lambda m: m.nn.functional.conv2d(x4(m), w4(m).double()),
    "c2_dtype_x_double": lambda m: m.nn.functional.conv2d(x4(m).double(), w4(m)),
    "c2_dtype_bias_double": lambda m: m.nn.functional.conv2d(x4(m), w4(m), R(m, 2).double()),
    "c2_dtype_half": lambda m: m.nn.functional.conv2d(x4(m).half(), w4(m)),
    "c2_dtype_bf16": lambda m: m.nn.functional.conv2d(x4(m), w4(m).bfloat16()),
    "c2_same_strided": lambda m: m.nn.functional.conv2d(x4(m), w4(m), padding="same", stride=2),
    "c2_bad_padstr": lambda m: m.nn.functional.conv2d(x4(m), w4(m), padding="full"),
    "c2_stride_len3": lambda m: m.nn.functional.conv2d(x4(m), w4(m), stride=(1, 1, 1)),
    "c2_pad_len3": lambda m: m.nn.functional.conv2d(x4(m), w4(m), padding=(1, 1, 1)),
    "c2_dil_len3": lambda m: m.nn.functional.conv2d(x4(m), w4(m), dilation=(1, 1, 1)),
    "c2_weight_empty": lambda m: m.nn.functional.conv2d(x4(m), R(m, 0, 3, 3, 3)),
    "c2_same_even_dil": lambda m: (
        m.nn.functional.conv2d(x4(m), w4(m), padding="same", dilation=2).shape
    ),
    "c1_kernel_big": lambda m: m.nn.functional.conv1d(R(m, 1, 3, 2), w3(m)),
    "c1_kernel_big_dil": lambda m: m.nn.functional.conv1d(R(m, 1, 3, 4), w3(m), dilation=2),
    "c1_neg_pad": lambda m: m.nn.functional.conv1d(x3(m), w3(m), padding=-1),
    "c1_stride0": lambda m: m.nn.functional.conv1d(x3(m), w3(m), stride=0),
    "c1_dil0": lambda m: m.nn.functional.conv1d(x3(m), w3(m), dilation=0),
    "c1_bias_size": lambda m: m.nn.functional.conv1d(x3(m), w3(m), R(m, 3)),
    "c1_w2d": lambda m: m.nn.functional.conv1d(x3(m), R(m, 2, 3)),
    "c1_w4d": lambda m: m.nn.functional.conv1d(x3(m), w4(m)),
    "c1_x4d": lambda m: m.nn.functional.conv1d(x4(m), w3(m)),
    "c1_groups": lambda m: m.nn.functional.conv1d(R(m, 1, 4, 5), R(m, 3, 2, 3), groups=2),
    "c1_groups_in": lambda m: m.nn.functional.conv1d(R(m, 1, 4, 5), R(m, 2, 2, 3), groups=3),
    "c1_channels": lambda m: m.nn.functional.conv1d(R(m, 1, 4, 5), w3(m)),
    "c1_dtype_w_double": lambda m: m.nn.functional.conv1d(x3(m), w3(m).double()),
    "c1_dtype_bias_double": lambda m: m.nn.functional.conv1d(x3(m), w3(m), R(m, 2).double()),
    "c1_same_strided": lambda m: m.nn.functional.conv1d(x3(m), w3(m), padding="same", stride=2),
    "c1_bad_padstr": lambda m: m.nn.functional.conv1d(x3(m), w3(m), padding="full"),
    "c1_stride_len2": lambda m: m.nn.functional.conv1d(x3(m), w3(m), stride=(1, 1)),
    "c1_pad_len2": lambda m: m.nn.functional.conv1d(x3(m), w3(m), padding=(1, 1)),
    "c3_kernel_big": lambda m: m.nn.functional.conv3d(R(m, 1, 3, 2, 2, 2), w5(m)),
    "c3_kernel_big_one": lambda m: m.nn.functional.conv3d(R(m, 1, 3, 4, 2, 4), w5(m)),
    "c3_neg_pad": lambda m: m.nn.functional.conv3d(x5(m), w5(m), padding=-1),
    "c3_stride0": lambda m: m.nn.functional.conv3d(x5(m), w5(m), stride=0),
    "c3_dil0": lambda m: m.nn.functional.conv3d(x5(m), w5(m), dilation=0),
    "c3_bias_size": lambda m: m.nn.functional.conv3d(x5(m), w5(m), R(m, 3)),
    "c3_w4d": lambda m: m.nn.functional.conv3d(x5(m), w4(m)),
    "c3_x3d": lambda m: m.nn.functional.conv3d(R(m, 3, 4, 4), w5(m)),
    "c3_x6d": lambda m: m.nn.functional.conv3d(R(m, 1, 1, 3, 4, 4, 4), w5(m)),
    "c3_groups": lambda m: m.nn.functional.conv3d(
        R(m, 1, 4, 4, 4, 4), R(m, 3, 2, 3, 3, 3), groups=2
    ),
    "c3_channels": lambda m: m.nn.functional.conv3d(R(m, 1, 4, 4, 4, 4), w5(m)),
    "c3_channels_unbatched": lambda m: m.nn.functional.conv3d(R(m, 4, 4, 4, 4), w5(m)),
    "c3_groups0": lambda m: m.nn.functional.conv3d(x5(m), w5(m), groups=0),
    "c3_dtype_w_double": lambda m: m.nn.functional.conv3d(x5(m), w5(m).double()),
    "c3_dtype_bias_double": lambda m: m.nn.functional.conv3d(x5(m), w5(m), R(m, 2).double()),
    "c3_same_strided": lambda m: m.nn.functional.conv3d(x5(m), w5(m), padding="same", stride=2),
    "c3_bad_padstr": lambda m: m.nn.functional.conv3d(x5(m), w5(m), padding="full"),
    "c3_stride_len2": lambda m: m.nn.functional.conv3d(x5(m), w5(m), stride=(1, 1)),
    "ct2_outpad": lambda m: m.nn.functional.conv_transpose2d(
        x4(m), wt4(m), stride=2, output_padding=2
    ),
    "ct2_outpad_s1": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), output_padding=1),
    "ct2_outpad_tuple": lambda m: m.nn.functional.conv_transpose2d(
        x4(m), wt4(m), stride=(2, 3), output_padding=(1, 3)
    ),
    "ct2_neg_pad": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), padding=-1),
    "ct2_stride0": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), stride=0),
    "ct2_dil0": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), dilation=0),
    "ct2_bias_size": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), R(m, 3)),
    "ct2_w3d": lambda m: m.nn.functional.conv_transpose2d(x4(m), R(m, 3, 2, 3)),
    "ct2_x5d": lambda m: m.nn.functional.conv_transpose2d(R(m, 1, 1, 3, 5, 5), wt4(m)),
    "ct2_x2d": lambda m: m.nn.functional.conv_transpose2d(R(m, 5, 5), wt4(m)),
    "ct2_groups": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), groups=2),
    "ct2_groups0": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), groups=0),
    "ct2_channels": lambda m: m.nn.functional.conv_transpose2d(R(m, 1, 4, 5, 5), wt4(m)),
    "ct2_dtype_w_double": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m).double()),
    "ct2_too_small": lambda m: m.nn.functional.conv_transpose2d(
        R(m, 1, 3, 1, 1), wt4(m), padding=2
    ),
    "ct2_padstr": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), padding="same"),
    "ct2_stride_len3": lambda m: m.nn.functional.conv_transpose2d(x4(m), wt4(m), stride=(1, 1, 1)),
    "ct1_outpad": lambda m: m.nn.functional.conv_transpose1d(
        x3(m), wt3(m), stride=2, output_padding=2
    ),
    "ct1_neg_pad": lambda m: m.nn.functional.conv_transpose1d(x3(m), wt3(m), padding=-1),
    "ct1_stride0": lambda m: m.nn.functional.conv_transpose1d(x3(m), wt3(m), stride=0),
    "ct1_dil0": lambda m: m.nn.functional.conv_transpose1d(x3(m), wt3(m), dilation=0),
    "ct1_bias_size": lambda m: m.nn.functional.conv_transpose1d(x3(m), wt3(m), R(m, 3)),
    "ct1_w4d": lambda m: m.nn.functional.conv_transpose1d(x3(m), wt4(m)),
    "ct1_groups": lambda m: m.nn.functional.conv_transpose1d(x3(m), wt3(m), groups=2),
    "ct1_channels": lambda m: m.nn.functional.conv_transpose1d(R(m, 1, 4, 5), wt3(m)),
    "ct1_dtype_w_double": lambda m: m.nn.functional.conv_transpose1d(x3(m), wt3(m).double()),
    "ct1_too_small": lambda m: m.nn.functional.conv_transpose1d(R(m, 1, 3, 1), wt3(m), padding=2),
    "ct3_outpad": lambda m: m.nn.functional.conv_transpose3d(
        x5(m), wt5(m), stride=2, output_padding=2
    ),
    "ct3_neg_pad": lambda m: m.nn.functional.conv_transpose3d(x5(m), wt5(m), padding=-1),
    "ct3_stride0": lambda m: m.nn.functional.conv_transpose3d(x5(m), wt5(m), stride=0),
    "ct3_dil0": lambda m: m.nn.functional.conv_transpose3d(x5(m), wt5(m), dilation=0),
    "ct3_bias_size": lambda m: m.nn.functional.conv_transpose3d(x5(m), wt5(m), R(m, 3)),
    "ct3_w4d": lambda m: m.nn.functional.conv_transpose3d(x5(m), wt4(m)),
    "ct3_x3d": lambda m: m.nn.functional.conv_transpose3d(R(m, 3, 4, 4), wt5(m)),
    "ct3_groups": lambda m: m.nn.functional.conv_transpose3d(x5(m), wt5(m), groups=2),
    "ct3_channels": lambda m: m.nn.functional.conv_transpose3d(R(m, 1, 4, 4, 4, 4), wt5(m)),
    "ct3_dtype_w_double": lambda m: m.nn.functional.conv_transpose3d(x5(m), wt5(m).double()),
    "ct3_dtype_bias_double": lambda m: m.nn.functional.conv_transpose3d(
        x5(m), wt5(m), R(m, 2).double()
    ),
    "ct3_too_small": lambda m: m.nn.functional.conv_transpose3d(
        R(m, 1, 3, 1, 1, 1), wt5(m), padding=2
    ),
    "x_c2_mkl_double_w": lambda m: m.nn.functional.conv2d(
        R(m, 2, 3, 8, 8), R(m, 2, 3, 3, 3).double()
    ),
    "x_c2_mkl_k5_double_w": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 8, 8), R(m, 2, 3, 5, 5).double()
    ),
    "x_c2_mkl_groups_double_w": lambda m: m.nn.functional.conv2d(
        R(m, 1, 4, 8, 8), R(m, 2, 2, 3, 3).double(), groups=2
    ),
    "x_c2_slow_double_x": lambda m: m.nn.functional.conv2d(
        R(m, 2, 3, 8, 8).double(), R(m, 2, 3, 3, 3)
    ),
    "x_c2_half_float_w": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 8, 8).half(), R(m, 2, 3, 3, 3)
    ),
    "x_c2_float_long_w": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 8, 8), m.ones(2, 3, 3, 3, dtype=m.long)
    ),
    "x_c2_long_float_w_nobias": lambda m: m.nn.functional.conv2d(
        m.ones(2, 3, 8, 8, dtype=m.long), R(m, 2, 3, 3, 3)
    ),
    "x_c2_bool_N2": lambda m: m.nn.functional.conv2d(
        m.ones(2, 3, 5, 5, dtype=m.bool), m.ones(2, 3, 3, 3, dtype=m.bool)
    ),
    "x_c2_bool_dil": lambda m: m.nn.functional.conv2d(
        m.ones(1, 3, 8, 8, dtype=m.bool), m.ones(2, 3, 3, 3, dtype=m.bool), dilation=2
    ),
    "x_c1_bool": lambda m: m.nn.functional.conv1d(
        m.ones(1, 3, 8, dtype=m.bool), m.ones(2, 3, 3, dtype=m.bool)
    ),
    "x_c3_bool": lambda m: m.nn.functional.conv3d(
        m.ones(1, 3, 4, 4, 4, dtype=m.bool), m.ones(2, 3, 3, 3, 3, dtype=m.bool)
    ),
    "x_ct2_bool": lambda m: m.nn.functional.conv_transpose2d(
        m.ones(1, 3, 4, 4, dtype=m.bool), m.ones(3, 2, 3, 3, dtype=m.bool)
    ),
    "x_ct1_bool": lambda m: m.nn.functional.conv_transpose1d(
        m.ones(1, 3, 4, dtype=m.bool), m.ones(3, 2, 3, dtype=m.bool)
    ),
    "x_ct3_bool": lambda m: m.nn.functional.conv_transpose3d(
        m.ones(1, 3, 4, 4, 4, dtype=m.bool), m.ones(3, 2, 3, 3, 3, dtype=m.bool)
    ),
    "x_c2_slow_k0": lambda m: m.nn.functional.conv2d(R(m, 1, 3, 8, 8), R(m, 2, 3, 3, 0)),
    "x_c2_mkl_k0": lambda m: m.nn.functional.conv2d(R(m, 2, 3, 8, 8), R(m, 2, 3, 3, 0)),
    "x_c2_dil_k0": lambda m: m.nn.functional.conv2d(R(m, 1, 3, 8, 8), R(m, 2, 3, 3, 0), dilation=2),
    "x_c1_k0": lambda m: m.nn.functional.conv1d(R(m, 1, 3, 8), R(m, 2, 3, 0)),
    "x_c3_k0": lambda m: m.nn.functional.conv3d(R(m, 1, 3, 8, 8, 8), R(m, 2, 3, 3, 0, 3)),
    "x_ct2_k0": lambda m: m.nn.functional.conv_transpose2d(R(m, 1, 3, 8, 8), R(m, 3, 2, 0, 3)),
    "x_ct3_k0": lambda m: m.nn.functional.conv_transpose3d(
        R(m, 1, 3, 4, 4, 4), R(m, 3, 2, 3, 0, 3)
    ),
    "x_c2_mkl_dil0": lambda m: m.nn.functional.conv2d(
        R(m, 2, 3, 8, 8), R(m, 2, 3, 3, 3), dilation=0
    ),
    "x_c1_mkl_dil0": lambda m: m.nn.functional.conv1d(R(m, 2, 3, 8), R(m, 2, 3, 3), dilation=0),
    "x_c2_dil_10": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 8, 8), R(m, 2, 3, 3, 3), dilation=(1, 0)
    ),
    "x_ct2_mkl_toosmall": lambda m: m.nn.functional.conv_transpose2d(
        R(m, 2, 3, 1, 1), R(m, 3, 2, 3, 3), padding=2
    ),
    "x_ct2_mkl_double_w": lambda m: m.nn.functional.conv_transpose2d(
        R(m, 2, 3, 8, 8), R(m, 3, 2, 3, 3).double()
    ),
    "x_ct2_mkl_double_b": lambda m: m.nn.functional.conv_transpose2d(
        R(m, 2, 3, 8, 8), R(m, 3, 2, 3, 3), R(m, 2).double()
    ),
    "x_ct2_neg_outpad": lambda m: m.nn.functional.conv_transpose2d(
        R(m, 1, 3, 8, 8), R(m, 3, 2, 3, 3), output_padding=-1
    ),
    "x_ct2_outpad_dil_ok": lambda m: (
        m.nn.functional.conv_transpose2d(
            R(m, 2, 3, 5, 5), R(m, 3, 2, 3, 3), output_padding=1, dilation=2
        ).shape
    ),
    "x_c2_same_w3d": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 5, 5), R(m, 2, 3, 3), padding="same"
    ),
    "x_c2_same_stride_len3": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 5, 5), R(m, 2, 3, 3, 3), padding="same", stride=(1, 1, 1)
    ),
    "x_c2_same_dil_len3": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 5, 5), R(m, 2, 3, 3, 3), padding="same", dilation=(1, 1, 1)
    ),
    "x_c2_same_k_big": lambda m: (
        m.nn.functional.conv2d(R(m, 1, 3, 2, 2), R(m, 2, 3, 3, 3), padding="same").shape
    ),
    "x_c2_same_even": lambda m: (
        m.nn.functional.conv2d(R(m, 1, 3, 5, 5), R(m, 2, 3, 4, 4), padding="same").shape
    ),
    "x_c2_valid_k_big": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 2, 2), R(m, 2, 3, 3, 3), padding="valid"
    ),
    "x_c2_same_groups0": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 5, 5), R(m, 2, 3, 3, 3), padding="same", groups=0
    ),
    "x_c2_bias_dtype_rank": lambda m: m.nn.functional.conv2d(
        R(m, 5, 5), R(m, 2, 3, 3, 3), R(m, 2).double()
    ),
    "x_c2_bias_dtype_padstr": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 5, 5), R(m, 2, 3, 3, 3), R(m, 2).double(), padding="full"
    ),
    "x_c2_w1d": lambda m: m.nn.functional.conv2d(R(m, 1, 3, 5, 5), R(m, 2)),
    "x_c2_stride_tuple1": lambda m: (
        m.nn.functional.conv2d(R(m, 1, 3, 8, 8), R(m, 2, 3, 3, 3), stride=(2,)).shape
    ),
    "x_c2_numpy_input": lambda m: m.nn.functional.conv2d(
        np.ones((1, 3, 5, 5), np.float32), R(m, 2, 3, 3, 3)
    ),
    "x_c3_numpy_input": lambda m: m.nn.functional.conv3d(
        np.ones((1, 3, 4, 4, 4), np.float32), R(m, 2, 3, 3, 3, 3)
    ),
    "x_ct2_numpy_input": lambda m: m.nn.functional.conv_transpose2d(
        np.ones((1, 3, 5, 5), np.float32), R(m, 3, 2, 3, 3)
    ),
    "x_ct1_numpy_input": lambda m: m.nn.functional.conv_transpose1d(
        np.ones((1, 3, 5), np.float32), R(m, 3, 2, 3)
    ),
    "x_ct3_padstr": lambda m: m.nn.functional.conv_transpose3d(
        R(m, 1, 3, 4, 4, 4), R(m, 3, 2, 3, 3, 3), padding="same"
    ),
    "x_ct1_padstr": lambda m: m.nn.functional.conv_transpose1d(
        R(m, 1, 3, 4), R(m, 3, 2, 3), padding="same"
    ),
    "x_c2_1x1_N1_double": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 8, 8), R(m, 2, 3, 1, 1).double()
    ),
    "x_c2_weight_empty_groups": lambda m: m.nn.functional.conv2d(
        R(m, 1, 4, 5, 5), R(m, 1, 2, 3, 3), groups=2
    ),
    "x_c2_channels_unbatched": lambda m: m.nn.functional.conv2d(R(m, 4, 5, 5), R(m, 2, 3, 3, 3)),
    "x_c3_kernel_dil": lambda m: m.nn.functional.conv3d(
        R(m, 1, 3, 4, 4, 4), R(m, 2, 3, 3, 3, 3), dilation=2
    ),
    "x_ct3_outpad_tuple": lambda m: m.nn.functional.conv_transpose3d(
        R(m, 1, 3, 4, 4, 4), R(m, 3, 2, 3, 3, 3), stride=2, output_padding=(0, 2, 1)
    ),
    "x_ct1_outpad": lambda m: m.nn.functional.conv_transpose1d(
        R(m, 1, 3, 4), R(m, 3, 2, 3), output_padding=1
    ),
    "y_c2_list_bias": lambda m: m.nn.functional.conv2d(
        R(m, 1, 3, 5, 5), R(m, 2, 3, 3, 3), [1.0, 2.0]
    ),
}

# nn.Conv* layers: constructor arguments and forward
LAYER_CASES = {
    "L_c2_in_groups": lambda m: m.nn.Conv2d(3, 4, 3, groups=2),
    "L_c2_out_groups": lambda m: m.nn.Conv2d(4, 3, 3, groups=2),
    "L_c2_groups0": lambda m: m.nn.Conv2d(4, 4, 3, groups=0),
    "L_c2_same_strided": lambda m: m.nn.Conv2d(3, 4, 3, padding="same", stride=2),
    "L_c1_same_strided": lambda m: m.nn.Conv1d(3, 4, 3, padding="same", stride=2),
    "L_c3_same_strided": lambda m: m.nn.Conv3d(3, 4, 3, padding="same", stride=2),
    "L_c2_neg_pad": lambda m: m.nn.Conv2d(3, 4, 3, padding=-1)(x4(m)),
    "L_c2_stride0": lambda m: m.nn.Conv2d(3, 4, 3, stride=0)(x4(m)),
    "L_c2_kernel_big": lambda m: m.nn.Conv2d(3, 4, 7)(x4(m)),
    "L_c2_kernel0": lambda m: m.nn.Conv2d(3, 4, 0)(x4(m)),
    "L_c2_int_input": lambda m: m.nn.Conv2d(3, 4, 3)(m.ones(1, 3, 5, 5, dtype=m.long)),
    "L_c2_double_input": lambda m: m.nn.Conv2d(3, 4, 3)(x4(m).double()),
    "L_ct2_padding_mode": lambda m: m.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"),
    "L_ct2_outpad": lambda m: m.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)(x4(m)),
    "L_ct2_in_groups": lambda m: m.nn.ConvTranspose2d(3, 4, 3, groups=2),
    "L_ct1_outpad": lambda m: m.nn.ConvTranspose1d(3, 4, 3, stride=2, output_padding=2)(x3(m)),
    "L_ct3_outpad": lambda m: m.nn.ConvTranspose3d(3, 4, 3, stride=2, output_padding=2)(x5(m)),
    "L_c2_padstr_same_transposed": lambda m: m.nn.ConvTranspose2d(3, 4, 3, padding="same"),
    "L_c2_kernel_tuple_len": lambda m: m.nn.Conv2d(3, 4, (3, 3, 3)),
    "L_c2_reflect_too_big": lambda m: m.nn.Conv2d(3, 4, 3, padding=5, padding_mode="reflect")(
        x4(m)
    ),
    "L_ct2_output_size": lambda m: m.nn.ConvTranspose2d(3, 4, 3, stride=2)(
        x4(m), output_size=(20, 20)
    ),
    "L_ct2_output_size_len": lambda m: m.nn.ConvTranspose2d(3, 4, 3, stride=2)(
        x4(m), output_size=(20,)
    ),
    "x_L_c2_nobias_long": lambda m: m.nn.Conv2d(3, 4, 3, bias=False)(
        m.ones(1, 3, 5, 5, dtype=m.long)
    ),
    "x_L_c2_same_layer_kbig": lambda m: (
        m.nn.Conv2d(3, 4, 5, padding="same")(R(m, 1, 3, 2, 2)).shape
    ),
    "x_L_c1_reflect_kbig": lambda m: m.nn.Conv1d(3, 4, 7, padding=1, padding_mode="reflect")(
        R(m, 1, 3, 3)
    ),
    "x_L_c2_circular_kbig": lambda m: m.nn.Conv2d(3, 4, 7, padding=1, padding_mode="circular")(
        R(m, 1, 3, 3, 3)
    ),
    "x_L_c3_same_even": lambda m: m.nn.Conv3d(3, 4, 2, padding="same")(R(m, 1, 3, 4, 4, 4)).shape,
    "x_L_ct1_outsize": lambda m: m.nn.ConvTranspose1d(3, 4, 3, stride=2)(
        R(m, 1, 3, 5), output_size=[20]
    ),
    "x_L_ct2_outsize_unbatched": lambda m: m.nn.ConvTranspose2d(3, 4, 3, stride=2)(
        R(m, 3, 5, 5), output_size=[3, 20, 20]
    ),
}

# F.unfold / F.fold
FOLD_CASES = {
    "unfold_1d": lambda m: m.nn.functional.unfold(R(m, 5), 2),
    "unfold_2d": lambda m: m.nn.functional.unfold(R(m, 5, 5), 2),
    "unfold_5d": lambda m: m.nn.functional.unfold(R(m, 1, 1, 1, 5, 5), 2),
    "unfold_k0": lambda m: m.nn.functional.unfold(x4(m), 0),
    "unfold_k_big": lambda m: m.nn.functional.unfold(x4(m), 6),
    "unfold_k_len3": lambda m: m.nn.functional.unfold(x4(m), (2, 2, 2)),
    "unfold_d0": lambda m: m.nn.functional.unfold(x4(m), 2, dilation=0),
    "unfold_s0": lambda m: m.nn.functional.unfold(x4(m), 2, stride=0),
    "unfold_p_neg": lambda m: m.nn.functional.unfold(x4(m), 2, padding=-1),
    "unfold_empty": lambda m: m.nn.functional.unfold(R(m, 1, 0, 5, 5), 2),
    "unfold_int": lambda m: m.nn.functional.unfold(m.ones(1, 3, 5, 5, dtype=m.long), 2).sum(),
    "unfold_bool": lambda m: m.nn.functional.unfold(m.ones(1, 3, 5, 5, dtype=m.bool), 2).sum(),
    "fold_1d": lambda m: m.nn.functional.fold(R(m, 12), (3, 3), 2),
    "fold_4d": lambda m: m.nn.functional.fold(R(m, 1, 12, 4, 1), (3, 3), 2),
    "fold_output_mismatch": lambda m: m.nn.functional.fold(R(m, 1, 12, 5), (3, 3), 2),
    "fold_div": lambda m: m.nn.functional.fold(R(m, 1, 10, 4), (3, 3), 2),
    "fold_k0": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), (3, 3), 0),
    "fold_output_len": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), (3, 3, 3), 2),
    "fold_output_int": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), 3, 2).shape,
    "fold_s0": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), (3, 3), 2, stride=0),
    "fold_d0": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), (3, 3), 2, dilation=0),
    "fold_p_neg": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), (3, 3), 2, padding=-1),
    "fold_k_big": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), (3, 3), 4),
    "fold_empty": lambda m: m.nn.functional.fold(R(m, 1, 0, 4), (3, 3), 2),
    "fold_int": lambda m: m.nn.functional.fold(m.ones(1, 12, 4, dtype=m.long), (3, 3), 2).sum(),
    "fold_output_size_0": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), (0, 3), 2),
    "x_unfold_pad_len3": lambda m: m.nn.functional.unfold(R(m, 1, 3, 5, 5), 2, padding=(1, 1, 1)),
    "x_unfold_stride_len1": lambda m: m.nn.functional.unfold(R(m, 1, 3, 5, 5), 2, stride=(1,)),
    "x_fold_output_len1": lambda m: m.nn.functional.fold(R(m, 1, 12, 4), (3,), 2),
    "x_fold_3d_k_div": lambda m: m.nn.functional.fold(R(m, 12, 4), (3, 3), (2, 3)),
    "x_unfold_numpy": lambda m: m.nn.functional.unfold(np.ones((1, 3, 5, 5), np.float32), 2),
    "x_fold_numpy": lambda m: m.nn.functional.fold(np.ones((1, 12, 4), np.float32), (3, 3), 2),
    "x_unfold_u8": lambda m: m.nn.functional.unfold(m.ones(1, 3, 5, 5, dtype=m.uint8), 2),
    "x_fold_bool": lambda m: m.nn.functional.fold(m.ones(1, 12, 4, dtype=m.bool), (3, 3), 2).sum(),
    "x_unfold_kernel_neg": lambda m: m.nn.functional.unfold(R(m, 1, 3, 5, 5), -1),
}


@pytest.mark.parametrize("name", CONV_CASES)
def test_convolution_errors_match_torch(name):
    _same(CONV_CASES[name])


@pytest.mark.parametrize("name", LAYER_CASES)
def test_conv_layer_errors_match_torch(name):
    _same(LAYER_CASES[name])


@pytest.mark.parametrize("name", FOLD_CASES)
def test_unfold_fold_errors_match_torch(name):
    _same(FOLD_CASES[name])


def _sorted_set(message: str) -> str:
    """The message with its printed set's items sorted: a set of strings prints in an order that
    depends on the process's hash seed and on when its module was compiled, in torch too."""
    head, rest = message.split("{", 1)
    items, tail = rest.split("}", 1)
    return head + "{" + ", ".join(sorted(items.split(", "))) + "}" + tail


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.nn.Conv2d(3, 4, 3, padding="full"),
        lambda m: m.nn.Conv2d(3, 4, 3, padding_mode="wrap"),
        lambda m: m.nn.Conv1d(3, 4, 3, padding="Same"),
    ],
)
def test_padding_sets_match_torch(make):
    """torch prints its sets of padding strings and modes (as a set: in hash order)."""
    ours, theirs = _outcome(make, gradiente), _outcome(make, torch)
    assert ours[0] == theirs[0] == "ValueError"
    assert _sorted_set(ours[1]) == _sorted_set(theirs[1])


# ------------------------------------------------------------------------------ activations
ACTIVATIONS = {
    "relu": lambda F, x: F.relu(x),
    "relu6": lambda F, x: F.relu6(x),
    "elu": lambda F, x: F.elu(x),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardtanh": lambda F, x: F.hardtanh(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x),
    "rrelu": lambda F, x: F.rrelu(x),
    "softplus": lambda F, x: F.softplus(x),
    "softsign": lambda F, x: F.softsign(x),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "threshold": lambda F, x: F.threshold(x, 0.5, 2.0),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "softmax": lambda F, x: F.softmax(x, dim=-1),
    "log_softmax": lambda F, x: F.log_softmax(x, dim=-1),
    "softmin": lambda F, x: F.softmin(x, dim=-1),
    "hardshrink": lambda F, x: F.hardshrink(x),
    "softshrink": lambda F, x: F.softshrink(x),
}
DTYPES = ("int64", "int32", "uint8", "bool", "float16")
# differences that remain (bfloat16 kernels, F.rrelu/glu/prelu dtype checks): not compared
KNOWN = {("softsign", "uint8"), ("hardtanh", "uint8")}


def _activation_input(m, dtype):
    values = [[-3.0, -1.0, 0.0, 0.5, 2.0, 7.0], [1.0, -2.0, 3.0, 0.0, -0.25, 4.0]]
    return m.tensor(values).to(getattr(m, dtype))


def _activation_outcome(lib, name, dtype):
    """(type, message) of the activation on that dtype, or (dtype, values rounded)."""
    try:
        y = ACTIVATIONS[name](lib.nn.functional, _activation_input(lib, dtype))
    except Exception as error:  # noqa: BLE001
        return type(error).__name__, str(error)
    values = y.float().numpy() if y.dtype != lib.bool else y.numpy().astype(np.float32)
    return str(y.dtype).split(".")[-1], np.round(values.astype(np.float64), 2).tolist()


@pytest.mark.parametrize(
    "name, dtype",
    [(n, d) for n in ACTIVATIONS for d in DTYPES if (n, d) not in KNOWN],
)
def test_activation_dtypes_match_torch(name, dtype):
    assert _activation_outcome(gradiente, name, dtype) == _activation_outcome(torch, name, dtype)


def test_half_erf_does_not_overflow():
    """float16 erf/erfc/gelu compute in float32 and round once, as torch's (no NaN at x = 4).
    (gelu: within float32 gelu's own difference from torch's in the far tail.)"""
    x = [-6.0, -4.0, -1.0, 0.0, 0.3, 1.0, 2.5, 4.0, 6.0]
    for name in ("erf", "erfc"):
        ours = getattr(gradiente, name)(gradiente.tensor(x, dtype=gradiente.float16))
        theirs = getattr(torch, name)(torch.tensor(x, dtype=torch.float16))
        np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())
    ours = gradiente.nn.functional.gelu(gradiente.tensor(x, dtype=gradiente.float16))
    theirs = torch.nn.functional.gelu(torch.tensor(x, dtype=torch.float16))
    np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=1e-2)

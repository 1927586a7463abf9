"""ops/normalization.py through nn.functional: batch, layer, group, instance and RMS norm
against torch (values, gradients, running statistics, messages)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


import numpy as np
import pytest

import gradiente
import gradiente.nn.functional as F
from conftest import assert_same, check_op

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine):
    C = shape[1]
    x = _rand(shape)
    params = [_rand((C,), 1), _rand((C,), 2)] if affine else []
    stats = {}

    def op(m, x, *wb):
        rm = m.zeros(C, dtype=m.float64)
        rv = m.ones(C, dtype=m.float64)
        out = m.nn.functional.batch_norm(x, rm, rv, *wb, training=True, momentum=0.3)
        stats.setdefault(m.__name__, (rm, rv))  # the first call (gradcheck calls it again)
        return out

    check_op(op, x, *params, double=True)
    for g_buf, t_buf in zip(stats["gradiente"], stats["torch"], strict=True):
        assert_same(g_buf, t_buf)


def test_batch_norm_eval_matches_torch():
    x, w, b = _rand((5, 3, 4)), _rand((3,), 1), _rand((3,), 2)
    rm, rv = _rand((3,), 3), _rand((3,), 4, 0.5, 2.0)

    def op(m, x, w, b):
        mean, var = m.from_numpy(rm.copy()), m.from_numpy(rv.copy())
        return m.nn.functional.batch_norm(x, mean, var, w, b, training=False, eps=1e-3)

    check_op(op, x, w, b, double=True)


def test_batch_norm_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(gradiente.zeros(1, 3), None, None, training=True)


@pytest.mark.parametrize(
    "shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3, 4), (3, 4))]
)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(shape, normalized, affine):
    params = [_rand(normalized, 1), _rand(normalized, 2)] if affine else []
    check_op(
        lambda m, x, *wb: m.nn.functional.layer_norm(x, normalized, *wb, eps=1e-4),
        _rand(shape),
        *params,
        double=True,
    )


def test_layer_norm_bad_shape_message():
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 5\]"):
        F.layer_norm(gradiente.zeros(3, 4), (5,))


@pytest.mark.parametrize("groups,shape", [(1, (2, 4, 3)), (2, (3, 4, 2, 3)), (4, (2, 4, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(groups, shape, affine):
    weight = (_rand((shape[1],), 1), _rand((shape[1],), 2)) if affine else ()
    check_op(
        lambda m, x, *wb: m.nn.functional.group_norm(x, groups, *wb, eps=1e-3),
        _rand(shape),
        *weight,
    )


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_matches_torch(shape, affine):
    weight = (_rand((shape[1],), 1), _rand((shape[1],), 2)) if affine else (None, None)
    check_op(
        lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b),
        _rand(shape),
        *weight,
    )


def test_instance_norm_running_statistics_match_torch():
    x = _rand((3, 2, 5))
    g_mean, g_var = gradiente.zeros(2, dtype=gradiente.float64), gradiente.ones(2)
    g_var = g_var.double()
    t_mean, t_var = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    g = F.instance_norm(gradiente.from_numpy(x), g_mean, g_var, momentum=0.3)
    t = torch.nn.functional.instance_norm(torch.from_numpy(x), t_mean, t_var, momentum=0.3)
    assert_same(g, t)
    assert_same(g_mean, t_mean, what="running_mean")
    assert_same(g_var, t_var, what="running_var")
    g = F.instance_norm(gradiente.from_numpy(x), g_mean, g_var, use_input_stats=False)
    t = torch.nn.functional.instance_norm(torch.from_numpy(x), t_mean, t_var, use_input_stats=False)
    assert_same(g, t, what="with running statistics")


@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_matches_torch(eps):
    check_op(
        lambda m, x, w: m.nn.functional.rms_norm(x, (3, 4), w, eps=eps),
        _rand((2, 3, 4)),
        _rand((3, 4), 1),
    )

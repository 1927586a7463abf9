"""Layers against torch: the same weights copied across, then forward, input gradient,
parameter gradients and buffers after training-mode steps, in float64; default initialisation
equal to torch's for the same seed; reprs equal to torch's; clear errors for bad input."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.nn as nn
from conftest import assert_same

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-7, 1e-9


def _rand(shape, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def copy_from_torch(g_mod, t_mod) -> None:
    """Give the gradiente module the torch module's parameters and buffers (strict load)."""
    sd = {k: gradiente.from_numpy(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()}
    g_mod.load_state_dict(sd)


def compare(g_mod, t_mod, *shapes, train=True, steps=2, seed=0):
    """Run both modules on the same inputs for ``steps`` steps and compare everything."""
    g_mod.double()
    t_mod.double()
    copy_from_torch(g_mod, t_mod)
    g_mod.train(train)
    t_mod.train(train)
    for step in range(steps):
        arrays = [_rand(s, seed + 10 * step + i) for i, s in enumerate(shapes)]
        g_in = [gradiente.from_numpy(a.copy()).requires_grad_() for a in arrays]
        t_in = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
        gradiente.manual_seed(step)
        torch.manual_seed(step)
        g_out = g_mod(*g_in)
        t_out = t_mod(*t_in)
        assert_same(g_out, t_out, RTOL, ATOL, what=f"step {step}: output")
        up = _rand(tuple(t_out.shape), 100 + step)
        g_out.backward(gradiente.from_numpy(up))
        t_out.backward(torch.from_numpy(up))
        for k, (g, t) in enumerate(zip(g_in, t_in, strict=True)):
            assert_same(g.grad, t.grad, RTOL, ATOL, what=f"step {step}: grad of input {k}")
        g_params = dict(g_mod.named_parameters())
        t_params = dict(t_mod.named_parameters())
        assert list(g_params) == list(t_params)
        for name in t_params:
            assert_same(
                g_params[name].grad,
                t_params[name].grad,
                RTOL,
                ATOL,
                what=f"step {step}: grad of {name}",
            )
        g_bufs, t_bufs = dict(g_mod.named_buffers()), dict(t_mod.named_buffers())
        assert list(g_bufs) == list(t_bufs)
        for name in t_bufs:
            assert_same(g_bufs[name], t_bufs[name], RTOL, ATOL, what=f"step {step}: {name}")


LAYERS = {
    "linear": (lambda m: m.nn.Linear(5, 3), [(4, 5)]),
    "linear_1d_input": (lambda m: m.nn.Linear(5, 3), [(5,)]),
    "linear_3d_input": (lambda m: m.nn.Linear(5, 3), [(2, 4, 5)]),
    "linear_no_bias": (lambda m: m.nn.Linear(5, 3, bias=False), [(4, 5)]),
    "bilinear": (lambda m: m.nn.Bilinear(3, 2, 4), [(5, 3), (5, 2)]),
    "identity": (lambda m: m.nn.Identity(7, foo=1), [(2, 3)]),
    "flatten": (lambda m: m.nn.Flatten(), [(2, 3, 4, 2)]),
    "flatten_dims": (lambda m: m.nn.Flatten(0, 1), [(2, 3, 4)]),
    "unflatten": (lambda m: m.nn.Unflatten(1, (2, 3)), [(4, 6)]),
    "relu": (lambda m: m.nn.ReLU(), [(4, 5)]),
    "leaky_relu": (lambda m: m.nn.LeakyReLU(0.1), [(4, 5)]),
    "elu": (lambda m: m.nn.ELU(alpha=0.5), [(4, 5)]),
    "gelu": (lambda m: m.nn.GELU(), [(4, 5)]),
    "gelu_tanh": (lambda m: m.nn.GELU(approximate="tanh"), [(4, 5)]),
    "silu": (lambda m: m.nn.SiLU(), [(4, 5)]),
    "tanh": (lambda m: m.nn.Tanh(), [(4, 5)]),
    "sigmoid": (lambda m: m.nn.Sigmoid(), [(4, 5)]),
    "logsigmoid": (lambda m: m.nn.LogSigmoid(), [(4, 5)]),
    "softplus": (lambda m: m.nn.Softplus(beta=2.0, threshold=2.0), [(4, 5)]),
    "hardtanh": (lambda m: m.nn.Hardtanh(-0.5, 0.5), [(4, 5)]),
    "relu6": (lambda m: m.nn.ReLU6(), [(4, 5)]),
    "softmax": (lambda m: m.nn.Softmax(dim=1), [(4, 5)]),
    "log_softmax": (lambda m: m.nn.LogSoftmax(dim=-1), [(2, 4, 5)]),
    "softmin": (lambda m: m.nn.Softmin(dim=0), [(4, 5)]),
    "dropout": (lambda m: m.nn.Dropout(0.3), [(6, 7)]),
    "dropout1d": (lambda m: m.nn.Dropout1d(0.5), [(3, 4, 5)]),
    "dropout2d": (lambda m: m.nn.Dropout2d(0.5), [(3, 4, 2, 2)]),
    "batchnorm1d": (lambda m: m.nn.BatchNorm1d(3), [(6, 3)]),
    "batchnorm1d_3d": (lambda m: m.nn.BatchNorm1d(3, momentum=0.5), [(4, 3, 5)]),
    "batchnorm1d_cumulative": (lambda m: m.nn.BatchNorm1d(3, momentum=None), [(6, 3)]),
    "batchnorm1d_no_affine": (lambda m: m.nn.BatchNorm1d(3, affine=False), [(6, 3)]),
    "batchnorm1d_no_stats": (lambda m: m.nn.BatchNorm1d(3, track_running_stats=False), [(6, 3)]),
    "batchnorm2d": (lambda m: m.nn.BatchNorm2d(2, eps=1e-3), [(3, 2, 4, 5)]),
    "batchnorm2d_no_bias": (lambda m: m.nn.BatchNorm2d(2, bias=False), [(3, 2, 4, 5)]),
    "layernorm": (lambda m: m.nn.LayerNorm(5), [(4, 5)]),
    "layernorm_2d": (lambda m: m.nn.LayerNorm((3, 4), eps=1e-3), [(2, 3, 4)]),
    "layernorm_no_affine": (lambda m: m.nn.LayerNorm(5, elementwise_affine=False), [(4, 5)]),
    "layernorm_no_bias": (lambda m: m.nn.LayerNorm(5, bias=False), [(4, 5)]),
    "selu": (lambda m: m.nn.SELU(), [(4, 5)]),
    "celu": (lambda m: m.nn.CELU(0.5), [(4, 5)]),
    "mish": (lambda m: m.nn.Mish(), [(4, 5)]),
    "hardswish": (lambda m: m.nn.Hardswish(), [(4, 5)]),
    "hardsigmoid": (lambda m: m.nn.Hardsigmoid(), [(4, 5)]),
    "softsign": (lambda m: m.nn.Softsign(), [(4, 5)]),
    "tanhshrink": (lambda m: m.nn.Tanhshrink(), [(4, 5)]),
    "threshold": (lambda m: m.nn.Threshold(0.1, 20.0), [(4, 5)]),
    "hardshrink": (lambda m: m.nn.Hardshrink(), [(4, 5)]),
    "softshrink": (lambda m: m.nn.Softshrink(0.3), [(4, 5)]),
    "glu": (lambda m: m.nn.GLU(), [(4, 6)]),
    "prelu": (lambda m: m.nn.PReLU(), [(4, 5)]),
    "prelu_channels": (lambda m: m.nn.PReLU(3, init=0.1), [(2, 3, 4, 4)]),
    "softmax2d": (lambda m: m.nn.Softmax2d(), [(2, 3, 4, 4)]),
    "dropout3d": (lambda m: m.nn.Dropout3d(0.5), [(3, 4, 2, 2, 2)]),
    "batchnorm3d": (lambda m: m.nn.BatchNorm3d(2), [(3, 2, 2, 3, 2)]),
    "groupnorm": (lambda m: m.nn.GroupNorm(2, 4), [(3, 4, 2, 3)]),
    "groupnorm_no_affine": (lambda m: m.nn.GroupNorm(4, 4, affine=False), [(3, 4, 5)]),
    "instancenorm1d": (lambda m: m.nn.InstanceNorm1d(3), [(2, 3, 5)]),
    "instancenorm1d_unbatched": (lambda m: m.nn.InstanceNorm1d(3, affine=True), [(3, 5)]),
    "instancenorm2d_tracked": (
        lambda m: m.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        [(2, 3, 4, 4)],
    ),
    "rmsnorm": (lambda m: m.nn.RMSNorm([4, 5]), [(3, 4, 5)]),
    "zeropad2d": (lambda m: m.nn.ZeroPad2d((1, 2, 0, 3)), [(2, 3, 4, 4)]),
    "constantpad1d": (lambda m: m.nn.ConstantPad1d(2, 3.5), [(2, 3, 4)]),
    "reflectionpad2d": (lambda m: m.nn.ReflectionPad2d(2), [(2, 3, 4, 4)]),
    "replicationpad1d": (lambda m: m.nn.ReplicationPad1d((3, 1)), [(2, 3, 4)]),
    "circularpad2d": (lambda m: m.nn.CircularPad2d(1), [(2, 3, 4, 4)]),
    "upsample_nearest": (lambda m: m.nn.Upsample(scale_factor=2), [(2, 3, 4, 4)]),
    "upsample_bilinear": (
        lambda m: m.nn.Upsample(size=(5, 7), mode="bilinear", align_corners=False),
        [(2, 3, 4, 4)],
    ),
    "upsampling_bilinear2d": (lambda m: m.nn.UpsamplingBilinear2d(scale_factor=2), [(1, 2, 3, 3)]),
    "upsampling_nearest2d": (lambda m: m.nn.UpsamplingNearest2d(size=5), [(1, 2, 3, 3)]),
    "pixelshuffle": (lambda m: m.nn.PixelShuffle(2), [(2, 8, 3, 3)]),
    "pixelunshuffle": (lambda m: m.nn.PixelUnshuffle(2), [(2, 2, 4, 6)]),
    "cosine_similarity": (lambda m: m.nn.CosineSimilarity(dim=1), [(4, 5), (4, 5)]),
    "pairwise_distance": (lambda m: m.nn.PairwiseDistance(p=1.5), [(4, 5), (4, 5)]),
}


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_torch(name, train):
    make, shapes = LAYERS[name]
    g_mod, t_mod = make(gradiente), make(torch)
    compare(g_mod, t_mod, *shapes, train=train)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_repr_matches_torch(name):
    make, _ = LAYERS[name]
    assert repr(make(gradiente)) == repr(make(torch))


@pytest.mark.parametrize("inplace_layer", ["ReLU", "LeakyReLU", "ELU", "SiLU", "Hardtanh", "ReLU6"])
def test_inplace_activation_layers(inplace_layer):
    g_mod = getattr(nn, inplace_layer)(inplace=True)
    t_mod = getattr(torch.nn, inplace_layer)(inplace=True)
    assert repr(g_mod) == repr(t_mod)
    g_seq = nn.Sequential(nn.Linear(4, 5), g_mod)
    t_seq = torch.nn.Sequential(torch.nn.Linear(4, 5), t_mod)
    compare(g_seq, t_seq, (3, 4))


def test_mlp_with_batchnorm_and_dropout_trains_like_torch():
    def make(m):
        m.manual_seed(0)
        return m.nn.Sequential(
            m.nn.Linear(6, 8),
            m.nn.BatchNorm1d(8),
            m.nn.ReLU(),
            m.nn.Dropout(0.25),
            m.nn.Linear(8, 4),
            m.nn.LayerNorm(4),
            m.nn.GELU(),
            m.nn.Linear(4, 2),
        )

    compare(make(gradiente), make(torch), (10, 6), steps=3)


@pytest.mark.parametrize("seed", [0, 1, 123])
def test_default_init_equals_torch_for_the_same_seed(seed):
    def make(m):
        m.manual_seed(seed)
        return m.nn.Sequential(
            m.nn.Linear(784, 256),
            m.nn.ReLU(),
            m.nn.Linear(256, 128),
            m.nn.ReLU(),
            m.nn.Linear(128, 10),
            m.nn.Bilinear(10, 3, 2),
            m.nn.BatchNorm1d(2),
            m.nn.LayerNorm(2),
        )

    g_sd, t_sd = make(gradiente).state_dict(), make(torch).state_dict()
    assert list(g_sd) == list(t_sd)
    for k in t_sd:
        assert_same(g_sd[k], t_sd[k], rtol=0, atol=0, what=k)


def test_linear_dtype_argument():
    layer = nn.Linear(3, 2, dtype=gradiente.float64)
    assert layer.weight.dtype == gradiente.float64 and layer.bias.dtype == gradiente.float64


def test_linear_wrong_features_says_what_it_expected():
    layer = nn.Linear(784, 10)
    with pytest.raises(RuntimeError) as err:
        layer(gradiente.zeros(64, 28))
    assert str(err.value) == "mat1 and mat2 shapes cannot be multiplied (64x28 and 784x10)"


def test_batchnorm_wrong_input_says_what_it_expected():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 2D input"):
        nn.BatchNorm2d(3)(gradiente.zeros(4, 3))
    with pytest.raises(RuntimeError, match="running_mean should contain 5 elements not 3"):
        nn.BatchNorm1d(3)(gradiente.zeros(4, 5))  # torch's words


def test_dropout_layer_eval_and_bad_p():
    layer = nn.Dropout(0.5).eval()
    x = gradiente.ones(4)
    assert layer(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)


def test_batchnorm_counts_batches_and_uses_running_stats_in_eval():
    g_bn, t_bn = nn.BatchNorm1d(3).double(), torch.nn.BatchNorm1d(3).double()
    for step in range(3):
        x = _rand((5, 3), step)
        g_bn(gradiente.from_numpy(x))
        t_bn(torch.from_numpy(x))
    assert int(g_bn.num_batches_tracked) == 3
    assert g_bn.num_batches_tracked.dtype == gradiente.int64
    g_bn.eval()
    t_bn.eval()
    x = _rand((2, 3), 9)
    assert_same(g_bn(gradiente.from_numpy(x)), t_bn(torch.from_numpy(x)))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 0}, {"max_norm": 1.0, "norm_type": 1.0}, {"scale_grad_by_freq": True}],
)
def test_embedding_layer_matches_torch(kwargs):
    gradiente.manual_seed(3)
    torch.manual_seed(3)
    g_mod, t_mod = nn.Embedding(7, 4, **kwargs), torch.nn.Embedding(7, 4, **kwargs)
    assert repr(g_mod) == repr(t_mod)
    assert_same(g_mod.weight, t_mod.weight, rtol=0, atol=0, what="init")
    ids = np.array([[0, 3, 3], [6, 0, 1]])
    g_out, t_out = g_mod(gradiente.tensor(ids)), t_mod(torch.from_numpy(ids))
    assert_same(g_out, t_out, what="output")
    up = _rand((2, 3, 4)).astype(np.float32)
    g_out.backward(gradiente.from_numpy(up))
    t_out.backward(torch.from_numpy(up))
    assert_same(g_mod.weight.grad, t_mod.weight.grad, rtol=1e-6, atol=1e-7, what="grad")
    assert_same(g_mod.weight, t_mod.weight, what="table after max_norm")


def test_embedding_from_pretrained_is_frozen_by_default():
    table = gradiente.arange(6.0).reshape(3, 2)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert frozen(gradiente.tensor([2])).tolist() == [[4.0, 5.0]]
    assert repr(frozen) == "Embedding(3, 2)"


def test_more_layer_reprs_with_options_match_torch():
    for make in (
        lambda m: m.nn.SELU(inplace=True),
        lambda m: m.nn.CELU(0.5, inplace=True),
        lambda m: m.nn.Mish(True),
        lambda m: m.nn.Threshold(0.1, 20, True),
        lambda m: m.nn.PReLU(3, 0.1),
        lambda m: m.nn.GLU(1),
        lambda m: m.nn.Embedding(10, 3, padding_idx=-2, max_norm=1.0, sparse=True),
        lambda m: m.nn.InstanceNorm1d(3, momentum=None),
        lambda m: m.nn.GroupNorm(2, 4, bias=False),
        lambda m: m.nn.RMSNorm(4, eps=1e-3, elementwise_affine=False),
        lambda m: m.nn.LayerNorm([3, 4], elementwise_affine=False),
        lambda m: m.nn.LayerNorm(4, bias=False),
        lambda m: m.nn.BatchNorm1d(3, momentum=None, affine=False, track_running_stats=False),
        lambda m: m.nn.BatchNorm2d(3, bias=False),
        lambda m: m.nn.Linear(3, 2, bias=False),
        lambda m: m.nn.Bilinear(3, 4, 2, bias=False),
        lambda m: m.nn.Upsample(scale_factor=(2, 3)),
        lambda m: m.nn.Upsample(size=4, mode="bilinear", align_corners=True),
        lambda m: m.nn.ConstantPad2d((1, 2, 3, 4), 3.5),
        lambda m: m.nn.ReflectionPad1d((1, 2)),
    ):
        assert repr(make(gradiente)) == repr(make(torch))


@pytest.mark.parametrize("seed", [0, 7])
def test_new_layers_default_init_equals_torch(seed):
    def make(m):
        m.manual_seed(seed)
        return m.nn.ModuleList(
            [m.nn.PReLU(4), m.nn.Embedding(9, 3, padding_idx=4), m.nn.GroupNorm(2, 4)]
        )

    g_sd, t_sd = make(gradiente).state_dict(), make(torch).state_dict()
    assert list(g_sd) == list(t_sd)
    for k in t_sd:
        assert_same(g_sd[k], t_sd[k], rtol=0, atol=0, what=k)

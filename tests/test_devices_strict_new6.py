"""This session's new code on the strict CuPy stand-in: vision RoI ops, FPN and feature
extraction, Adafactor, svd/pca_lowrank, the fft helpers, the Bessel/Airy functions, forward AD
and torch.func, and the factories and ops changed by the fuzz findings.

``backend.set_stand_in_cuda(1)`` makes ``backend._cupy`` the stand-in
(``gradiente._cupy_standin``), whose device arrays refuse what CuPy refuses: implicit
conversion to NumPy, host arrays mixed into device operations, ``ufunc.at``. Each case runs on
the CPU and on "cuda": values and gradients must be equal, results stay on the device, and no
op builds its result on the host (``backend.host_results``).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import gradiente
from gradiente import backend as B

TOL = {gradiente.float32: 1e-6, gradiente.float64: 1e-12}


@pytest.fixture
def cuda():
    B.set_stand_in_cuda(1)
    B.host_results.clear()
    yield
    B.set_stand_in_cuda(0)


def _no_host_results():
    assert not B.host_results, f"ops built results on the host: {sorted(B.host_results)}"


def _on(where, outs):
    for o in outs:
        assert o.device.type == where, (o.device, where)


def _assert_same(cpu, dev, tol):
    for a, b in zip(cpu, dev, strict=True):
        if a is None or b is None:
            assert a is None and b is None
            continue
        assert a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def _check(fn, shapes, *, extra=(), dtype=gradiente.float64, seed=0, grad=True, positive=False):
    """fn(*inputs, *extra) on the CPU and on the stand-in GPU: equal values, equal gradients
    of the inputs (random upstream gradient of the first output), all on the device."""
    tol = TOL[dtype]
    results = {}
    for where in ("cpu", "cuda"):
        gen = np.random.default_rng(seed)
        xs = []
        for s in shapes:
            v = gen.standard_normal(s)
            if positive:
                v = np.abs(v) + 0.1
            xs.append(gradiente.tensor(v, dtype=dtype).to(where).requires_grad_(grad))
        moved = [e.to(where) if isinstance(e, gradiente.Tensor) else e for e in extra]
        out = fn(*xs, *moved)
        outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        _on(where, outs)
        if grad and outs[0].requires_grad:
            up = np.random.default_rng(seed + 1).standard_normal(tuple(outs[0].shape))
            (outs[0] * gradiente.tensor(up, dtype=outs[0].dtype).to(where)).sum().backward()
        grads = [x.grad for x in xs]
        _on(where, [g for g in grads if g is not None])
        results[where] = (
            [o.detach().cpu().numpy() for o in outs],
            [None if g is None else g.cpu().numpy() for g in grads],
        )
    _assert_same(results["cpu"][0], results["cuda"][0], tol)
    _assert_same(results["cpu"][1], results["cuda"][1], tol)
    _no_host_results()


# ------------------------------------------------------------------------------ vision


def _rois(k=6, n_images=2, extent=(9, 11), seed=1):
    gen = np.random.default_rng(seed)
    h, w = extent
    x1 = gen.uniform(0, w - 2, k)
    y1 = gen.uniform(0, h - 2, k)
    x2 = np.minimum(x1 + 0.3 + gen.uniform(0, w, k), w - 1)
    y2 = np.minimum(y1 + 0.3 + gen.uniform(0, h, k), h - 1)
    b = gen.integers(0, n_images, k).astype(np.float64)
    return gradiente.tensor(np.stack([b, x1, y1, x2, y2], 1))


@pytest.mark.parametrize("dtype", [gradiente.float32, gradiente.float64])
@pytest.mark.parametrize("sampling_ratio,aligned", [(-1, False), (2, True)])
def test_roi_align(cuda, dtype, sampling_ratio, aligned):
    from gradiente.vision import ops

    rois = _rois().to(dtype)
    _check(
        lambda x, r: ops.roi_align(x, r, (3, 4), 1.0, sampling_ratio, aligned),
        [(2, 3, 9, 11)],
        extra=(rois,),
        dtype=dtype,
    )


def test_roi_align_box_list_and_double_backward(cuda):
    from gradiente.vision import ops

    rois = _rois()

    def fn(x, r):
        boxes = [r[:3, 1:], r[3:, 1:]]
        out = ops.roi_align(x, boxes, 2, 0.5, 2)
        (g,) = gradiente.autograd.grad((out**2).sum(), x, create_graph=True)
        return out, g

    _check(fn, [(2, 2, 6, 7)], extra=(rois,))


@pytest.mark.parametrize("dtype", [gradiente.float32, gradiente.float64])
def test_roi_pool(cuda, dtype):
    from gradiente.vision import ops

    rois = _rois().to(dtype)
    _check(
        lambda x, r: ops.roi_pool(x, r, (3, 2), 1.0), [(2, 3, 9, 11)], extra=(rois,), dtype=dtype
    )


def test_multi_scale_roi_align(cuda):
    from gradiente.vision import ops

    gen = np.random.default_rng(9)
    boxes = []
    for n in (5, 4):
        b = gen.uniform(0, 60, (n, 4))
        b[:, 2:] += b[:, :2] + 2
        boxes.append(gradiente.tensor(b))

    def fn(f1, f2, f3, *bs):
        m = ops.MultiScaleRoIAlign(["feat1", "feat3"], 3, 2)
        feats = OrderedDict(feat1=f1, feat2=f2, feat3=f3)
        return m(feats, list(bs), [(128, 128), (120, 100)])

    _check(fn, [(2, 3, 32, 32), (2, 3, 16, 16), (2, 3, 8, 8)], extra=tuple(boxes))


def _module_check(build, inputs, tol):
    """A float64 module built twice from the same seed, run on the CPU and on "cuda": equal
    outputs (a dict) and equal parameter and input gradients (random upstream gradients).
    ``tol``: the device convolutions add in another order (last-bit differences that a deep
    stack of training-mode batch norms amplifies)."""
    results = {}
    for where in ("cpu", "cuda"):
        gradiente.manual_seed(0)
        m = build(where).double().to(where)
        xs = [gradiente.tensor(v).to(where).requires_grad_() for v in inputs]
        values = list(m(*xs).values())
        _on(where, values)
        gen = np.random.default_rng(5)
        ups = [gradiente.tensor(gen.standard_normal(tuple(v.shape))).to(where) for v in values]
        sum((v * u).sum() for v, u in zip(values, ups)).backward()
        grads = [p.grad for p in m.parameters()] + [x.grad for x in xs]
        _on(where, [g for g in grads if g is not None])
        results[where] = (
            [v.detach().cpu().numpy() for v in values],
            [None if g is None else g.cpu().numpy() for g in grads],
        )
    _assert_same(results["cpu"][0], results["cuda"][0], tol)
    _assert_same(results["cpu"][1], results["cuda"][1], tol)
    _no_host_results()


@pytest.mark.parametrize("extra", [None, "maxpool", "p6p7"])
def test_feature_pyramid_network(cuda, extra):
    from gradiente import nn
    from gradiente.vision import ops

    channels = [4, 8, 12]
    blocks = {
        None: None,
        "maxpool": ops.LastLevelMaxPool,
        "p6p7": lambda: ops.LastLevelP6P7(12, 12),
    }[extra]

    class Wrap(nn.Module):
        def __init__(self, where):
            super().__init__()
            block = blocks() if blocks else None
            self.fpn = ops.FeaturePyramidNetwork(channels, 12, block, nn.BatchNorm2d)

        def forward(self, a, b, c):
            return self.fpn(OrderedDict(feat0=a, feat1=b, feat2=c))

    gen = np.random.default_rng(0)
    inputs = [gen.standard_normal((2, c, s, s)) for c, s in zip(channels, [16, 8, 5])]
    _module_check(Wrap, inputs, tol=1e-11)


def test_create_feature_extractor_resnet18(cuda):
    from gradiente.vision import models
    from gradiente.vision.models.feature_extraction import create_feature_extractor

    def build(where):
        # eval mode: training-mode batch norms over a few pixels make the gradients too
        # ill-conditioned to compare two summation orders; the model is moved first
        m = models.resnet18().eval().double().to(where)
        return create_feature_extractor(
            m, {"layer1": "c1", "layer2.0.bn1": "b", "avgpool": "pool", "fc": "logits"}
        )

    x = np.random.default_rng(2).standard_normal((2, 3, 32, 32))
    _module_check(build, [x], tol=1e-9)


# ------------------------------------------------------------------------------ Adafactor

ADAFACTOR_SHAPES = [(), (7,), (4, 5), (3, 4, 6)]


def _adafactor_run(where, steps, dtype, kwargs, state=None):
    """``steps`` Adafactor steps on parameters of every shape (the factored ones included);
    ``state``: an optimizer state_dict to resume from."""
    gen = np.random.default_rng(0)
    params = [
        gradiente.tensor(gen.standard_normal(s), dtype=dtype).to(where).requires_grad_()
        for s in ADAFACTOR_SHAPES
    ]
    targets = [
        gradiente.tensor(gen.standard_normal(s), dtype=dtype).to(where) for s in ADAFACTOR_SHAPES
    ]
    opt = gradiente.optim.Adafactor(params, **kwargs)
    if state is not None:
        with gradiente.no_grad():
            for p, saved in zip(params, state[0]):
                p.copy_(saved)
        opt.load_state_dict(state[1])
    for _ in range(steps):
        opt.zero_grad()
        sum(((p - t) ** 4).sum() for p, t in zip(params, targets)).backward()
        opt.step()
    return params, opt


@pytest.mark.parametrize("dtype", [gradiente.float32, gradiente.float64])
@pytest.mark.parametrize(
    "kwargs", [{}, {"lr": 0.05, "weight_decay": 0.1, "maximize": True, "eps": (1e-3, 1e-2)}]
)
def test_adafactor_steps_on_the_device(cuda, dtype, kwargs):
    cpu_params, _ = _adafactor_run("cpu", 4, dtype, kwargs)
    dev_params, dev_opt = _adafactor_run("cuda", 4, dtype, kwargs)
    _on("cuda", dev_params)
    _assert_same(
        [p.detach().numpy() for p in cpu_params],
        [p.detach().cpu().numpy() for p in dev_params],
        TOL[dtype],
    )
    for p in dev_params:  # the state was created on the parameter's device
        state = dev_opt.state[p]
        names = {"row_var", "col_var"} if p.ndim > 1 else {"variance"}
        assert names <= set(state)
        _on("cuda", [state[n] for n in names])
    _no_host_results()


@pytest.mark.parametrize("first,second", [("cuda", "cpu"), ("cpu", "cuda"), ("cuda", "cuda")])
def test_adafactor_state_dict_round_trip(cuda, tmp_path, first, second):
    """Two steps on one device, saved, loaded with map_location on the other, two more steps:
    the four-step run on the CPU."""
    whole, _ = _adafactor_run("cpu", 4, gradiente.float64, {})
    params, opt = _adafactor_run(first, 2, gradiente.float64, {})
    gradiente.save(([p.detach() for p in params], opt.state_dict()), tmp_path / "state.pt")
    state = gradiente.load(tmp_path / "state.pt", map_location=second)
    rest, resumed = _adafactor_run(second, 2, gradiente.float64, {}, state=state)
    _assert_same(
        [p.detach().numpy() for p in whole], [p.detach().cpu().numpy() for p in rest], 1e-12
    )
    for p in rest:
        for value in resumed.state[p].values():
            assert value.device.type == second


# ------------------------------------------------------------------------------ science APIs


@pytest.mark.parametrize("dtype", [gradiente.float32, gradiente.float64])
@pytest.mark.parametrize("shape,q", [((12, 7), 4), ((6, 10), 3), ((2, 9, 8), 5)])
def test_svd_lowrank(cuda, dtype, shape, q):
    def fn(a):
        gradiente.manual_seed(0)  # the same Gaussian test matrix on both devices
        return gradiente.svd_lowrank(a, q=q, niter=2)

    _check(fn, [shape], dtype=dtype)


def test_svd_lowrank_with_a_mean_matrix(cuda):
    def fn(a, m):
        gradiente.manual_seed(1)
        return gradiente.svd_lowrank(a, q=3, M=m)

    _check(fn, [(9, 6), (1, 6)])


@pytest.mark.parametrize("center", [True, False])
def test_pca_lowrank(cuda, center):
    def fn(a):
        gradiente.manual_seed(2)
        return gradiente.pca_lowrank(a, q=3, center=center)

    _check(fn, [(10, 5)])


@pytest.mark.parametrize("dtype", [None, gradiente.float64])
@pytest.mark.parametrize("n,d", [(1, 1.0), (8, 0.1), (9, 2.5)])
def test_fftfreq_and_rfftfreq_on_the_device(cuda, dtype, n, d):
    for name in ("fftfreq", "rfftfreq"):
        make = getattr(gradiente.fft, name)
        cpu = make(n, d, dtype=dtype)
        dev = make(n, d, dtype=dtype, device="cuda", requires_grad=True)
        assert dev.device.type == "cuda" and dev.requires_grad and dev.dtype == cpu.dtype
        np.testing.assert_array_equal(dev.detach().cpu().numpy(), cpu.numpy())
    _no_host_results()


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("dim", [None, 1, (0, -1)])
def test_fftshift_and_ifftshift(cuda, name, dim):
    shift = getattr(gradiente.fft, name)
    _check(lambda x: shift(x, dim=dim), [(3, 5, 4)])


BESSEL = [
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
    "airy_ai",
]


@pytest.mark.parametrize("dtype", [gradiente.float32, gradiente.float64])
@pytest.mark.parametrize("name", BESSEL)
def test_bessel_and_airy_functions(cuda, dtype, name):
    fn = getattr(gradiente.special, name)
    # every branch of the kernels: negative, zero, small, the series/asymptotic switches, large
    values = np.concatenate(
        [
            np.linspace(-12, 12, 97),
            [0.0, 1e-6, -1e-6, 2.0, 2.09, -2.09, 5.0, 8.0, 30.0, 104.0, np.inf, -np.inf, np.nan],
        ]
    )
    cpu = fn(gradiente.tensor(values, dtype=dtype))
    dev = fn(gradiente.tensor(values, dtype=dtype).to("cuda"))
    assert dev.device.type == "cuda" and dev.dtype == cpu.dtype
    np.testing.assert_allclose(dev.cpu().numpy(), cpu.numpy(), rtol=TOL[dtype], atol=0)
    _no_host_results()


# ------------------------------------------------------------------------------ func, forward AD


def _mlp(lib_x):
    """A small function of one tensor with matmuls, element-wise ops and a reduction."""
    w = gradiente.tensor(np.random.default_rng(7).standard_normal((4, 3))).to(lib_x.device)
    return (lib_x @ w).tanh() * lib_x.sum() + lib_x[:, :3].exp()


def _compare_both(build, tol=1e-12):
    """build(where) on the CPU and on "cuda": the same tensors (a tuple), all on the device."""
    cpu = build("cpu")
    dev = build("cuda")
    _on("cuda", [t for t in dev if t is not None])
    _assert_same([t.detach().numpy() for t in cpu], [t.detach().cpu().numpy() for t in dev], tol)
    _no_host_results()


def _x(where, shape=(2, 4), seed=0):
    return gradiente.tensor(np.random.default_rng(seed).standard_normal(shape)).to(where)


def test_forward_ad_dual_tensors(cuda):
    import gradiente.autograd.forward_ad as fwAD

    def build(where):
        x, v = _x(where), _x(where, seed=1)
        model = gradiente.nn.Linear(4, 3).double()
        gradiente.manual_seed(0)
        model = gradiente.nn.Sequential(gradiente.nn.Linear(4, 5), gradiente.nn.GELU())
        model = model.double().to(where)
        with fwAD.dual_level():
            dual = fwAD.make_dual(x, v)
            y = _mlp(dual)
            z = model(dual).softmax(-1)
            p, t = fwAD.unpack_dual(y)
            pz, tz = fwAD.unpack_dual(z)
        return p, t, pz, tz

    _compare_both(build)


def test_jvp_jacfwd_jacrev_hessian_linearize(cuda):
    from gradiente import func

    def build(where):
        x, v = _x(where), _x(where, seed=1)
        out, tangent = func.jvp(_mlp, (x,), (v,))
        jf = func.jacfwd(_mlp)(x)
        jr = func.jacrev(_mlp)(x)
        h = func.hessian(lambda a: (a.sin() * a).sum())(x)
        value, jvp_fn = func.linearize(_mlp, x)
        return out, tangent, jf, jr, h, value, jvp_fn(v)

    _compare_both(build)


def test_vmap_and_grad(cuda):
    from gradiente import func

    def build(where):
        x = _x(where, (5, 2, 4))
        batched = func.vmap(_mlp)(x)
        per_sample = func.vmap(func.grad(lambda a: _mlp(a).square().sum()))(x)
        moved = func.vmap(lambda a: a.cumsum(0), in_dims=1, out_dims=1)(x)
        return batched, per_sample, moved

    _compare_both(build)


def test_grad_with_batched_grads(cuda):
    def build(where):
        x = _x(where).requires_grad_()
        y = _mlp(x)
        seeds = gradiente.eye(6, dtype=gradiente.float64, device=where).reshape(6, 2, 3)
        (jac,) = gradiente.autograd.grad(y, x, seeds, is_grads_batched=True, retain_graph=True)
        # no seed: the implicit ones carry no batch dimension, refused as torch does
        with pytest.raises(RuntimeError, match="is_grads_batched=True"):
            gradiente.autograd.grad(y.sum().reshape(1), x, is_grads_batched=True)
        s = (x * x).sum()
        (implicit,) = gradiente.autograd.grad(
            s, x, gradiente.ones(3, dtype=gradiente.float64, device=where), is_grads_batched=True
        )
        return jac, implicit

    _compare_both(build)


# ------------------------------------------------------------------------------ factories, ops


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: gradiente.arange(10, **kw),
        lambda **kw: gradiente.arange(-3.5, 2.25, 0.75, **kw),
        lambda **kw: gradiente.arange(1, 9, 2, dtype=gradiente.int32, **kw),
        lambda **kw: gradiente.arange(0.0, 1.0, 0.1, dtype=gradiente.float64, **kw),
        lambda **kw: gradiente.linspace(-2.0, 3.0, 11, **kw),
        lambda **kw: gradiente.linspace(-3.7, 8.2, 6, dtype=gradiente.int64, **kw),
        lambda **kw: gradiente.linspace(0.0, 1.0, 1, dtype=gradiente.float64, **kw),
        lambda **kw: gradiente.logspace(-2.0, 2.0, 9, **kw),
        lambda **kw: gradiente.logspace(0, 3, 4, base=2, dtype=gradiente.int32, **kw),
        lambda **kw: gradiente.logspace(1.5, 1.5, 1, dtype=gradiente.float64, **kw),
        lambda **kw: gradiente.full((2, 3), -0.0, **kw),
        lambda **kw: gradiente.full((3,), 7, **kw),
        lambda **kw: gradiente.full((2,), -1, dtype=gradiente.uint8, **kw),
    ],
)
def test_factories_on_the_device(cuda, make):
    cpu = make()
    dev = make(device="cuda")
    assert dev.device.type == "cuda" and dev.dtype == cpu.dtype and dev.shape == cpu.shape
    np.testing.assert_array_equal(dev.cpu().numpy(), cpu.numpy())
    assert np.array_equal(np.signbit(dev.cpu().numpy()), np.signbit(cpu.numpy()))
    out = gradiente.empty(0, dtype=cpu.dtype, device="cuda")
    assert make(out=out) is out and out.device.type == "cuda"
    np.testing.assert_array_equal(out.cpu().numpy(), cpu.numpy())
    _no_host_results()


@pytest.mark.parametrize(
    "kwargs", [{}, {"n": 2, "dim": 0}, {"n": 0}, {"prepend": "p", "append": "a", "dim": 1}]
)
def test_diff(cuda, kwargs):
    def fn(x, p, a):
        given = {k: {"p": p, "a": a}.get(v, v) for k, v in kwargs.items()}
        return x.diff(**given)

    _check(fn, [(4, 5), (4, 2), (4, 1)])


@pytest.mark.parametrize("mode", ["dx", "x1d", "xnd", "none"])
def test_cumulative_trapezoid(cuda, mode):
    def fn(y, x):
        if mode == "dx":
            return gradiente.cumulative_trapezoid(y, dx=0.5, dim=0)
        if mode == "x1d":
            return gradiente.cumulative_trapezoid(y, x[0])
        if mode == "xnd":
            return gradiente.cumulative_trapezoid(y, x.cumsum(-1))
        return gradiente.cumulative_trapezoid(y)

    _check(fn, [(3, 6), (3, 6)])


@pytest.mark.parametrize("dtype", [gradiente.float32, gradiente.float64])
@pytest.mark.parametrize("eps", [None, 0.1, -1.0])
def test_logit(cuda, dtype, eps):
    def fn(x):
        p = x.sigmoid() * 1.2 - 0.1  # values below 0 and above 1 too
        p = gradiente.cat([p.reshape(-1), p.reshape(-1)[:2] * 0, p.reshape(-1)[:1] * 0 + 1])
        return p.logit(eps)

    _check(fn, [(4, 5)], dtype=dtype)


@pytest.mark.parametrize("dtype", [gradiente.float32, gradiente.float64])
def test_erfinv_and_sigmoid_double_backward(cuda, dtype):
    def fn(x):
        y = (x.tanh() * 0.99).erfinv()
        (g,) = gradiente.autograd.grad(x.sigmoid().sum(), x, create_graph=True)
        return y, g

    _check(fn, [(3, 4)], dtype=dtype)


def test_hardtanh_with_nan_and_trigamma(cuda):
    import gradiente.nn.functional as F

    def fn(x):
        with_nan = x.masked_fill(x > 1.2, float("nan"))
        return (
            F.hardtanh(with_nan, -0.5, 0.5),
            gradiente.polygamma(1, x),
            gradiente.special.xlog1py(x, x.abs()),
        )

    _check(fn, [(3, 7)])


@pytest.mark.parametrize("op", ["cummin", "cummax"])
@pytest.mark.parametrize("dim", [0, -1])
def test_cummin_cummax(cuda, op, dim):
    def fn(x):
        values, indices = getattr(x.round(), op)(dim)  # ties: the last index, as torch
        return values, indices

    _check(fn, [(5, 6)])


def test_scatter_reduce_sum(cuda):
    index = gradiente.tensor([[0, 1, 0, 3], [2, 2, 0, 1]])

    def fn(x, src, idx):
        return x.scatter_reduce(1, idx, src, "sum"), x.scatter_reduce(
            1, idx, src, "sum", include_self=False
        )

    _check(fn, [(2, 5), (2, 4)], extra=(index,))


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True}])
def test_embedding_double_backward(cuda, kwargs):
    import gradiente.nn.functional as F

    index = gradiente.tensor([[0, 2, 1, 2], [4, 1, 1, 0]])

    def fn(w, idx):
        y = F.embedding(idx, w, **kwargs)
        (g,) = gradiente.autograd.grad((y.sin() * y).sum(), w, create_graph=True)
        return g, y

    _check(fn, [(5, 3)], extra=(index,))


# ------------------------------------------------------------------------------ identities


def _symmetric(a):
    return (a + a.mT) / 2


@pytest.mark.parametrize(
    "fn,shapes",
    [
        (lambda a: gradiente.einsum("ii->i", a), [(4, 4)]),  # a repeated letter's backward
        (lambda a: gradiente.einsum("bii->bi", a), [(2, 3, 3)]),
        (lambda a: gradiente.linalg.eigh(_symmetric(a))[1].abs().sum(-1), [(4, 4)]),  # eigh
        (lambda a: gradiente.linalg.matrix_exp(a * 0.3), [(3, 3)]),
        (lambda a: gradiente.linalg.matrix_exp(a * 0.3), [(2, 3, 3)]),
    ],
)
def test_identity_matrices_are_made_on_the_inputs_device(cuda, fn, shapes):
    """Backward passes and series that need an identity matrix build it on the device."""
    _check(fn, shapes)


@pytest.mark.parametrize(
    "fn",
    [lambda a: a[..., 1], lambda a: a[0, ...], lambda a: a[..., 1:, None], lambda a: a[1, 2, ...]],
)
def test_basic_indices_with_an_ellipsis(cuda, fn):
    """``x[..., i]`` on a CUDA tensor (a CuPy array is not a NumPy array, and an index that
    already holds ``...`` must not get a second one)."""
    _check(fn, [(2, 3, 4)])

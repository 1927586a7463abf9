"""Hunt 4's findings on ops and layers against torch: scatter_reduce's amax/amin/prod gradients,
adaptive 3-D pooling, loss node names and torch.func.stack_module_state."""

import copy

import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as GF
from gradiente.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


# --------------------------------------------------------------------- scatter_reduce gradients
def _scatter_reduce_run(lib, self_values, src_values, index, dim, reduce, include_self):
    a = lib.tensor(self_values, dtype=lib.float64, requires_grad=True)
    s = lib.tensor(src_values, dtype=lib.float64, requires_grad=True)
    out = a.scatter_reduce(dim, lib.tensor(index), s, reduce, include_self=include_self)
    weights = np.arange(1.0, out.numel() + 1).reshape(tuple(out.shape))
    (out * lib.tensor(weights)).sum().backward()
    return out.detach().numpy(), a.grad.numpy(), s.grad.numpy(), out.grad_fn.name()


_rng = np.random.default_rng(0)
SCATTER_CASES = [
    # ties between src values, and with self's own value
    ([1.0, 2.0, 3.0], [2.0, 2.0, 5.0, 3.0, 0.0], [1, 1, 0, 2, 2], 0),
    # zeros in self and in src: one zero in a group, several zeros in a group
    ([0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 3.0, 0.0], [0, 1, 2, 2, 2], 0),
    ([1.0, 0.0, 3.0], [0.0, 2.0, 0.0, 3.0, 4.0], [0, 1, 2, 2, 1], 0),
    # small integers as floats: many ties and zeros, 2-D along both dims
    (
        _rng.integers(-2, 3, (4, 3)).astype(float).tolist(),
        _rng.integers(-2, 3, (5, 3)).astype(float).tolist(),
        _rng.integers(0, 4, (5, 3)).tolist(),
        0,
    ),
    (
        _rng.integers(-2, 3, (4, 3)).astype(float).tolist(),
        _rng.integers(-2, 3, (4, 6)).astype(float).tolist(),
        _rng.integers(0, 3, (4, 6)).tolist(),
        1,
    ),
]


@pytest.mark.parametrize("case", SCATTER_CASES)
@pytest.mark.parametrize("reduce", ["amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients_match_torch(case, reduce, include_self):
    ours = _scatter_reduce_run(g, *case, reduce, include_self)
    theirs = _scatter_reduce_run(torch, *case, reduce, include_self)
    for o, t in zip(ours[:3], theirs[:3], strict=True):
        np.testing.assert_allclose(o, t, rtol=1e-12, atol=0)
    assert ours[3] == theirs[3] == "ScatterReduceBackward0"


def test_scatter_reduce_finding_repro():
    """GNN max aggregation: gradient 1 at each group's maximum."""
    grads = []
    for lib in (torch, g):
        lib.manual_seed(0)
        x = lib.randn(5, 3, requires_grad=True)
        idx = lib.tensor([0, 0, 1, 2, 2]).unsqueeze(1).expand(-1, 3)
        out = lib.full((3, 3), -1e9).scatter_reduce(0, idx, x, reduce="amax", include_self=True)
        out.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("reduce", ["amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradcheck(reduce, include_self):
    a = g.randn(4, 3, dtype=g.float64, requires_grad=True)
    s = g.randn(6, 3, dtype=g.float64, requires_grad=True)
    index = g.tensor([[0, 1, 2], [1, 1, 3], [3, 0, 0], [2, 2, 2], [0, 3, 1], [0, 0, 0]])

    def f(a, s):
        return a.scatter_reduce(0, index, s, reduce, include_self=include_self)

    assert gradcheck(f, (a, s))
    assert gradgradcheck(f, (a, s))


def test_scatter_reduce_prod_double_backward_with_two_zeros_refuses():
    a = g.ones(2, dtype=g.float64, requires_grad=True)
    s = g.tensor([0.0, 0.0, 3.0], dtype=g.float64, requires_grad=True)
    out = a.scatter_reduce(0, g.tensor([0, 0, 1]), s, "prod")
    with pytest.raises(RuntimeError, match="Double backward is unsupported for src"):
        g.autograd.grad(out.sum(), s, create_graph=True)
    (grad,) = g.autograd.grad(out.sum(), s)  # first order is fine: zeros for the zeros
    np.testing.assert_array_equal(grad.numpy(), [0.0, 0.0, 1.0])


def test_scatter_reduce_without_grad_and_larger_src():
    a = g.tensor([1.0, 5.0, 2.0])
    s = g.tensor([[4.0, 9.0], [0.5, 7.0]])[0]  # src larger than index: only its corner counts
    out = a.scatter_reduce(0, g.tensor([2]), s, "amax")
    assert not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [1.0, 5.0, 4.0])
    s = g.tensor([4.0, 9.0], requires_grad=True)
    a.scatter_reduce(0, g.tensor([2]), s, "amax").sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), [1.0, 0.0])


# --------------------------------------------------------------------- adaptive 3-D pooling
POOL_CASES = [
    ((2, 3, 4, 5, 6), 2),
    ((2, 3, 4, 5, 6), (3, None, 4)),
    ((3, 7, 5, 9), (3, 2, 4)),  # unbatched
    ((1, 2, 6, 6, 6), (3, 3, 3)),  # regular windows
    ((1, 1, 5, 4, 3), 1),  # global pooling (torch: a plain mean)
    ((1, 2, 3, 3, 3), (5, 4, 6)),  # output larger than input: overlapping windows
]


@pytest.mark.parametrize(("shape", "output_size"), POOL_CASES)
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool3d_matches_torch(shape, output_size, kind):
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal(shape)
    x_np[..., 1, 0, 0] = x_np[..., 0, 0, 0]  # a tie: the first maximum wins
    results = []
    for lib, F in ((torch, TF), (g, GF)):
        x = lib.tensor(x_np, requires_grad=True)
        if kind == "max":
            y, idx = F.adaptive_max_pool3d(x, output_size, return_indices=True)
        else:
            y, idx = F.adaptive_avg_pool3d(x, output_size), None
        w = np.random.default_rng(2).standard_normal(tuple(y.shape))
        (y * lib.tensor(w)).sum().backward()
        results.append((y, idx, x.grad))
    (yt, it, gt), (yg, ig, gg) = results
    assert tuple(yg.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gg.numpy(), gt.numpy(), rtol=1e-12, atol=1e-14)
    assert yg.grad_fn.name() == yt.grad_fn.name()
    if kind == "max":
        assert ig.dtype == g.int64
        np.testing.assert_array_equal(ig.numpy(), it.numpy())


def test_adaptive_max_pool3d_nan_windows():
    x_np = np.random.default_rng(3).standard_normal((2, 3, 5, 4, 6))
    x_np[0, 0, 1, 1, 1] = x_np[0, 0, 2, 1, 1] = x_np[1, 2, 0, 0, 0] = np.nan
    out = [F.adaptive_max_pool3d(lib.tensor(x_np), (3, 2, 4), True) for lib, F in
           ((torch, TF), (g, GF))]  # fmt: skip
    np.testing.assert_array_equal(out[1][1].numpy(), out[0][1].numpy())
    np.testing.assert_array_equal(out[1][0].numpy(), out[0][0].numpy())


@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool3d_gradcheck(kind):
    x = g.randn(1, 2, 4, 5, 3, dtype=g.float64, requires_grad=True)
    f = getattr(GF, f"adaptive_{kind}_pool3d")
    assert gradcheck(lambda x: f(x, (3, 2, 2)), (x,))
    assert gradgradcheck(lambda x: f(x, (3, 2, 2)), (x,))


def test_adaptive_pool3d_layers_and_errors():
    x_np = np.random.default_rng(4).standard_normal((1, 2, 4, 5, 6)).astype(np.float32)
    for ours, theirs in (
        (g.nn.AdaptiveAvgPool3d((2, 3, None)), torch.nn.AdaptiveAvgPool3d((2, 3, None))),
        (g.nn.AdaptiveMaxPool3d(2), torch.nn.AdaptiveMaxPool3d(2)),
    ):
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(
            ours(g.tensor(x_np)).numpy(), theirs(torch.tensor(x_np)).numpy(), rtol=1e-6
        )
    y, idx = g.nn.AdaptiveMaxPool3d(2, return_indices=True)(g.tensor(x_np))
    _, idx_t = torch.nn.AdaptiveMaxPool3d(2, return_indices=True)(torch.tensor(x_np))
    np.testing.assert_array_equal(idx.numpy(), idx_t.numpy())
    for name in ("adaptive_avg_pool3d", "adaptive_max_pool3d"):
        for bad, error in (
            (lambda m: m.ones(2, 3, 4), RuntimeError),
            (lambda m: m.ones(1, 2, 3, 4, 5, dtype=m.int64), NotImplementedError),
        ):
            with pytest.raises(error) as theirs:
                getattr(TF, name)(bad(torch), 2)
            with pytest.raises(error) as ours:
                getattr(GF, name)(bad(g), 2)
            assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError, match="output_size must be 3"):
        GF.adaptive_avg_pool3d(g.ones(1, 2, 3, 4, 5), (2, 2))


# --------------------------------------------------------------------- loss node names
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_node_name(weighted, reduction):
    names, values = [], []
    for lib in (torch, g):
        p = lib.tensor([0.2, 0.7, 0.9, 0.4], requires_grad=True)
        y = lib.tensor([0.0, 1.0, 0.5, 1.0])
        w = lib.tensor([1.0, 2.0, 0.5, 3.0]) if weighted else None
        loss = lib.nn.functional.binary_cross_entropy(p, y, weight=w, reduction=reduction)
        loss.sum().backward()
        names.append(loss.grad_fn.name())
        values.append((loss.detach().numpy(), p.grad.numpy()))
    assert names[0] == names[1] == "BinaryCrossEntropyBackward0"
    np.testing.assert_allclose(values[1][0], values[0][0], rtol=1e-6)
    np.testing.assert_allclose(values[1][1], values[0][1], rtol=1e-6)


NLL_SHAPES = [((3, 5), (3,)), ((5,), ()), ((2, 5, 4), (2, 4)), ((2, 5, 4, 3), (2, 4, 3))]
NLL_SHAPES.append(((2, 5, 4, 3, 2), (2, 4, 3, 2)))


@pytest.mark.parametrize(("shape", "target_shape"), NLL_SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_node_name(shape, target_shape, reduction):
    x_np = np.random.default_rng(5).standard_normal(shape)
    t_np = np.random.default_rng(6).integers(0, 5, target_shape)
    results = []
    for lib in (torch, g):
        x = lib.tensor(x_np, requires_grad=True)
        loss = lib.nn.functional.nll_loss(x, lib.tensor(t_np), reduction=reduction)
        loss.sum().backward()
        results.append((loss.grad_fn.name(), loss.detach().numpy(), x.grad.numpy()))
    assert results[1][0] == results[0][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-12)


# --------------------------------------------------------------------- torch.func
def _ensemble(lib, n=3):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(4, 8)
            self.bn = lib.nn.BatchNorm1d(8)
            self.fc2 = lib.nn.Linear(8, 2)

        def forward(self, x):
            return self.fc2(lib.relu(self.bn(self.fc1(x))))

    lib.manual_seed(0)
    return [Net() for _ in range(n)]


def test_stack_module_state_model_ensembling():
    x_np = np.random.default_rng(7).standard_normal((5, 4)).astype(np.float32)
    results = []
    for lib in (torch, g):
        models = _ensemble(lib)
        params, buffers = lib.func.stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")

        def fmodel(p, b, x, base=base, lib=lib):
            return lib.func.functional_call(base, (p, b), (x,))

        out = lib.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, lib.tensor(x_np))
        out.sum().backward()
        results.append((params, buffers, out, models))
    (pt, bt, ot, _), (pg, bg, og, models) = results
    assert list(pg) == list(pt) and list(bg) == list(bt)
    for k in pt:
        assert tuple(pg[k].shape) == tuple(pt[k].shape)
        assert pg[k].is_leaf and pg[k].requires_grad
        np.testing.assert_array_equal(pg[k].detach().numpy(), pt[k].detach().numpy())
        np.testing.assert_allclose(pg[k].grad.numpy(), pt[k].grad.numpy(), rtol=1e-4, atol=1e-5)
    for k in bt:
        assert not bg[k].requires_grad and bg[k].dtype == g.from_numpy(bt[k].numpy()).dtype
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert models[0].fc1.weight.grad is None  # the stacked leaves are new tensors


def test_stack_module_state_errors():
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        g.func.stack_module_state([])
    a, b = _ensemble(g, 2)
    b.eval()
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        g.func.stack_module_state([a, b])
    with pytest.raises(RuntimeError, match="same class"):
        g.func.stack_module_state([g.nn.Linear(2, 2), g.nn.Conv1d(2, 2, 1)])
    c, d = _ensemble(g, 2)
    d.fc1.weight.requires_grad_(False)
    with pytest.raises(RuntimeError, match="Expected fc1.weight from each model to have the same"):
        g.func.stack_module_state([c, d])

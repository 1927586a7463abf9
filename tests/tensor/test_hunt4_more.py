"""Hunt 4's remaining differences from torch: random fills of non-contiguous tensors (drawn
in memory order; ``normal_`` with its one-at-a-time sampler), ``*_like`` samples laid out as
their input, ``t += ndarray``, ``rand()``/``randn()`` without a size, ``topk`` ties, the
eval-mode BatchNorm node, writes into expanded tensors, and integer tensors as ``dim``."""

import numpy as np
import pytest

import gradiente as g

torch = pytest.importorskip("torch")


def bits(t) -> np.ndarray:
    """A tensor's values as comparable raw numbers (16-bit floats via float32, exactly)."""
    t = t.detach()
    if t.dtype in (g.bfloat16, g.float16) or str(t.dtype) in ("torch.bfloat16", "torch.float16"):
        t = t.float()
    return np.ascontiguousarray(t.numpy())


def same_draw(make, seed=5):
    """``make(lib)`` after seeding each library alike: the same values at the same positions,
    the same strides, and both generators left in the same state."""
    torch.manual_seed(seed)
    theirs = make(torch)
    g.manual_seed(seed)
    ours = make(g)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(bits(ours), bits(theirs))
    np.testing.assert_array_equal(g.get_rng_state().numpy(), torch.get_rng_state().numpy())
    return ours, theirs


# ---------------------------------------------------------------------------------------------
# 1. random fills of non-contiguous tensors
# ---------------------------------------------------------------------------------------------

VIEWS = {  # name -> lib -> a view to fill in place (the base is what gets compared)
    "transposed": lambda m, d: m.zeros(5, 7, dtype=d).t(),
    "big transposed": lambda m, d: m.zeros(20, 30, dtype=d).t(),
    "column step": lambda m, d: m.zeros(4, 8, dtype=d)[:, ::2],
    "big column step": lambda m, d: m.zeros(20, 30, dtype=d)[:, 1::3],
    "row step": lambda m, d: m.zeros(40, 8, dtype=d)[::2],
    "permuted 3-D": lambda m, d: m.zeros(3, 4, 5, dtype=d).permute(2, 0, 1),
    "permuted 3-D b": lambda m, d: m.zeros(3, 4, 5, dtype=d).permute(1, 2, 0),
    "channels-last-like": lambda m, d: m.zeros(2, 4, 5, 3, dtype=d).permute(0, 3, 1, 2),
    "permuted and sliced": lambda m, d: m.zeros(6, 10, 4, dtype=d).permute(2, 0, 1)[:, ::2],
    "size-1 axes": lambda m, d: m.zeros(1, 8, 3, dtype=d).transpose(0, 2),
    "contiguous": lambda m, d: m.zeros(5, 7, dtype=d),
}

FILLS = {
    "uniform_": lambda v: v.uniform_(-2, 3),
    "normal_": lambda v: v.normal_(1, 2),
    "bernoulli_": lambda v: v.bernoulli_(0.3),
    "random_": lambda v: v.random_(0, 100),
    "exponential_": lambda v: v.exponential_(),
    "cauchy_": lambda v: v.cauchy_(),
    "log_normal_": lambda v: v.log_normal_(),
    "geometric_": lambda v: v.geometric_(0.3),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fill", list(FILLS))
@pytest.mark.parametrize("view", list(VIEWS))
def test_fill_of_a_view_draws_in_memory_order(view, fill, dtype):
    def make(m):
        v = VIEWS[view](m, getattr(m, dtype))
        FILLS[fill](v)
        return v

    same_draw(make)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int32", "int64"])
def test_fill_of_a_transposed_view_other_dtypes(dtype):
    def make(m):
        v = m.zeros(6, 5, dtype=getattr(m, dtype)).t()
        if v.dtype.is_floating_point:
            v.normal_()
            v[:, ::2].uniform_()
        v[::2].random_(0, 9)
        return v

    same_draw(make)


def test_bernoulli_with_tensor_probabilities_on_a_transposed_view():
    def make(m):
        p = m.arange(4.0).div(4).reshape(4, 1)
        v = m.zeros(20, 4).t()
        return v.bernoulli_(p)

    same_draw(make)


def test_hunt_repros_and_init_of_a_transposed_weight():
    same_draw(lambda m: m.zeros(2, 3).T.uniform_())
    same_draw(lambda m: m.zeros(4, 8)[:, ::2].normal_())

    def init(m):
        w = m.empty(30, 40)
        m.nn.init.xavier_uniform_(w.T)
        m.nn.init.kaiming_normal_(w[:, ::2])
        m.nn.init.normal_(w.T[:7], std=0.1)
        return w

    same_draw(init)


def test_fill_of_an_expanded_tensor_raises_before_drawing():
    for m in (torch, g):
        m.manual_seed(0)
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            m.zeros(1, 3).expand(2, 3).normal_()
    np.testing.assert_array_equal(g.rand(3).numpy(), torch.rand(3).numpy())


LIKE_INPUTS = {
    "transposed": lambda m: m.zeros(4, 6).t(),
    "column step": lambda m: m.zeros(4, 6)[:, ::2],
    "permuted and sliced": lambda m: m.zeros(4, 6, 5).permute(2, 0, 1)[:, ::2],
    "expanded": lambda m: m.zeros(1, 3).expand(20, 3),
    "channels-last-like": lambda m: m.zeros(2, 4, 5, 3).permute(0, 3, 1, 2),
    "size-1 axes": lambda m: m.zeros(3, 1, 4).transpose(0, 2),
    "contiguous": lambda m: m.zeros(5, 7),
}

LIKES = {
    "rand_like": lambda m, x: m.rand_like(x),
    "randn_like float64": lambda m, x: m.randn_like(x, dtype=m.float64),
    "randn_like requires_grad": lambda m, x: m.randn_like(x, requires_grad=True),
    "randint_like": lambda m, x: m.randint_like(x, 3, 10),
    "contiguous_format": lambda m, x: m.randn_like(x, memory_format=m.contiguous_format),
}


@pytest.mark.parametrize("like", list(LIKES))
@pytest.mark.parametrize("source", list(LIKE_INPUTS))
def test_like_samples_keep_the_input_layout(source, like):
    ours, theirs = same_draw(lambda m: LIKES[like](m, LIKE_INPUTS[source](m)))
    assert ours.stride() == theirs.stride()
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.requires_grad == theirs.requires_grad


def test_like_samples_errors():
    for m in (torch, g):
        ints = m.zeros(3, dtype=m.int64)
        with pytest.raises(NotImplementedError, match='"normal_kernel_cpu" not implemented'):
            m.randn_like(ints)
        with pytest.raises(NotImplementedError, match='"check_uniform_bounds" not impl'):
            m.rand_like(ints.t())
        with pytest.raises(RuntimeError, match="expects 'from' to be less than 'to'"):
            m.randint_like(ints, 5, 2)


# ---------------------------------------------------------------------------------------------
# 2. ``t += ndarray``: NotImplemented, so Python computes ``t = t + ndarray`` (NumPy's dtype)
# ---------------------------------------------------------------------------------------------

ARRAYS = {
    "float64 array": lambda: np.full(2, 2.0),
    "0-d float64 array": lambda: np.array(2.0),
    "int32 array": lambda: np.array([1, 2], dtype=np.int32),
    "float32 matrix": lambda: np.full((2, 2), 2.0, dtype=np.float32),
}


@pytest.mark.parametrize("tensor_dtype", ["float32", "int64"])
@pytest.mark.parametrize("array", list(ARRAYS))
@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "**=", "//=", "%="])
def test_inplace_operator_with_a_numpy_array(op, array, tensor_dtype):
    results = []
    for m in (torch, g):
        t = m.ones(2, dtype=getattr(m, tensor_dtype)) * 3
        original = t
        scope = {"t": t, "other": ARRAYS[array]()}
        exec(f"t {op} other", scope)
        t = scope["t"]
        assert t is not original  # rebound to a new tensor; the old one is unchanged
        np.testing.assert_array_equal(original.numpy(), np.full(2, 3))
        results.append(t)
    theirs, ours = results
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_binary_operator_with_a_numpy_array_takes_numpy_dtype():
    for make in ARRAYS.values():
        theirs, ours = torch.ones(2) * 3 + make(), g.ones(2) * 3 + make()
        assert str(ours.dtype) == str(theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    theirs = torch.ones(2) ** np.full(2, 2.0)
    ours = g.ones(2) ** np.full(2, 2.0)
    assert str(ours.dtype) == str(theirs.dtype)


def test_inplace_operator_with_scalars_stays_in_place():
    for m in (torch, g):
        t = m.ones(2)
        original = t
        t += np.float64(2.0)  # a NumPy scalar is a number: in place, dtype kept
        t *= 2
        assert t is original and str(t.dtype).endswith("float32")
        np.testing.assert_array_equal(t.numpy(), [6.0, 6.0])


# ---------------------------------------------------------------------------------------------
# 3. rand/randn/randint without a size
# ---------------------------------------------------------------------------------------------

NO_SIZE_CALLS = [
    "m.rand()",
    "m.randn()",
    "m.randint(5)",
    "m.randint()",
    "m.randint(3, 5, 4)",
    "m.randint(0, 5)",
    "m.randint(5, dtype=m.int64)",
    "m.randn(dtype=m.float64)",
    "m.rand(requires_grad=True)",
]


@pytest.mark.parametrize("call", NO_SIZE_CALLS)
def test_samplers_without_a_size_raise_torch_type_error(call):
    messages = []
    for m in (torch, g):
        with pytest.raises(TypeError) as info:
            eval(call, {"m": m})
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_samplers_with_a_size_still_work():
    same_draw(lambda m: m.rand(size=()))
    same_draw(lambda m: m.randn(()))
    same_draw(lambda m: m.randint(5, size=()))
    same_draw(lambda m: m.randint(high=5, size=(3,)))
    same_draw(lambda m: m.randint(low=2, high=5, size=(3,)))
    same_draw(lambda m: m.randint(2, 5, (3,)))


# ---------------------------------------------------------------------------------------------
# 4. which of equal values topk / sort(stable=False) / kthvalue pick (torch replays libstdc++'s
#    partial_sort / nth_element / sort and its own quickselect on the CPU)
# ---------------------------------------------------------------------------------------------


def test_topk_hunt_repro():
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    assert (
        g.tensor(values).topk(3).indices.tolist() == torch.tensor(values).topk(3).indices.tolist()
    )


def _tied(rng, shape, dtype, nan):
    """The same tensor in both libraries: small integers (many ties), NaNs sprinkled in."""
    a = rng.integers(0, 4, size=shape).astype(np.float64)
    if nan:
        a[rng.random(shape) < 0.2] = np.nan
    return torch.tensor(a).to(getattr(torch, dtype)), g.tensor(a).to(getattr(g, dtype))


DTYPES = ["float32", "float64", "int64", "int32", "float16", "bfloat16"]


def _same_result(theirs, ours):
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(bits(ours.values), bits(theirs.values))


@pytest.mark.parametrize("seed", range(40))
def test_topk_ties_follow_torch(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 150, size=rng.integers(1, 3)))
    d = int(rng.integers(0, len(shape)))
    dtype = DTYPES[seed % len(DTYPES)]
    tt, gt = _tied(rng, shape, dtype, nan=dtype.startswith("float") and seed % 3 == 0)
    n = shape[d]
    for k in {0, 1, min(2, n), n // 64, n // 3, n}:
        for largest in (True, False):
            for sorted_ in (True, False):
                _same_result(tt.topk(k, d, largest, sorted_), gt.topk(k, d, largest, sorted_))


@pytest.mark.parametrize("seed", range(30))
def test_unstable_sort_and_kthvalue_ties_follow_torch(seed):
    rng = np.random.default_rng(100 + seed)
    shape = tuple(int(s) for s in rng.integers(1, 80, size=rng.integers(1, 4)))
    d = int(rng.integers(0, len(shape)))
    dtype = DTYPES[seed % len(DTYPES)] if seed % 7 else "uint8"
    tt, gt = _tied(rng, shape, dtype, nan=dtype.startswith("float") and seed % 3 == 0)
    for descending in (False, True):
        _same_result(tt.sort(d, descending), gt.sort(d, descending))
        _same_result(
            tt.sort(dim=d, descending=descending, stable=True),
            gt.sort(dim=d, descending=descending, stable=True),
        )
        np.testing.assert_array_equal(gt.argsort(d, descending), tt.argsort(d, descending))
    for k in {1, shape[d], (shape[d] + 1) // 2}:
        _same_result(tt.kthvalue(k, d, keepdim=True), gt.kthvalue(k, d, keepdim=True))


def test_large_one_dimensional_ascending_integer_sort_is_stable_as_torch_radix_sort():
    a = np.random.default_rng(0).integers(0, 3, 40000)
    for descending in (False, True):
        theirs = torch.from_numpy(a).sort(descending=descending).indices.numpy()
        np.testing.assert_array_equal(g.tensor(a).sort(descending=descending).indices, theirs)


def test_float_rows_with_rare_ties():
    x = np.random.default_rng(0).standard_normal((20, 5000)).astype(np.float32)
    theirs, ours = torch.from_numpy(x), g.tensor(x)
    np.testing.assert_array_equal(ours.sort().indices, theirs.sort().indices.numpy())
    _same_result(theirs.topk(200, sorted=False), ours.topk(200, sorted=False))
    _same_result(theirs.topk(5), ours.topk(5))


# ---------------------------------------------------------------------------------------------
# 5. eval-mode BatchNorm: one NativeBatchNormBackward0 node, same values and gradients
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(8, 5), (4, 5, 7), (2, 5, 6, 6)])
def test_eval_batch_norm_node_values_and_gradients(shape, affine):
    x = np.random.default_rng(0).standard_normal(shape) * 3
    layer = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d"}[len(shape)]
    results = []
    for m in (torch, g):
        bn = getattr(m.nn, layer)(5, affine=affine).double()
        with m.no_grad():
            bn.running_mean.copy_(m.tensor(np.linspace(-1, 1, 5)))
            bn.running_var.copy_(m.tensor(np.linspace(0.5, 2, 5)))
            if affine:
                bn.weight.copy_(m.tensor(np.linspace(-2, 2, 5)))
                bn.bias.copy_(m.tensor(np.linspace(0, 1, 5)))
        bn.eval()
        xi = m.tensor(x, requires_grad=True)
        y = bn(xi)
        (y * y).sum().backward()
        grads = [xi.grad] + ([bn.weight.grad, bn.bias.grad] if affine else [])
        results.append((y, grads))
    (y_t, grads_t), (y_g, grads_g) = results
    assert y_g.grad_fn.name() == y_t.grad_fn.name() == "NativeBatchNormBackward0"
    np.testing.assert_allclose(y_g.detach().numpy(), y_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(grads_g, grads_t, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-10)


def test_eval_batch_norm_gradcheck_and_constant_running_statistics():
    g.manual_seed(0)
    x = g.randn(3, 4, 2, dtype=g.float64, requires_grad=True)
    w = g.randn(4, dtype=g.float64, requires_grad=True)
    b = g.randn(4, dtype=g.float64, requires_grad=True)
    mean = g.randn(4, dtype=g.float64)
    var = g.rand(4, dtype=g.float64) + 0.5

    def f(x, w, b):
        return g.nn.functional.batch_norm(x, mean, var, w, b, training=False)

    assert g.autograd.gradcheck(f, (x, w, b))
    assert g.autograd.gradgradcheck(f, (x, w, b))
    assert g.autograd.gradcheck(lambda x: g.nn.functional.batch_norm(x, mean, var), (x,))
    # as torch: the running statistics are not differentiable inputs of the node
    for m in (torch, g):
        for training in (False, True):
            stats = m.zeros(4, requires_grad=True), m.ones(4)
            with pytest.raises(
                RuntimeError, match="not differentiable with respect to argument 'running_mean'"
            ):
                m.nn.functional.batch_norm(m.ones(3, 4), *stats, training=training)
            with m.no_grad():
                m.nn.functional.batch_norm(m.ones(3, 4), *stats, training=training)

"""Regression tests for what the independent fuzzer found, each compared with torch.

``same(fn)`` runs ``fn(lib)`` with ``lib`` = torch and ``lib`` = gradiente and checks that both
return equal values (dtype, shape, values) or both raise the same exception type with the same
first line of message.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente

torch = pytest.importorskip("torch")


def _run(fn, lib):
    try:
        return fn(lib), None
    except Exception as e:  # noqa: BLE001 - compared below
        return None, e


def _array(t):
    t = t.detach()
    return (t.float() if "bfloat16" in str(t.dtype) else t).numpy()


def same(fn, rtol=1e-6):
    """fn(torch) and fn(gradiente) agree (see the module docstring)."""
    (a, ea), (b, eb) = _run(fn, torch), _run(fn, gradiente)
    if ea is not None or eb is not None:
        assert type(ea).__name__ == type(eb).__name__, (ea, eb)
        assert str(ea).splitlines()[0] == str(eb).splitlines()[0]
        return
    pairs = zip(a, b, strict=True) if isinstance(a, (tuple, list)) else [(a, b)]
    for x, y in pairs:
        if not hasattr(x, "dtype"):
            assert x == y
            continue
        assert str(x.dtype) == str(y.dtype)
        assert tuple(x.shape) == tuple(y.shape)
        np.testing.assert_allclose(_array(y), _array(x), rtol=rtol, atol=rtol)


def test_narrow_of_a_0d_tensor_raises_torchs_runtime_error():
    same(lambda T: T.narrow(T.tensor(1.0), -1, 0, 0))


def test_unflatten_of_a_0d_tensor_raises_runtime_error():
    same(lambda T: T.unflatten(T.tensor(1.0), 0, (1, 1)))
    same(lambda T: T.unflatten(T.tensor(1.0), 1, (1,)))  # out of range: IndexError


def test_index_fill_of_a_0d_tensor_fills_its_one_value():
    same(lambda T: T.tensor(1.0).index_fill(0, T.tensor([0, 0]), -2))
    same(lambda T: T.tensor(1.0).index_fill(0, T.tensor([1]), -2))


def test_nansum_takes_dtype():
    x = np.array([[1.0, np.nan, 2.5], [0.5, -1.0, np.nan]], np.float32)
    same(lambda T: T.nansum(T.tensor(x), dim=1, keepdim=True, dtype=T.float64))
    same(lambda T: T.nansum(T.tensor([1, 2, 3]), dtype=T.float32))
    same(lambda T: T.nansum(T.tensor(x), dim=3, dtype=T.float64))  # dim checked: IndexError


def test_tril_triu_refuse_fewer_than_two_dims():
    for fn in ("tril", "triu"):
        same(lambda T, fn=fn: getattr(T, fn)(T.ones(3)))
        same(lambda T, fn=fn: getattr(T, fn)(T.tensor(2.0)))
        same(lambda T, fn=fn: getattr(T.ones(3), fn + "_")())


def test_std_var_messages_on_integers():
    x = [1, 2, 3]
    for fn in ("std", "var", "std_mean", "var_mean"):
        same(lambda T, fn=fn: getattr(T, fn)(T.tensor(x)))
        same(lambda T, fn=fn: getattr(T, fn)(T.tensor(x), dim=0))


def test_heaviside_dtype_message():
    same(lambda T: T.heaviside(T.ones(3), T.ones(3, dtype=T.float64)))


def test_index_add_copy_fill_out_of_bounds_errors():
    """torch's types and messages differ by op: index_add RuntimeError (IndexError for a
    1-d self), index_copy an
    IndexError naming ``index_copy_()``, index_fill an IndexError without a prefix."""
    same(lambda T: T.zeros(2, 3).index_add(0, T.tensor([5]), T.ones(1, 3)))
    same(lambda T: T.zeros(2, 3).index_add_(0, T.tensor([-1]), T.ones(1, 3)))
    same(lambda T: T.zeros(3).index_add_(0, T.tensor([-1]), T.ones(1)))  # 1-d: IndexError
    same(lambda T: T.zeros(2, 3).index_copy(0, T.tensor([5]), T.ones(1, 3)))
    same(lambda T: T.zeros(2, 3).index_fill(1, T.tensor([-5]), 1))


def test_var_std_check_the_dtype_before_the_dim():
    same(lambda T: T.var(T.tensor([4]), correction=2, dim=1))
    same(lambda T: T.std(T.tensor([4]), dim=3))


def test_inner_over_an_empty_last_dim():
    same(lambda T: T.inner(T.zeros(4, 0), T.zeros(4, 0)))
    same(lambda T: T.inner(T.zeros(2, 3, 0), T.zeros(4, 0)))


def test_addcdiv_refuses_two_integer_operands():
    ints = {"dtype": "int64"}
    same(lambda T: T.addcdiv(T.ones(2), T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64)))
    same(lambda T: T.addcdiv(*(T.ones(2, dtype=T.uint8) for _ in range(3)), value=0.5))
    same(lambda T: T.addcdiv(T.ones(2), T.ones(2, dtype=T.bool), T.ones(2, dtype=T.bool)))
    same(lambda T: T.addcdiv(T.ones(2), T.ones(2, dtype=getattr(T, ints["dtype"])), T.ones(2)))


def test_lerp_dtype_rules():
    """One dtype for start and end (and a weight tensor that is not 0-d); floats only."""
    same(lambda T: T.lerp(T.ones(2), T.ones(2), T.tensor(0.5, dtype=T.float64)))
    same(lambda T: T.lerp(T.ones(2), T.ones(2), T.ones(2, dtype=T.float64)))
    same(lambda T: T.lerp(T.ones(2), T.ones(2, dtype=T.float64), 0.5))
    same(lambda T: T.lerp(T.ones(2, dtype=T.bool), T.ones(2, dtype=T.bool), 0.5))
    same(lambda T: T.lerp(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64), T.ones(2)))
    same(lambda T: T.lerp(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64), T.tensor(1)))
    same(lambda T: T.ones(2, dtype=T.int32).lerp_(T.ones(2, dtype=T.int32), 0.5))


def test_nextafter_gradient_is_zero():
    def run(T):
        x = T.tensor([1.0, -2.0], requires_grad=True)
        y = T.tensor([2.0], requires_grad=True)
        (T.nextafter(x, y) * 3).sum().backward()
        return x.grad, y.grad

    same(run)


def test_index_errors_name_torchs_dims():
    same(lambda T: T.zeros(3)[:, 1:])
    same(lambda T: T.zeros(2)[..., 0, 0])
    same(lambda T: T.zeros(2)[None, True, 0])
    same(lambda T: T.zeros(0)[[0]])
    same(lambda T: T.zeros(3, 0)[:, [1]])

    def write(T):
        x = T.zeros(3)
        x[:, 1:] = 1.0
        return x

    same(write)


def test_tensordot_broadcasts_a_contracted_dim_of_size_one():
    rng = np.random.default_rng(0)
    cases = [((4, 2, 1), (2, 3), 1), ((4, 2, 2), (1, 3), 1), ((4, 2, 3), (2, 1, 1), 1),
             ((2, 3, 1), (1, 3, 2), ([1, 2], [1, 0]))]  # fmt: skip
    for sa, sb, dims in cases:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)

        def run(T, a=a, b=b, dims=dims):
            x, y = T.tensor(a, requires_grad=True), T.tensor(b, requires_grad=True)
            out = T.tensordot(x, y, dims=dims)
            (out * out).sum().backward()
            return out, x.grad, y.grad

        same(run, rtol=1e-12)


def test_flatten_of_one_dim_returns_self():
    def run(T):
        x = T.ones(1, 4, requires_grad=True)
        return T.flatten(x, -2, 0) is x, x.flatten(1, 1) is x, x.flatten(0, 1) is x

    same(run)


def test_inplace_through_a_view_refuses_a_larger_result():
    same(lambda T: T.zeros(2, 1, requires_grad=True).clone().narrow(0, 0, 1).add_(T.ones(3)))
    same(lambda T: T.zeros(1, 2, 3, requires_grad=True).clone().permute(2, 1, 0).pow_(T.ones(3)))


def test_take_index_select_and_amin_errors():
    same(lambda T: T.take(T.ones(0, 2), T.tensor([0])))
    same(lambda T: T.take(T.ones(2, 2), T.tensor([7])))
    same(lambda T: T.take(T.ones(2, 2), T.tensor([-5, 1])))
    same(lambda T: T.take(T.ones(2, 2), T.tensor([-4, 3])))
    same(lambda T: T.index_select(T.ones(3, 0), 1, T.tensor([0])))
    same(lambda T: T.index_select(T.ones(0, 0, 0, 4), 0, T.tensor([0, 0])))
    same(lambda T: T.amin(T.ones(0, 2)))
    same(lambda T: T.ones(0).amax())
    same(lambda T: T.ones(0, 2).max())


def test_expand_to_the_same_shape_is_a_view_under_autograd():
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        v = x.expand(-1)
        pieces = T.split(v, [0, 4], dim=-1)
        (v * 2 + pieces[1] * 3).sum().backward()
        return v is x, v.is_leaf, v.grad_fn.name(), x.grad

    same(run)


def test_trunc_and_floor_division_gradients_are_zero():
    """torch's DivBackward2 is zeros_like(grad): a zero divisor or a NaN upstream gives 0."""

    def run(T, mode, divisor):
        x = T.tensor([1.0, -2.0, 0.0, 7.5], requires_grad=True)
        b = T.tensor([2.0, 0.0, 3.0, -2.0], requires_grad=True) if divisor is None else divisor
        y = T.div(x, b, rounding_mode=mode)
        y.backward(T.tensor([float("nan"), float("inf"), 1.0, 2.0]))
        return (y, x.grad) + ((b.grad,) if divisor is None else ())

    for mode in ("trunc", "floor"):
        for divisor in (None, False, 0, 2.5):
            same(lambda T, mode=mode, divisor=divisor: run(T, mode, divisor))


def test_split_chunk_unbind_of_a_0d_tensor():
    for fn in (
        lambda T: T.chunk(T.tensor(1.0), 2, dim=5),
        lambda T: T.split(T.tensor(1.0), [1], dim=0),
        lambda T: T.split(T.tensor(1.0), 2),
        lambda T: T.tensor_split(T.tensor(1.0), 2),
        lambda T: T.unbind(T.tensor(1.0), -1),
        lambda T: T.unbind(T.tensor(1.0), 3),
    ):
        same(fn)


def test_nanmean_isclose_addcmul_dtype_rules():
    same(lambda T: T.nanmean(T.tensor([1, 2])))
    same(lambda T: T.nanmean(T.tensor([True])))
    same(lambda T: T.isclose(T.tensor([1, 2]), T.tensor([1.0, 2.0])))
    same(lambda T: T.isclose(T.tensor([1.0]), T.tensor([1.0], dtype=T.float64)))
    ones = {"size": (2,)}
    for dtype, value in (("int64", 2.7), ("int64", 0.5), ("uint8", -1), ("bool", 0.5)):
        same(lambda T, d=dtype, v=value: T.addcmul(*(T.ones(**ones, dtype=getattr(T, d)),) * 3,
                                                   value=v))  # fmt: skip
    same(
        lambda T: T.ones(2, dtype=T.int64).addcmul_(T.ones(2, dtype=T.int64), T.ones(2), value=0.5)
    )
    same(
        lambda T: T.addcmul(
            T.ones(2), T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64), value=2.5
        )
    )


def test_soft_margin_loss_refuses_a_target_requiring_grad():
    same(lambda T: T.nn.functional.soft_margin_loss(T.ones(2, 3), T.ones(2, 3, requires_grad=True)))


def test_inplace_ops_refuse_partly_overlapping_operands():
    def case(T, fn, grad):
        x = T.zeros(4, 4, requires_grad=grad).clone() if grad else T.zeros(4, 4)
        fn(x)
        return x

    for grad in (False, True):
        for fn in (
            lambda x: x.add_(x[0]),
            lambda x: x.add_(x.t()),
            lambda x: x[1:].copy_(x[:3]),
            lambda x: x[1:].mul_(x[:3]),
            lambda x: x.view(-1)[1:].pow_(x.view(-1)[:15]),
            lambda x: x.lerp_(x[0], 0.5),
            lambda x: x.addcmul_(x, x),  # the same elements: allowed
            lambda x: x[:, 0].add_(x[:, 1]),  # not dense: torch does not check
            lambda x: x[0].add_(x[1]),  # no overlap
        ):
            same(lambda T, fn=fn, grad=grad: case(T, fn, grad))


def test_beta_zero_keeps_the_input_in_the_graph():
    """addmm/baddbmm with beta=0 ignore the input's values but give it a zero gradient."""

    def run(T, fn):
        x = T.tensor([[float("nan"), 1.0], [2.0, 3.0]], requires_grad=True)
        a = T.ones(2, 2, requires_grad=True)
        y = T.addmm(x, a, a, beta=0) if fn == "addmm" else T.baddbmm(x, a[None], a[None], beta=0)
        y.sum().backward()
        return y, x.grad, a.grad

    for fn in ("addmm", "baddbmm"):
        same(lambda T, fn=fn: run(T, fn))


def test_shape_errors_of_rot90_cat_and_mT():
    same(lambda T: T.rot90(T.ones(3, 3), 1, [0, 1, 2]))
    same(lambda T: T.rot90(T.ones(3, 3, 2), 1, [0, -3]))
    same(lambda T: T.rot90(T.ones(3), 1, [0, 5]))
    same(lambda T: T.cat([T.ones(2), T.tensor(2.0)], dim=5))
    same(lambda T: T.tensor(2.0).mT)
    same(lambda T: T.ones(3).mT)


def test_index_select_and_nanmean_errors():
    same(lambda T: T.index_select(T.ones(0), 0, T.tensor([0, 0])))
    same(lambda T: T.index_select(T.ones(0, 3), 0, T.tensor([0, 0])))
    same(lambda T: T.nanmean(T.ones(2, 3), dim=3, dtype=T.int64))
    same(lambda T: T.nanmean(T.ones(2, 3), dtype=T.float64))


def test_t_of_a_0d_tensor_is_a_view_under_autograd():
    def run(T):
        x = T.tensor(2.0, requires_grad=True, dtype=T.float64)
        v = x.t()
        (v * 3).backward()
        return v.is_leaf, v._base is x, x.grad

    same(run)


def test_bool_searchsorted_and_bucketize_are_refused():
    same(lambda T: T.searchsorted(T.tensor([False, True]), T.tensor(True)))
    same(lambda T: T.bucketize(T.tensor([True]), T.tensor([False, True])))
    same(lambda T: T.searchsorted(T.tensor([1, 2]), T.tensor(True)))


def test_integer_addmm_family_factors():
    def ints(T, *shape):
        return T.ones(*shape, dtype=T.int64)

    same(lambda T: T.addmm(ints(T, 2, 2), ints(T, 2, 2), ints(T, 2, 2), beta=0, alpha=0.5))
    same(lambda T: T.addmm(ints(T, 2, 2), ints(T, 2, 2), ints(T, 2, 2), beta=1.5, alpha=2.5))
    same(lambda T: T.addmv(ints(T, 2), ints(T, 2, 2), ints(T, 2), beta=0.5, alpha=3.7))
    same(lambda T: T.addr(ints(T, 2, 2), ints(T, 2), ints(T, 2), beta=1.5))
    same(lambda T: T.addr(ints(T, 2, 2), ints(T, 2), ints(T, 2), alpha=2.5))
    same(lambda T: T.addr(T.ones(2, 2), ints(T, 2), ints(T, 2), alpha=2.5))


def test_vector_norm_dtype_must_not_narrow():
    same(lambda T: T.norm(T.ones(3), p="fro", dtype=T.float16))
    same(lambda T: T.linalg.vector_norm(T.ones(3, dtype=T.float64), dtype=T.float32))
    same(lambda T: T.linalg.vector_norm(T.ones(3), dtype=T.int64))
    same(lambda T: T.linalg.vector_norm(T.ones(3, dtype=T.float16), dtype=T.bfloat16))
    same(lambda T: T.linalg.vector_norm(T.ones(3, dtype=T.float16), dtype=T.float32))
    same(lambda T: T.norm(T.ones(3), dtype=T.float64))


def test_zero_norm_has_no_gradient():
    """torch's gradient of ‖x‖₀ is undefined: the input's .grad stays None."""

    def run(T, dtype):
        x = T.tensor([[0.5, -0.5], [0.0, 2.0]], dtype=getattr(T, dtype), requires_grad=True)
        T.linalg.vector_norm(x, ord=0, dim=(0, 1)).backward()
        y = T.tensor([1.0, 0.0], requires_grad=True)
        T.norm(y, p=0).backward()
        return x.grad is None, y.grad is None

    for dtype in ("float32", "float16"):
        same(lambda T, dtype=dtype: run(T, dtype))


def test_empty_bool_searchsorted_is_not_refused():
    same(lambda T: T.bucketize(T.zeros(3, 0, dtype=T.bool), T.zeros(0, dtype=T.bool)))
    same(lambda T: T.searchsorted(T.zeros(0, dtype=T.bool), T.zeros(2, dtype=T.bool)))


def test_vander_of_at_most_one_column_records_no_graph():
    for n in (0, 1, 2, None):
        same(
            lambda T, n=n: (
                T.vander(T.tensor([2.0, 3.0, 4.0], requires_grad=True), N=n).requires_grad
            )
        )
        same(lambda T, n=n: T.vander(T.tensor([2.0, 3.0, 4.0]), N=n, increasing=True))


def test_transpose_of_a_vector_is_a_view_under_autograd():
    def run(T):
        x = T.tensor([-2.5, 1.25, 1.0], dtype=T.float64, requires_grad=True)
        v = T.swapaxes(x, 0, 0)
        w = v.clone()
        w.view(-1).add_(1.0)
        (v * 3 + w).sum().backward()
        return v.is_leaf, x.grad

    same(run)

"""The tensor functions PyTorch programs use beyond the core ops, checked against torch.

Each case runs through the public API in gradiente and torch (``check_op``): values, dtypes,
gradients for a random upstream gradient, gradcheck, and for most also second derivatives.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import assert_same, check_op, leaf, to_torch

torch = pytest.importorskip("torch")


def _rand(shape, seed=0, low=-2.0, high=2.0):
    return np.asarray(np.random.default_rng(seed).uniform(low, high, shape))


A = _rand((3, 4), 1)
B = _rand((3, 4), 2)
V3 = _rand((3,), 3)
M = _rand((4, 4), 4) + 4 * np.eye(4)  # well conditioned
SPD = M @ M.T + np.eye(4)
UNIT = _rand((3, 4), 5, -0.9, 0.9)
ABOVE_ONE = _rand((3, 4), 6, 1.1, 3.0)
POSITIVE = _rand((3, 4), 7, 0.1, 0.9)
IDX = np.array([[0, 2], [1, 1], [3, 0]])

UNARY = {
    "tan": (lambda m, a: a.tan(), UNIT),
    "asin": (lambda m, a: m.asin(a), UNIT),
    "arcsin": (lambda m, a: m.arcsin(a), UNIT),
    "acos": (lambda m, a: a.acos(), UNIT),
    "atan": (lambda m, a: m.atan(a), A),
    "sinh": (lambda m, a: a.sinh(), A),
    "cosh": (lambda m, a: m.cosh(a), A),
    "asinh": (lambda m, a: a.asinh(), A),
    "acosh": (lambda m, a: a.acosh(), ABOVE_ONE),
    "atanh": (lambda m, a: m.atanh(a), UNIT),
    "exp2": (lambda m, a: m.exp2(a), A),
    "logit": (lambda m, a: a.logit(), POSITIVE),
    "logit_eps": (lambda m, a: m.logit(a, eps=0.2), POSITIVE),
    "frac": (lambda m, a: a.frac(), A),
    "deg2rad": (lambda m, a: m.deg2rad(a), A),
    "rad2deg": (lambda m, a: a.rad2deg(), A),
    "float_power": (lambda m, a: m.float_power(a, 3), A),
    "nan_to_num": (lambda m, a: m.nan_to_num(a.log(), nan=0.5, neginf=-9.0), A),
    "diff": (lambda m, a: a.diff(), A),
    "diff_n2_dim0": (lambda m, a: m.diff(a, n=2, dim=0), A),
    "cumprod": (lambda m, a: a.cumprod(1), A),
    "cumprod_with_zero": (lambda m, a: (a * m.tensor([[1.0, 0.0, 1.0, 1.0]])).cumprod(1), A),
    "cummax": (lambda m, a: a.cummax(1), A),
    "cummin": (lambda m, a: m.cummin(a, 0), A),
    "logcumsumexp": (lambda m, a: a.logcumsumexp(1), A),
    "diagonal": (lambda m, a: a.diagonal(), A),
    "diagonal_offset": (lambda m, a: m.diagonal(a, offset=1), A),
    "diagonal_negative": (lambda m, a: a.diagonal(-1, 1, 0), A),
    "diag_of_matrix": (lambda m, a: m.diag(a, 1), A),
    "diag_of_vector": (lambda m, a: m.diag(a[0]), A),
    "diag_embed": (lambda m, a: m.diag_embed(a), A),
    "diagflat": (lambda m, a: m.diagflat(a[:2, :2]), A),
    "trace": (lambda m, a: m.trace(a), A),
    "tril": (lambda m, a: m.tril(a), A),
    "triu_1": (lambda m, a: a.triu(1), A),
    "tril_negative": (lambda m, a: a.tril(-1), A),
    "roll": (lambda m, a: m.roll(a, 1), A),
    "roll_dims": (lambda m, a: a.roll((1, -1), (0, 1)), A),
    "rot90": (lambda m, a: m.rot90(a), A),
    "rot90_k3": (lambda m, a: a.rot90(3, (1, 0)), A),
    "fliplr": (lambda m, a: m.fliplr(a), A),
    "flipud": (lambda m, a: a.flipud(), A),
    "tile": (lambda m, a: a.tile((2,)), A),
    "repeat_interleave": (lambda m, a: a.repeat_interleave(2, dim=0), A),
    "repeat_interleave_counts": (lambda m, a: m.repeat_interleave(a, m.tensor([1, 0, 2]), 0), A),
    "moveaxis": (lambda m, a: m.moveaxis(a.reshape(3, 2, 2), 0, -1), A),
    "movedim_tuple": (lambda m, a: a.reshape(3, 2, 2).movedim((0, 1), (2, 0)), A),
    "select": (lambda m, a: a.select(1, 2), A),
    "unfold": (lambda m, a: a.unfold(1, 2, 1), A),
    "take": (lambda m, a: m.take(a, m.tensor([[0, 5], [11, 5]])), A),
    "take_along_dim": (lambda m, a: m.take_along_dim(a, m.tensor([[0], [3], [1]]), 1), A),
    "take_along_dim_flat": (lambda m, a: a.take_along_dim(m.tensor([2, 7])), A),
    "index_fill": (lambda m, a: a.index_fill(1, m.tensor([0, 2]), -1.0), A),
    "masked_scatter": (lambda m, a: a.masked_scatter(a > 0, a.flip(0) * 3), A),
    "scatter_value": (lambda m, a: a.scatter(1, m.tensor([[0], [1], [3]]), 7.0), A),
    "aminmax": (lambda m, a: m.aminmax(a, dim=1), A),
    "aminmax_all": (lambda m, a: a.aminmax(), A),
    "nanmean": (lambda m, a: m.nanmean(a.log(), dim=1), A),
    "median_all": (lambda m, a: a.median(), A),
    "median_dim": (lambda m, a: m.median(a, 1), A),
    "median_keepdim": (lambda m, a: a.median(0, keepdim=True), A),
    "kthvalue": (lambda m, a: a.kthvalue(2, 1), A),
    "quantile": (lambda m, a: m.quantile(a, 0.3), A),
    "quantile_dim": (lambda m, a: a.quantile(m.tensor([0.25, 0.5, 0.9], dtype=a.dtype), 1), A),
    "quantile_keepdim": (lambda m, a: a.quantile(0.75, 0, keepdim=True), A),
    "quantile_nearest": (lambda m, a: a.quantile(0.4, 1, interpolation="nearest"), A),
    "quantile_midpoint": (lambda m, a: a.quantile(0.4, 1, interpolation="midpoint"), A),
    "msort": (lambda m, a: m.msort(a), A),
    "mode": (lambda m, a: m.mode(a.round(), 1), A),
    "mode_keepdim": (lambda m, a: (a * 0 + m.tensor([1.0, 2.0, 2.0, 1.0])).mode(1, True), A),
    "var_dims": (lambda m, a: a.var((0, 1), correction=0), A),
    "std_keepdim": (lambda m, a: a.std(1, keepdim=True), A),
    "std_positional_dim": (lambda m, a: m.std(a, 0), A),
    "split": (lambda m, a: a.split(3, 1), A),
    "split_sizes": (lambda m, a: m.split(a, [1, 3], 1), A),
    "unbind": (lambda m, a: a.unbind(1), A),
    "tensor_split_indices": (lambda m, a: m.tensor_split(a, [1, 3], dim=1), A),
    "hsplit": (lambda m, a: m.hsplit(a, 2), A),
    "norm_fro": (lambda m, a: a.norm(), A),
    "norm_p1_dim": (lambda m, a: m.norm(a, 1, dim=1), A),
    "norm_p3": (lambda m, a: a.norm(p=3, dim=0, keepdim=True), A),
    "norm_inf": (lambda m, a: a.norm(float("inf")), A),
    "norm_nuc": (lambda m, a: a.norm("nuc").detach(), A),
    "linalg_norm": (lambda m, a: m.linalg.norm(a), A),
    "linalg_norm_dim": (lambda m, a: m.linalg.norm(a, dim=1), A),
    "linalg_norm_ord1_matrix": (lambda m, a: m.linalg.norm(a, ord=1), A),
    "linalg_norm_inf_vector": (lambda m, a: m.linalg.norm(a[0], ord=float("inf")), A),
    "vector_norm": (lambda m, a: m.linalg.vector_norm(a, ord=0.5, dim=(0, 1)), A),
    "vector_norm_zero": (lambda m, a: m.linalg.vector_norm(a * 0, dim=1), A),
    "matrix_norm_fro": (lambda m, a: m.linalg.matrix_norm(a), A),
    "matrix_norm_inf": (lambda m, a: m.linalg.matrix_norm(a, ord=float("inf")), A),
    "inverse": (lambda m, a: m.inverse(a), M),
    "linalg_inv": (lambda m, a: m.linalg.inv(a), M),
    "det": (lambda m, a: m.det(a), M),
    "linalg_det": (lambda m, a: m.linalg.det(a), M),
    "slogdet": (lambda m, a: m.linalg.slogdet(a), M),
    "logdet": (lambda m, a: m.logdet(a @ a.mT), M),
    "cholesky": (lambda m, a: m.linalg.cholesky(a @ a.mT + m.eye(4, dtype=a.dtype)), M),
    "cholesky_upper": (lambda m, a: m.linalg.cholesky(a @ a.mT, upper=True), M),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh(a + a.mT), M),
    "eigh_vectors_squared": (lambda m, a: m.linalg.eigh(a + a.mT).eigenvectors ** 2, M),
    "matrix_power": (lambda m, a: m.linalg.matrix_power(a, 3), M),
    "matrix_power_negative": (lambda m, a: a.matrix_power(-2), M),
    "matrix_exp": (lambda m, a: m.linalg.matrix_exp(a * 0.3), M),
    "cov": (lambda m, a: m.cov(a), A),
    "corrcoef": (lambda m, a: m.corrcoef(a), A),
    "atleast_3d": (lambda m, a: m.atleast_3d(a), A),
    "ravel": (lambda m, a: m.ravel(a.t()), A),
}

BINARY = {
    "atan2": (lambda m, a, b: m.atan2(a, b), A, B),
    "arctan2": (lambda m, a, b: a.arctan2(b), A, B),
    "hypot": (lambda m, a, b: m.hypot(a, b), A, B),
    "xlogy": (lambda m, a, b: m.xlogy(a, b.abs()), A, B),
    "logaddexp": (lambda m, a, b: m.logaddexp(a, b), A, B),
    "logaddexp2": (lambda m, a, b: a.logaddexp2(b), A, B),
    "fmax": (lambda m, a, b: m.fmax(a, b), A, B),
    "fmin": (lambda m, a, b: a.fmin(b), A, B),
    "addcmul": (lambda m, a, b: m.addcmul(a, a, b, value=0.5), A, B),
    "addcdiv": (lambda m, a, b: a.addcdiv(a, b, value=-2), A, B),
    "addmm": (lambda m, a, b: m.addmm(a[:, :3], a, b.t(), beta=0.5, alpha=2), A, B),
    "addmv": (lambda m, a, b: m.addmv(a[:, 0], a, b[0]), A, B),
    "addr": (lambda m, a, b: m.addr(a, a[:, 0], b[0]), A, B),
    "baddbmm": (
        lambda m, a, b: m.baddbmm(
            a.reshape(2, 3, 2)[:, :, :1], a.reshape(2, 3, 2), b.reshape(2, 2, 3), beta=0.5
        ),
        A,
        B,
    ),
    "addbmm": (lambda m, a, b: m.addbmm(a[:2, :2], a.reshape(3, 2, 2), b.reshape(3, 2, 2)), A, B),
    "inner": (lambda m, a, b: m.inner(a, b), A, B),
    "inner_vectors": (lambda m, a, b: m.inner(a[0], b[0]), A, B),
    "vdot": (lambda m, a, b: m.vdot(a[0], b[0]), A, B),
    "cross": (lambda m, a, b: m.cross(a[:, :3], b[:, :3], dim=1), A, B),
    "linalg_cross": (lambda m, a, b: m.linalg.cross(a[:, :3], b[:, :3]), A, B),
    "dist": (lambda m, a, b: m.dist(a, b), A, B),
    "dist_p1": (lambda m, a, b: a.dist(b, 1), A, B),
    "cdist": (lambda m, a, b: m.cdist(a, b[:2]), A, B),
    "cdist_p1": (lambda m, a, b: m.cdist(a, b, p=1), A, B),
    "index_add": (lambda m, a, b: a.index_add(0, m.tensor([2, 0]), b[:2], alpha=2), A, B),
    "index_copy": (lambda m, a, b: a.index_copy(1, m.tensor([3, 1]), b[:, :2]), A, B),
    "index_put_accumulate": (
        lambda m, a, b: a.index_put((m.tensor([0, 0, 2]), m.tensor([1, 1, 3])), b[0, :3], True),
        A,
        B,
    ),
    "scatter_src": (lambda m, a, b: a.scatter(1, m.tensor([[0], [2], [3]]), b[:, :1]), A, B),
    "scatter_add": (lambda m, a, b: m.scatter_add(a, 1, m.tensor(IDX), b[:, :2]), A, B),
    "scatter_reduce_sum": (
        lambda m, a, b: a.scatter_reduce(1, m.tensor(IDX), b[:, :2], "sum", include_self=False),
        A,
        B,
    ),
    "scatter_reduce_mean": (
        lambda m, a, b: a.scatter_reduce(1, m.tensor(IDX), b[:, :2], "mean"),
        A,
        B,
    ),
    "lerp": (lambda m, a, b: m.lerp(a, b, 0.75), A, B),
    "lerp_tensor_weight": (lambda m, a, b: a.lerp(b, m.full_like(a, 0.3)), A, B),
    "solve": (lambda m, a, b: m.linalg.solve(a, b), M, A.T),
    "solve_vector": (lambda m, a, b: m.linalg.solve(a, b[:, 0]), M, A.T),
    "solve_left_false": (lambda m, a, b: m.linalg.solve(a, b.mT, left=False), M, A.T),
    "einsum_matmul": (lambda m, a, b: m.einsum("ij,kj->ik", a, b), A, B),
    "einsum_implicit": (lambda m, a, b: m.einsum("ij,ij", a, b), A, B),
    "einsum_outer_sum": (lambda m, a, b: m.einsum("ij,kl->jl", a, b), A, B),
    "einsum_batch_ellipsis": (
        lambda m, a, b: m.einsum("...ij,...kj->...ik", a.reshape(3, 2, 2), b.reshape(3, 2, 2)),
        A,
        B,
    ),
    "einsum_list": (lambda m, a, b: m.einsum("i,i->i", [a[0], b[0]]), A, B),
    "einsum_trace": (lambda m, a, b: m.einsum("ii->", a[:, :3] @ b[:, :3].t()), A, B),
    "einsum_diagonal": (lambda m, a, b: m.einsum("ii->i", a[:, :3]) * b[0, :3], A, B),
    "einsum_three": (lambda m, a, b: m.einsum("ij,kj,k->i", a, b, a[:, 0]), A, B),
    "tensordot": (lambda m, a, b: m.tensordot(a, b, dims=([1], [1])), A, B),
    "tensordot_int": (lambda m, a, b: m.tensordot(a.reshape(3, 2, 2), b.reshape(2, 2, 3), 2), A, B),
    "kron": (lambda m, a, b: m.kron(a[:2, :2], b[:2, :3]), A, B),
    "hstack": (lambda m, a, b: m.hstack([a, b]), A, B),
    "vstack": (lambda m, a, b: m.vstack((a[0], b)), A, B),
    "dstack": (lambda m, a, b: m.dstack([a, b]), A, B),
    "column_stack": (lambda m, a, b: m.column_stack([a[0], b[0]]), A, B),
    "block_diag": (lambda m, a, b: m.block_diag(a[:2, :2], b[0]), A, B),
    "meshgrid_ij": (lambda m, a, b: m.meshgrid(a[0], b[:, 0], indexing="ij"), A, B),
    "meshgrid_xy": (lambda m, a, b: m.meshgrid(a[0], b[:, 0], indexing="xy"), A, B),
    "cartesian_prod": (lambda m, a, b: m.cartesian_prod(a[0, :2], b[0, :3]), A, B),
    "matmul_out_of_range_broadcast": (lambda m, a, b: m.matmul(a, b.t()), A, B),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_function_matches_torch(name):
    op, x = UNARY[name]
    check_op(op, x)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_function_matches_torch(name):
    op, x, y = BINARY[name]
    check_op(op, x, y)


@pytest.mark.parametrize(
    "name",
    ["tan", "atan", "cumprod", "diagonal", "tril", "roll", "logcumsumexp", "median_dim", "cov"],
)
def test_second_derivatives_match_torch(name):
    op, x = UNARY[name]
    check_op(op, x, double=True)


@pytest.mark.parametrize("name", ["einsum_matmul", "einsum_trace", "solve", "atan2"])
def test_second_derivatives_of_binary_match_torch(name):
    op, x, y = BINARY[name]
    check_op(op, x, y, double=True)


def test_inverse_and_det_second_derivatives():
    check_op(lambda m, a: m.linalg.inv(a), M, double=True)
    check_op(lambda m, a: m.linalg.det(a), M, double=True)


VALUES = {
    "unique": lambda m: m.unique(m.tensor([2, 3, 1, 3, 2, 2, 5])),
    "unique_inverse_counts": lambda m: m.tensor([[2, 3], [1, 3]]).unique(
        return_inverse=True, return_counts=True
    ),
    "unique_dim": lambda m: m.unique(
        m.tensor([[1, 2], [1, 2], [0, 1]]), dim=0, return_inverse=True, return_counts=True
    ),
    "unique_float": lambda m: m.tensor([0.5, -1.0, 0.5]).unique(),
    "unique_consecutive": lambda m: m.unique_consecutive(
        m.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True
    ),
    "bincount": lambda m: m.bincount(m.tensor([2, 3, 1, 3, 2, 2, 5]), minlength=8),
    "bincount_weights": lambda m: m.tensor([0, 1, 1]).bincount(m.tensor([0.5, 1.0, 2.0])),
    "histc": lambda m: m.histc(m.tensor([1.0, 2.0, 1.0, 2.5, -1.0]), bins=4, min=0, max=3),
    "histc_auto_range": lambda m: m.tensor([1.0, 2.0, 1.0, 2.5]).histc(bins=3),
    "isin": lambda m: m.isin(m.tensor([[1, 2], [3, 4]]), m.tensor([2, 3])),
    "isin_invert": lambda m: m.isin(m.tensor([1, 2, 3]), m.tensor([2]), invert=True),
    "searchsorted": lambda m: m.searchsorted(m.tensor([1, 3, 5, 7]), m.tensor([3, 6, 9])),
    "searchsorted_right_2d": lambda m: m.searchsorted(
        m.tensor([[1, 3, 5], [2, 4, 6]]), m.tensor([[3, 6], [1, 4]]), right=True
    ),
    "bucketize": lambda m: m.bucketize(m.tensor([3, 6, 9]), m.tensor([1, 3, 5, 7]), right=True),
    "mode": lambda m: m.mode(m.tensor([[1, 2, 2, 3, 3], [4, 4, 1, 1, 0]]), dim=1),
    "argwhere": lambda m: m.argwhere(m.tensor([[0, 1], [2, 0]])),
    "tril_indices": lambda m: m.tril_indices(3, 3),
    "triu_indices": lambda m: m.triu_indices(3, 4, 1),
    "combinations": lambda m: m.combinations(m.tensor([1, 2, 3])),
    "combinations_replacement": lambda m: m.combinations(
        m.tensor([1, 2, 3]), r=2, with_replacement=True
    ),
    "heaviside": lambda m: m.heaviside(m.tensor([-1.0, 0.0, 2.0]), m.tensor([0.5])),
    "signbit": lambda m: m.signbit(m.tensor([-1.0, 0.0, -0.0, 2.0])),
    "copysign": lambda m: m.copysign(m.tensor([1.0, -2.0, 3.0]), m.tensor([-1.0, 1.0, -0.0])),
    "sgn": lambda m: m.sgn(m.tensor([-2.0, 0.0, 3.0])),
    "fix": lambda m: m.fix(m.tensor([-2.5, 0.5, 3.7])),
    "scatter_reduce_amax": lambda m: m.zeros(3).scatter_reduce(
        0, m.tensor([0, 1, 0, 2]), m.tensor([5.0, -1.0, 7.0, 2.0]), "amax", include_self=False
    ),
    "scatter_reduce_prod": lambda m: m.full((3,), 2.0).scatter_reduce(
        0, m.tensor([0, 1, 0, 2]), m.tensor([5.0, -1.0, 7.0, 2.0]), "prod"
    ),
    "scatter_reduce_int_mean": lambda m: m.tensor([4, 8, 1]).scatter_reduce(
        0, m.tensor([0, 0, 2]), m.tensor([1, 3, 5]), "mean"
    ),
    "scatter_add_reduce": lambda m: m.ones(2, 3).scatter(
        1, m.tensor([[0, 0], [2, 1]]), 2.0, reduce="multiply"
    ),
    "bool_diff": lambda m: m.tensor([True, True, False]).diff(),
    "diff_prepend": lambda m: m.diff(m.tensor([1, 2]), prepend=m.tensor([0]), append=m.tensor([5])),
    "cumprod_int": lambda m: m.tensor([1, 2, 3, 4]).cumprod(0),
    "int_median": lambda m: m.tensor([[5, 1, 3, 2]]).median(dim=1),
    "range": lambda m: m.range(1, 4),
    "range_step": lambda m: m.range(0, 1, 0.25, dtype=m.float64),
    "legacy_float_tensor": lambda m: m.FloatTensor([1, 2]),
    "legacy_long_tensor": lambda m: m.LongTensor(2, 3).zero_(),
    "vander": lambda m: m.vander(m.tensor([1, 2, 3]), N=3),
    "uint8_from_numpy_scalars": lambda m: m.tensor([np.uint8(3), np.uint8(4)]),
    "float64_from_numpy_scalars": lambda m: m.tensor([np.float64(1.5), 2.0]),
    "int32_numpy_with_python_int": lambda m: m.tensor([np.int32(1), 2]),
    "pinverse": lambda m: m.linalg.pinv(m.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).double()),
    "matrix_rank": lambda m: m.linalg.matrix_rank(m.tensor([[1.0, 2.0], [2.0, 4.0]])),
    "svdvals": lambda m: m.linalg.svdvals(m.tensor([[3.0, 0.0], [4.0, 5.0]])),
    "lstsq": lambda m: (
        m.linalg.lstsq(
            m.tensor([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0]]), m.tensor([[1.0], [2.0], [2.0]])
        ).solution
    ),
    "cond": lambda m: m.linalg.cond(m.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=m.float64)),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_values_match_torch(name):
    g, t = VALUES[name](gradiente), VALUES[name](torch)
    g = g if isinstance(g, tuple) else (g,)
    t = t if isinstance(t, tuple) else (t,)
    assert len(g) == len(t)
    for a, b in zip(g, t):
        assert_same(a, b, rtol=1e-6, atol=1e-6)


def test_decompositions_reconstruct_and_differentiate():
    a = leaf(A)
    U, S, Vh = gradiente.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose((U @ S.diag() @ Vh).detach().numpy(), A, atol=1e-12)
    np.testing.assert_allclose(S.numpy(force=True), torch.linalg.svdvals(to_torch(a)).detach())
    Q, R = gradiente.linalg.qr(a.t())
    np.testing.assert_allclose((Q @ R).detach().numpy(), A.T, atol=1e-12)
    S.sum().backward()  # d(Σσ)/dA = U Vᵀ, as torch's
    ta = to_torch(leaf(A))
    torch.linalg.svdvals(ta).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), atol=1e-10)


def test_return_types_print_like_torch():
    x = np.array([[1.0, 3.0], [2.0, 0.0]], dtype=np.float32)
    for fn in (
        lambda m, t: t.max(1),
        lambda m, t: t.sort(0),
        lambda m, t: m.aminmax(t),
        lambda m, t: m.linalg.slogdet(t),
    ):
        g = fn(gradiente, gradiente.from_numpy(x.copy()))
        t = fn(torch, torch.from_numpy(x.copy()))
        assert repr(g) == repr(t)


def test_finfo_iinfo():
    for dt in ("float32", "float64", "float16"):
        g, t = gradiente.finfo(getattr(gradiente, dt)), torch.finfo(getattr(torch, dt))
        assert repr(g) == repr(t)
        assert (g.eps, g.max, g.min, g.tiny, g.bits) == (t.eps, t.max, t.min, t.tiny, t.bits)
    assert repr(gradiente.finfo()) == repr(torch.finfo())
    for dt in ("int64", "int32", "uint8", "int8"):
        g, t = gradiente.iinfo(getattr(gradiente, dt)), torch.iinfo(getattr(torch, dt))
        assert repr(g) == repr(t) and (g.max, g.min, g.bits) == (t.max, t.min, t.bits)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.matmul(x, x.t(), out=m.empty(0, dtype=x.dtype)),
        lambda m, x: m.mul(x, 2, out=m.zeros(3, 4)),
        lambda m, x: m.cat([x, x], out=m.zeros(6, 4)),
        lambda m, x: m.add(x, 1, out=x),
        lambda m, x: m.exp(x, out=m.empty_like(x)),
    ],
)
def test_out_argument(call):
    """``out=`` writes the result into the given tensor (resizing it if needed) and returns it."""
    gx, tx = leaf(A, False), to_torch(leaf(A, False))
    g, t = call(gradiente, gx), call(torch, tx)
    assert_same(g, t)
    assert_same(gx, tx)


def test_out_argument_refuses_autograd():
    x = gradiente.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        gradiente.mul(x, 2, out=gradiente.empty(2))


@pytest.mark.parametrize("replacement", [True, False])
@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("rows", [1, 2])
def test_multinomial_same_draws_as_torch(replacement, n, rows):
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 3.0, 2.0]])[:rows].astype(np.float32)
    for seed in range(5):
        gradiente.manual_seed(seed)
        torch.manual_seed(seed)
        g = gradiente.multinomial(gradiente.from_numpy(probs.copy()), n, replacement)
        t = torch.multinomial(torch.from_numpy(probs.copy()), n, replacement)
        assert g.tolist() == t.tolist()
        # the generator advanced the same way
        assert gradiente.rand(1).item() == torch.rand(1).item()


def test_in_place_forms():
    g = gradiente.from_numpy(A.copy())
    t = torch.from_numpy(A.copy())
    for name, args in [("tan_", ()), ("tril_", (1,)), ("clamp_min_", (-0.5,)), ("cumsum_", (1,))]:
        getattr(g, name)(*args)
        getattr(t, name)(*args)
    assert_same(g, t)
    g.t_()
    t.t_()
    g.unsqueeze_(0).squeeze_(0).transpose_(0, 1)
    t.unsqueeze_(0).squeeze_(0).transpose_(0, 1)
    assert_same(g, t)
    g.fill_diagonal_(5.0)
    t.fill_diagonal_(5.0)
    assert_same(g, t)


def test_in_place_transpose_of_a_non_leaf_is_recorded():
    grads = []
    for m in (gradiente, torch):
        x = m.ones(2, 3, requires_grad=True)
        y = x * m.arange(6.0).reshape(2, 3)
        y.t_()
        assert y.shape == (3, 2) and y.grad_fn.name() == "TBackward1"
        (y * m.arange(6.0).reshape(3, 2)).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1]


def test_split_pieces_are_views():
    x = gradiente.arange(6.0)
    a, b = x.split(3)
    b[0] = 100.0
    assert x[3].item() == 100.0
    assert x.unbind(0)[1]._base is x


def test_several_outputs_of_one_op_as_roots():
    """grad of several outputs of one node (the pieces of a split) counts the node's edges once."""
    g = gradiente.ones(4, requires_grad=True)
    t = torch.ones(4, requires_grad=True)
    gg = gradiente.autograd.grad(
        list(g.split(2)), g, [gradiente.ones(2), gradiente.full((2,), 2.0)]
    )
    tg = torch.autograd.grad(list(t.split(2)), t, [torch.ones(2), torch.full((2,), 2.0)])
    assert gg[0].tolist() == tg[0].tolist()


def test_first_gradient_under_create_graph_is_a_copy():
    x = gradiente.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert repr(x.grad) == "tensor([ 3., 12.], grad_fn=<CopyBackwards>)"


def test_vmap_and_compile():
    def f(v):
        return (v * v).sum()

    x = gradiente.from_numpy(A.copy())
    assert gradiente.vmap(f)(x).tolist() == torch.vmap(f)(torch.from_numpy(A.copy())).tolist()
    assert gradiente.compile(f) is f


def test_tensor_contains_and_reversed():
    x = gradiente.tensor([1, 2, 3])
    assert 2 in x and 5 not in x
    assert reversed(x).tolist() == [3, 2, 1]
    assert (7 % x).tolist() == torch.remainder(7, torch.tensor([1, 2, 3])).tolist()


# ---------------------------------------------------------------------------- torch.func


def _f(m, x, w):
    return (x.sin() * w).sum() + (x @ w) ** 2


FUNC_CASES = {
    "grad": lambda m, x, w: m.func.grad(lambda a: _f(m, a, w))(x),
    "grad_argnums": lambda m, x, w: m.func.grad(lambda a, b: _f(m, a, b), argnums=(0, 1))(x, w),
    "grad_of_grad": lambda m, x, w: m.func.grad(
        lambda a: m.func.grad(lambda b: _f(m, b, w))(a).sum()
    )(x),
    "jacrev": lambda m, x, w: m.func.jacrev(lambda a: (a * w).tanh())(x),
    "jacfwd": lambda m, x, w: m.func.jacfwd(lambda a: a.outer(w).exp())(x),
    "hessian": lambda m, x, w: m.func.hessian(lambda a: _f(m, a, w))(x),
    "vjp": lambda m, x, w: m.func.vjp(lambda a: a.sin() * w, x)[1](w),
    "jvp": lambda m, x, w: m.func.jvp(lambda a: a.sin() * a, (x,), (w,)),
    "vmap": lambda m, x, w: m.func.vmap(lambda a, b: (a * b).sum(), in_dims=(0, None))(
        x.reshape(2, 2), w[:2]
    ),
    "vmap_of_grad": lambda m, x, w: m.func.vmap(m.func.grad(lambda a: (a**3).sum()))(
        x.reshape(2, 2)
    ),
}


@pytest.mark.parametrize("name", list(FUNC_CASES))
def test_func_transforms_match_torch_func(name):
    x, w = _rand((4,), 11), _rand((4,), 12)
    g = FUNC_CASES[name](gradiente, leaf(x, False), leaf(w, False))
    t = FUNC_CASES[name](torch, torch.from_numpy(x.copy()), torch.from_numpy(w.copy()))
    g, t = (g, t) if isinstance(t, tuple) else ((g,), (t,))
    for a, b in zip(g, t, strict=True):
        assert_same(a, b)
        assert not a.requires_grad


def test_functional_call_swaps_parameters():
    layer = gradiente.nn.Linear(3, 2)
    x = gradiente.ones(1, 3)
    params = {"weight": gradiente.ones(2, 3), "bias": gradiente.zeros(2)}
    assert gradiente.func.functional_call(layer, params, (x,)).tolist() == [[3.0, 3.0]]
    assert layer(x).tolist() != [[3.0, 3.0]]  # the module's own parameters are back


@pytest.mark.parametrize(
    "name", ["expit", "ndtr", "ndtri", "log_ndtr", "sinc", "entr", "xlog1py", "erfinv"]
)
def test_special_functions_match_torch(name):
    x = _rand((5,), 13, 0.05, 0.95)

    def op(m, a):
        fn = getattr(m.special, name)
        return fn(a, a * 2) if name == "xlog1py" else fn(a)

    check_op(op, x)


def test_assert_close():
    gradiente.testing.assert_close(gradiente.ones(2), gradiente.ones(2) + 1e-7)
    gradiente.testing.assert_close([gradiente.ones(1), 2.0], [gradiente.ones(1), 2.0])
    with pytest.raises(AssertionError, match="not close"):
        gradiente.testing.assert_close(gradiente.ones(2), gradiente.tensor([1.0, 1.1]))
    with pytest.raises(AssertionError, match="dtype"):
        gradiente.testing.assert_close(
            gradiente.ones(2), gradiente.ones(2, dtype=gradiente.float64)
        )


# ---------------------------------------------------------------------------- smaller fixes

SAME_AS_TORCH = {
    "sort_bool_descending": lambda m: m.tensor([True, False, True]).sort(descending=True),
    "sort_uint8_descending": lambda m: m.tensor([1, 200, 3], dtype=m.uint8).sort(descending=True),
    "sort_nan": lambda m: m.tensor([1.0, float("nan"), 3.0, 1.0]).sort(),
    "sort_nan_descending": lambda m: m.tensor([1.0, float("nan"), 3.0, 1.0]).sort(descending=True),
    "argsort_ties_descending": lambda m: m.argsort(m.tensor([2, 1, 2, 1]), descending=True),
    "topk_smallest": lambda m: m.tensor([[3.0, 1.0, 2.0, 0.5]]).topk(2, dim=1, largest=False),
    "sum_axis": lambda m: m.arange(6.0).reshape(2, 3).sum(axis=0),
    "mean_axis_keepdims": lambda m: m.mean(m.arange(6.0).reshape(2, 3), axis=1, keepdims=True),
    "cat_axis": lambda m: m.cat([m.ones(2, 1), m.zeros(2, 2)], axis=1),
    "max_axis": lambda m: m.arange(6.0).reshape(2, 3).max(axis=1),
    "fmod": lambda m: m.fmod(m.tensor([-7.0, 7.0, -7.5]), 3),
    "remainder": lambda m: m.remainder(m.tensor([-7.0, 7.0, -7.5]), 3),
    "fmod_int": lambda m: m.tensor([-7, 7]).fmod(3),
    "view_dtype": lambda m: m.ones(2).view(m.int32),
    "list_as_tuple_index": lambda m: m.arange(6.0).reshape(2, 3)[[[0, 1], [1, 0]]],
    "clamp_int_with_float": lambda m: m.tensor([1, 5]).clamp(max=2.5),
    "mean_of_empty": lambda m: m.zeros(0, 3).mean(0),
    "as_strided": lambda m: m.arange(6.0).as_strided((2, 2), (1, 2), 1),
    "lerp_weight_one": lambda m: m.lerp(m.tensor([0.1, 3.3]), m.tensor([0.7, -2.9]), 1.0),
    "lerp_tensor_weight": lambda m: m.tensor([0.1, 3.3]).lerp(
        m.tensor([0.7, -2.9]), m.tensor([0.25, 0.75])
    ),
    "numpy_ufunc_gives_tensor": lambda m: np.exp(m.tensor([0.0, 1.0])) * 1,
    "legacy_type_cast": lambda m: m.tensor([1.5, 2.5]).type(m.LongTensor),
    "legacy_type_string": lambda m: m.tensor([1.5, 2.5]).type("torch.DoubleTensor"),
    "new_with_sizes": lambda m: m.ones(2, dtype=m.float64).new(2, 3).zero_(),
    "variable": lambda m: m.autograd.Variable(m.ones(2), requires_grad=True) * 2,
    "in_place_top_level": lambda m: m.clamp_(m.tensor([-1.0, 0.5, 2.0]), 0, 1),
}


@pytest.mark.parametrize("name", list(SAME_AS_TORCH))
def test_same_as_torch(name):
    g, t = SAME_AS_TORCH[name](gradiente), SAME_AS_TORCH[name](torch)
    g = g if isinstance(g, tuple) else (g,)
    t = t if isinstance(t, tuple) else (t,)
    for a, b in zip(g, t, strict=True):
        assert_same(a, b, rtol=0, atol=0)
        assert repr(a) == repr(b)


def test_fmod_and_remainder_gradients():
    check_op(lambda m, a, b: m.fmod(a, b), A * 3, B)
    check_op(lambda m, a, b: a.remainder(b), A * 3, B)


def test_atan2_gradient_at_the_origin_is_zero():
    check_op(lambda m, a, b: m.atan2(a, b), np.zeros(2), np.zeros(2), gradcheck=False)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda m: m.tensor([1, 2]).var(), "floating point"),
        (lambda m: m.tensor([2]) ** -1, "negative integer powers"),
        (lambda m: m.tensor([1]) // m.tensor([0]), "ZeroDivisionError"),
        (lambda m: bool(m.ones(2)), "more than one value is ambiguous"),
        (lambda m: m.ones(2, 3) @ m.ones(2, 3), "mat1 and mat2 shapes cannot be multiplied"),
        (lambda m: m.ones(4).view(3), r"shape '\[3\]' is invalid for input of size 4"),
        (
            lambda m: m.ones(2, dtype=m.int64).mul_(2.5),
            "can't be cast to the desired output type Long",
        ),
    ],
)
def test_errors_read_like_torch(call, error):
    for m in (gradiente, torch):
        with pytest.raises(RuntimeError, match=error):
            call(m)


def test_grad_fn_names_of_new_nodes():
    x = gradiente.ones(2, 3, requires_grad=True)
    t = torch.ones(2, 3, requires_grad=True)
    for fn in (
        lambda v: v.T,
        lambda v: v.topk(2).values,
        lambda v: v.lerp(v * 2, 0.5),
        lambda v: v.cumprod(1),
        lambda v: v.std(0),
        lambda v: v.split(1)[0],
        lambda v: v.unbind(1)[0],
        lambda v: v.norm(),
        lambda v: v.tril(),
        lambda v: v.roll(1),
        lambda v: v.fmod(2.0),
        lambda v: v.diagonal(),
        lambda v: v.scatter(1, v.new_zeros(2, 1).long(), 5.0),
    ):
        assert fn(x).grad_fn.name() == fn(t).grad_fn.name()


def test_legacy_types_and_variable_are_isinstance_checks():
    x = gradiente.ones(2)
    assert isinstance(x, gradiente.FloatTensor) and not isinstance(x, gradiente.LongTensor)
    assert isinstance(x, gradiente.autograd.Variable)
    assert repr(gradiente.channels_last) == repr(torch.channels_last)
    with gradiente.autograd.detect_anomaly():
        assert gradiente.autograd.is_anomaly_enabled()
    assert not gradiente.autograd.is_anomaly_enabled()
    with gradiente.inference_mode():
        assert gradiente.is_inference_mode_enabled() and not gradiente.is_grad_enabled()
    assert not gradiente.is_inference_mode_enabled()

"""The one table of deliberate differences between gradiente and torch that the fuzzer accepts.

Each entry names a condition on a program step and the README decision behind it. The
comparison consults this table only when it has found a difference; a case it matches is counted
and reported by name (``test_differential`` prints the table and how often each entry was used),
and the rest of that program is not compared. Nothing else is skipped. Tolerances are not
entries here: they are one rule for all ops, in ``compare.tolerance``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownDifference:
    name: str
    applies: Callable  # (step, torch error, gradiente error, torch env, gradiente env, kind)
    reason: str


def _view_copies(step, t_err, g_err, t_env, g_env, kind):
    # torch: "view size is not compatible with input tensor's size and stride ... Use .reshape"
    return (
        step.kind == "method"
        and step.fn == "view"
        and g_err is None
        and t_err is not None
        and "view size is not compatible" in str(t_err)
    )


def _whole_view_rewrite_of_a_view(step, t_err, g_err, t_env, g_env, kind):
    # torch 2.13: ``x = t.reshape(2); x[...] /= w`` (w requires grad) raises "a leaf Variable
    # ... in-place" at the write-back ``x[...] = tmp``: x, a view of a temporary that did not
    # require grad, now requires grad through its base but has no grad_fn of its own
    return (
        step.op.endswith("on view")
        and g_err is None
        and t_err is not None
        and "a leaf Variable that requires grad" in str(t_err)
    )


def _integer_target_requires_grad(step, t_err, g_err, t_env, g_env, kind):
    # torch: ``int_tensor[i] = float_tensor_requiring_grad`` leaves the integer tensor with
    # requires_grad=True (a CopySlices node on an integer tensor)
    if kind != "requires_grad" or step.op not in ("setitem", "copy_"):
        return False
    target = g_env.get(getattr(step.args[0], "name", None))
    return target is not None and not target.dtype.is_floating_point


def _torch_internal_assert(step, t_err, g_err, t_env, g_env, kind):
    return t_err is not None and "INTERNAL ASSERT FAILED" in str(t_err)


_PRODUCTS = {"T.matmul", "T.mm", "T.bmm", "T.mv", "T.dot", "@", "F.linear", "F.conv1d", "F.conv2d",
             "F.scaled_dot_product_attention"}  # fmt: skip
# ops whose zeros come out of a kernel-dependent formula: torch's batch/layer norm fold the
# affine (x·a + b), softshrink's vectorised and scalar loops give +0 and x·0
_FORMULA_ZEROS = {"F.batch_norm", "F.layer_norm", "F.group_norm", "F.instance_norm", "F.softshrink"}


def _formula_zero_sign(step, t_err, g_err, t_env, g_env, kind):
    return kind == "signed zero" and step.op in _FORMULA_ZEROS


def _product_zero_sign(step, t_err, g_err, t_env, g_env, kind):
    # torch: mm((2,1), (1,2)) keeps -0.0 from 0.0 * -1.5, bmm/mv of the same give +0.0; a
    # float32 conv2d keeps it with 1 sample and 2 output channels, not with 1 output channel
    # or 2 samples (the CPU kernel chosen for the sizes decides)
    return kind == "signed zero" and step.op in _PRODUCTS


def _nonfinite_weight_on_padding(step, t_err, g_err, t_env, g_env, kind):
    # torch's float32 conv2d with 2 samples (the oneDNN kernel) skips the padding taps, so a
    # NaN or inf weight never meets a padded zero there; with 1 sample, or in float64, it does
    # and the border outputs are NaN (0 * inf), as gradiente's always are
    if kind != "nan" or step.op not in ("F.conv1d", "F.conv2d"):
        return False
    if step.kwargs.get("padding", 0) in (0, "valid") or len(step.args) < 2:
        return False
    weight = t_env.get(getattr(step.args[1], "name", None))
    return weight is not None and not bool(weight.isfinite().all())


def _nan_sign_bit(step, t_err, g_err, t_env, g_env, kind):
    # the sign bit of a NaN is whatever the kernel left there (x ** 2.5 of a negative x is
    # -nan in both; a softmax over such a NaN keeps or drops its sign by kernel)
    if kind != "value" or step.fn != "signbit" or not step.args:
        return False
    x = t_env.get(getattr(step.args[0], "name", None))
    return x is not None and x.dtype.is_floating_point and bool(x.isnan().any())


def _gelu_of_inf_float32(step, t_err, g_err, t_env, g_env, kind):
    # torch 2.13: F.gelu(+inf) in float32 is NaN from the vectorised erf kernel (tensors of more
    # than one element) and inf from the scalar one; float64 is inf
    if kind != "nan" or step.fn != "F.gelu" or not step.args:
        return False
    x = t_env.get(getattr(step.args[0], "name", None))
    return x is not None and str(x.dtype) == "torch.float32" and bool(x.isposinf().any())


def _groups(step, x):
    """The groups (rows) a normalisation step averages over, or None."""
    fn = step.fn
    if fn == "F.group_norm":
        return x.reshape(x.shape[0], step.args[1], -1).reshape(-1, x[0:1].numel() // step.args[1])
    if fn == "F.layer_norm":
        k = len(step.args[1])
        return x.reshape(-1, max(1, int(x[(0,) * (x.ndim - k)].numel()))) if x.ndim > k else None
    if fn == "F.instance_norm":
        return x.reshape(x.shape[0] * x.shape[1], -1)
    if fn == "F.batch_norm" and step.kwargs.get("training"):
        return x.transpose(0, 1).reshape(x.shape[1], -1)
    return None


def _constant_group_normalised(step, t_err, g_err, t_env, g_env, kind):
    # a group of equal values has variance 0, so x̂ = (x - mean) / sqrt(eps): torch computes
    # x·a + (β - mean·a) with a = γ / sqrt(var + eps) ≈ 316γ, whose two rounded products leave
    # ±1e-5-sized noise; gradiente's x - mean is exactly 0
    if kind != "value" or step.kind != "func" or not step.args:
        return False
    x = t_env.get(getattr(step.args[0], "name", None))
    if x is None or not x.dtype.is_floating_point or x.numel() == 0:
        return False
    try:
        groups = _groups(step, x.detach())
    except (RuntimeError, IndexError, TypeError):
        return False
    if groups is None or groups.shape[-1] == 0:
        return False
    return bool((groups == groups[:, :1]).all(dim=1).any())


_NORMS = ("F.batch_norm", "F.group_norm", "F.instance_norm", "F.layer_norm")


def _nonfinite_norm_affine(step, t_err, g_err, t_env, g_env, kind):
    # torch's batch/group/instance norm kernels compute x·a + (β − mean·a) with a = γ·rstd: an
    # infinite γ gives ∞ − ∞ = NaN where gradiente's x̂·γ + β gives ±∞
    if step.fn not in _NORMS or kind not in ("nan", "value", "grad nan", "grad value"):
        return False
    tensors = [t_env.get(getattr(a, "name", None)) for a in step.args[1:]]
    tensors += [t_env.get(getattr(v, "name", None)) for v in step.kwargs.values()]
    return any(t is not None and t.is_floating_point() and not t.isfinite().all() for t in tensors)


def _nan_in_flash_attention(step, t_err, g_err, t_env, g_env, kind):
    # torch's CPU flash kernel (4-D inputs) gives zeros for some rows of only-NaN scores (a
    # NaN query against finite keys) and NaN for others (the same against a +inf key)
    if kind not in ("nan", "grad nan") or step.fn != "F.scaled_dot_product_attention":
        return False
    q = t_env.get(getattr(step.args[0], "name", None))
    k = t_env.get(getattr(step.args[1], "name", None))
    return q is not None and q.ndim == 4 and bool(q.isnan().any() or k.isnan().any())


def _empty_scan_dim_unchecked(step, t_err, g_err, t_env, g_env, kind):
    # torch 2.13: ``T.cummax(T.zeros(3, 0), 5)`` returns two empty tensors; its cummax/cummin
    # return before wrapping the dim when the input has no elements
    if step.op not in ("T.cummax", "T.cummin", ".cummax", ".cummin"):
        return False
    x = t_env.get(getattr(step.args[0], "name", None))
    return (
        t_err is None
        and isinstance(g_err, IndexError)
        and x is not None
        and x.numel() == 0
        and "Dimension out of range" in str(g_err)
    )


KNOWN_DIFFERENCES = [
    KnownDifference(
        "view() of non-viewable memory returns a copy",
        _view_copies,
        "README 'Not yet / known differences': view() of memory that cannot be re-viewed (a "
        "transposed tensor, a convolution output) returns a copy instead of raising.",
    ),
    KnownDifference(
        "torch refuses `x[...] op= w` when x is a view of a temporary",
        _whole_view_rewrite_of_a_view,
        "torch raises 'a leaf Variable that requires grad is being used in an in-place "
        "operation' for `x[...] /= w` (w requires grad) when x is itself a view of a tensor "
        "that did not require grad, although no leaf that requires grad is written (`x[0:1] "
        "/= w`, or the same on a non-view x, work); gradiente records the op (CopySlices) as "
        "torch does in those neighbouring cases.",
    ),
    KnownDifference(
        "an integer tensor written from a tensor that requires grad",
        _integer_target_requires_grad,
        "torch marks an integer tensor requires_grad=True after `x_int[i] = w` with w a "
        "floating tensor that requires grad, although integer tensors cannot hold gradients; "
        "gradiente converts w to the integer dtype and the integer tensor stays without grad.",
    ),
    KnownDifference(
        "the sign of a zero from a matrix product or convolution",
        _product_zero_sign,
        "torch's sign of an exact zero out of mm/matmul/linear/conv depends on the CPU kernel it "
        "picks for the sizes and dtype (mm of a (2, 1) and a (1, 2) matrix keeps -0.0 = 0.0 · "
        "-1.5, bmm/mv of the same give +0.0; conv2d differs between 1 and 2 output channels "
        "and, in float32, between 1 and 2 samples); gradiente's sums start from +0.0 always.",
    ),
    KnownDifference(
        "the sign of a zero from a normalisation or softshrink",
        _formula_zero_sign,
        "torch's batch/layer/group/instance norm kernels fold the affine into x·a + b, and its "
        "softshrink gives +0 in the vectorised loop and x·0 (signed) in the scalar tail, so "
        "the sign of an exact zero depends on the kernel; gradiente computes x̂·γ + β and +0.",
    ),
    KnownDifference(
        "a NaN or inf convolution weight times a padded zero",
        _nonfinite_weight_on_padding,
        "torch's float32 conv2d of a batch of 2 or more skips the zero-padding taps, while with "
        "one sample or in float64 it multiplies them (a NaN or inf weight then makes the "
        "border outputs NaN, as 0 * inf is NaN); gradiente always multiplies them.",
    ),
    KnownDifference(
        "signbit of a NaN",
        _nan_sign_bit,
        "The sign bit of a NaN is not part of its value: which NaNs come out negative depends "
        "on each library's kernels (softmax over -nan keeps the sign in torch, not in NumPy). "
        "NaN placement is compared everywhere; signbit on a NaN is not.",
    ),
    KnownDifference(
        "float32 gelu(+inf)",
        _gelu_of_inf_float32,
        "torch 2.13's vectorised float32 erf gives gelu(+inf) = NaN for tensors of more than one "
        "element (its scalar path and float64 give inf, the limit x * Phi(x)); gradiente gives "
        "inf for every size.",
    ),
    KnownDifference(
        "normalising a group of equal values",
        _constant_group_normalised,
        "A group (batch/layer/group/instance norm) whose values are all equal has variance 0 "
        "and x - mean = 0 exactly. torch's kernels compute x·a + (β - mean·a) with a = γ / "
        "sqrt(eps) ≈ 316γ, so the two rounded products leave noise of about 1e-5 (float32) "
        "where gradiente gives exactly β; both are the same value up to that rounding.",
    ),
    KnownDifference(
        "an infinite or NaN normalisation weight or bias",
        _nonfinite_norm_affine,
        "torch's batch/group/instance norm kernels fold the affine into x·a + (β − mean·a) with "
        "a = γ / sqrt(var + eps), so an infinite γ gives ∞ − ∞ = NaN for some elements; "
        "gradiente computes x̂·γ + β, which gives ±∞ there.",
    ),
    KnownDifference(
        "NaN queries or keys in torch's flash attention",
        _nan_in_flash_attention,
        "torch's CPU flash-attention kernel (4-D inputs) outputs zeros for a row whose scores "
        "are all NaN when the keys are finite, but NaN when a key is infinite; its math path "
        "(other ranks) and gradiente give NaN for every such row, as the formula does.",
    ),
    KnownDifference(
        "torch's own internal assert",
        _torch_internal_assert,
        "torch raises 'INTERNAL ASSERT FAILED ... please report a bug to PyTorch' (e.g. the "
        "backward of `True ** tensor`, whose bool base its Scalar cannot hold): a torch bug, "
        "not a behaviour to copy; gradiente computes the derivative of the formula.",
    ),
    KnownDifference(
        "cummax/cummin of an empty tensor over a dim it does not have",
        _empty_scan_dim_unchecked,
        "torch's cummax/cummin return at once for an input with no elements, before checking "
        "the dim, so an out-of-range dim passes there (and raises for any non-empty input); "
        "gradiente checks the dim first, as every other torch op does.",
    ),
]


def match_known(step, t_err, g_err, t_env, g_env, kind=None):
    """The entry of ``KNOWN_DIFFERENCES`` that explains this difference, or None."""
    for entry in KNOWN_DIFFERENCES:
        if entry.applies(step, t_err, g_err, t_env, g_env, kind):
            return entry
    return None


def table():
    """The table as text, for the test output and the README."""
    return "\n".join(f"- {e.name}: {e.reason}" for e in KNOWN_DIFFERENCES)

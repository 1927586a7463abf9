"""A family of less common ``torch`` functions: differences, searching and counting, unique,
distances, rotations and small constructions from existing tensors (``*_like``, ``diff``,
``searchsorted``, ``bincount``, ``histc``, ``unique``, ``cdist``, ``rot90``, ``block_diag``...).
"""

from __future__ import annotations

from .ops_tensor import dim

MISC = (
    "diff searchsorted bucketize bincount histc unique unique_consecutive cdist rot90 "
    "block_diag cartesian_prod atleast_2d zeros_like full_like clamp_min cummax_values "
    "count_nonzero_dims renorm logcumsumexp vander trapezoid corrcoef cov flipud fliplr "
    "argwhere isin frexp"
).split()


def fam_misc(b):
    fn = b.choice(MISC)
    x = b.pick() or b.new_leaf()
    shape = b.shape_of(x)
    nd = len(shape)
    if fn == "diff":
        kw = f"n={b.integer(0, 2)}, dim={dim(b, nd)}"
        return b.expr(f"T.diff({x}, {kw})", "T.diff")
    if fn in ("searchsorted", "bucketize"):
        bounds = b.expr(f"T.sort({b.new_leaf((b.integer(0, 5),), b.dtype_of(x))})[0]", "T.sort")
        if bounds is None:
            return None
        right = b.maybe()
        if fn == "searchsorted":
            return b.expr(f"T.searchsorted({bounds}, {x}, right={right})", "T.searchsorted")
        return b.expr(f"T.bucketize({x}, {bounds}, right={right})", "T.bucketize")
    if fn == "bincount":
        v = b.new_leaf((b.integer(0, 6),), "int64", positive=True)
        w = f", weights={b.new_leaf(b.shape_of(v), 'float64')}" if b.maybe(0.4) else ""
        return b.expr(f"T.bincount({v}{w}, minlength={b.integer(0, 4)})", "T.bincount")
    if fn == "histc":
        return b.expr(f"T.histc({x}, bins={b.integer(1, 5)}, min=-2, max=2)", "T.histc")
    if fn == "unique":
        kw = f"sorted=True, return_inverse={b.maybe()}, return_counts={b.maybe()}"
        if b.maybe(0.3):
            kw += f", dim={dim(b, nd)}"
        return b.expr(f"T.unique({x}, {kw})", "T.unique")
    if fn == "unique_consecutive":
        return b.expr(f"T.unique_consecutive({x}, return_counts={b.maybe()})",
                      "T.unique_consecutive")  # fmt: skip
    if fn == "cdist":
        d = b.integer(1, 3)
        a, c = (
            b.new_leaf((b.integer(0, 3), d), "float64"),
            b.new_leaf((b.integer(1, 3), d), "float64"),
        )
        return b.expr(
            f"T.cdist({a}, {c}, p={b.choice([1.0, 2.0, 0.5, float('inf')])!r})", "T.cdist"
        )
    if fn == "rot90":
        return b.expr(f"T.rot90({x}, {b.integer(-2, 3)}, [{dim(b, nd)}, {dim(b, nd)}])", "T.rot90")
    if fn == "block_diag":
        return b.expr(f"T.block_diag({x}, {b.new_leaf(b.shape(max_rank=2), b.dtype_of(x))})",
                      "T.block_diag")  # fmt: skip
    if fn == "cartesian_prod":
        a = b.new_leaf((b.integer(0, 3),), b.dtype_of(x))
        return b.expr(f"T.cartesian_prod({a}, {b.new_leaf((b.integer(1, 3),), b.dtype_of(x))})",
                      "T.cartesian_prod")  # fmt: skip
    if fn == "atleast_2d":
        return b.expr(f"T.atleast_2d({x})", "T.atleast_2d")
    if fn == "zeros_like":
        return b.expr(f"T.zeros_like({x}, dtype=T.{b.dtype()})", "T.zeros_like")
    if fn == "full_like":
        return b.expr(f"T.full_like({x}, {b.scalar()!r})", "T.full_like")
    if fn == "clamp_min":
        return b.expr(f"T.clamp_min({x}, {b.choice([0, 0.5, -1])})", "T.clamp_min")
    if fn == "cummax_values":
        return b.expr(f"T.cummax({x}, {dim(b, nd)}).values", "T.cummax().values")
    if fn == "count_nonzero_dims":
        return b.expr(f"T.count_nonzero({x}, dim={tuple(range(nd))[:2]})", "T.count_nonzero")
    if fn == "renorm":
        return b.expr(f"T.renorm({x}, p=2, dim={dim(b, nd)}, maxnorm=1.0)", "T.renorm")
    if fn == "logcumsumexp":
        return b.expr(f"T.logcumsumexp({x}, {dim(b, nd)})", "T.logcumsumexp")
    if fn == "vander":
        v = b.new_leaf((b.integer(0, 4),), b.dtype(("float64", "int64", "float32")))
        return b.expr(f"T.vander({v}, N={b.integer(0, 3)}, increasing={b.maybe()})", "T.vander")
    if fn == "trapezoid":
        return b.expr(f"T.trapezoid({x}, dx={b.choice([1, 0.5])}, dim={dim(b, nd)})", "T.trapezoid")
    if fn in ("corrcoef", "cov"):
        v = b.new_leaf((b.integer(1, 3), b.integer(1, 4)), b.dtype(("float64", "float32")))
        return b.expr(f"T.{fn}({v})", f"T.{fn}")
    if fn in ("flipud", "fliplr"):
        return b.expr(f"T.{fn}({x})", f"T.{fn}")
    if fn == "argwhere":
        return b.expr(f"T.argwhere({x})", "T.argwhere")
    if fn == "isin":
        return b.expr(f"T.isin({x}, {b.new_leaf((b.integer(0, 4),), b.dtype_of(x))})", "T.isin")
    return b.expr(f"T.frexp({x})", "T.frexp")


MISC_FAMILIES = {"misc": fam_misc}

"""Op families for the matmul family and ``nn.functional``: activations, softmax, normalize,
pad, interpolate, convolutions, pooling, losses, dropout in eval, embeddings and norms.

Inputs are mostly new float leaves of a fitting shape (a convolution needs ``(N, C, L)``), drawn
in any float dtype and layout; now and then a shape or argument that torch refuses.
"""

from __future__ import annotations

from .ops_tensor import dim

FLOAT_POOL = ("float32", "float64", "float16", "bfloat16")
FLOAT_WEIGHTS = (6, 4, 1, 1)


def _float(b):
    return b.dtype(FLOAT_POOL, FLOAT_WEIGHTS)


def fam_matmul(b):
    dt = _float(b) if b.maybe(0.9) else b.dtype(("int64", "float32"), (1, 1))
    n, k, m, bs = (b.integer(0 if b.maybe(0.05) else 1, 4) for _ in range(4))
    fn = b.choice(["mm", "bmm", "matmul", "baddbmm", "addmm", "einsum", "tensordot",
                   "vector_norm", "cross", "outer", "dot", "addmv", "addr", "inner", "kron",
                   "trace", "matmul_1d"])  # fmt: skip
    leaf = b.new_leaf

    def mat(*shape):
        return leaf(shape, dt)

    if fn == "mm":
        return b.expr(f"T.mm({mat(n, k)}, {mat(k if b.maybe(0.95) else k + 1, m)})", "T.mm")
    if fn == "bmm":
        return b.expr(f"T.bmm({mat(bs, n, k)}, {mat(bs, k, m)})", "T.bmm")
    if fn == "matmul":
        return b.expr(f"T.matmul({mat(bs, 1, n, k)}, {mat(2, k, m)})", "T.matmul")
    if fn == "matmul_1d":
        a = mat(k) if b.maybe() else mat(bs, n, k)
        return b.expr(f"{a} @ {mat(k)}", "@ 1-d")
    if fn == "baddbmm":
        kw = f"beta={b.choice([0, 1, 0.5])}, alpha={b.choice([1, 2, -0.5])}"
        return b.expr(f"T.baddbmm({mat(1, n, m)}, {mat(bs, n, k)}, {mat(bs, k, m)}, {kw})",
                      "T.baddbmm")  # fmt: skip
    if fn == "addmm":
        kw = f"beta={b.choice([0, 1, 2])}, alpha={b.choice([1, 0.5])}"
        return b.expr(f"T.addmm({mat(m)}, {mat(n, k)}, {mat(k, m)}, {kw})", "T.addmm")
    if fn == "addmv":
        return b.expr(f"T.addmv({mat(n)}, {mat(n, k)}, {mat(k)}, beta=0.5)", "T.addmv")
    if fn == "addr":
        return b.expr(f"T.addr({mat(n, m)}, {mat(n)}, {mat(m)}, alpha=2)", "T.addr")
    if fn == "einsum":
        eq, shapes = b.choice([
            ("ij,jk->ik", [(n, k), (k, m)]), ("bij,bjk->bik", [(bs, n, k), (bs, k, m)]),
            ("ii->i", [(n, n)]), ("ij->ji", [(n, k)]), ("i,j->ij", [(n,), (m,)]),
            ("...ij,...j->...i", [(bs, n, k), (k,)]), ("ij,ij->", [(n, k), (n, k)]),
            ("bij->b", [(bs, n, k)]),
        ])  # fmt: skip
        args = ", ".join(mat(*s) for s in shapes)
        return b.expr(f"T.einsum({eq!r}, {args})", "T.einsum")
    if fn == "tensordot":
        dims = b.choice([1, 2, 0, ([1], [0])])
        return b.expr(f"T.tensordot({mat(n, k, m)}, {mat(k, m, bs)}, dims={dims})",
                      "T.tensordot")  # fmt: skip
    if fn == "vector_norm":
        x = mat(n, k, m)
        ord_ = b.choice([2, 1, 0, 3, 0.5, float("inf"), float("-inf")])
        kw = f"ord={ord_!r}, dim={b.choice([None, 0, -1, (0, 2)])!r}, keepdim={b.maybe()}"
        if b.maybe(0.3):
            kw += ", dtype=T.float64"
        return b.expr(f"T.linalg.vector_norm({x}, {kw})", "T.linalg.vector_norm")
    if fn == "cross":
        d = b.choice([-1, 0, 1])
        shape = [n, 3] if d != 0 else [3, n]
        return b.expr(f"T.linalg.cross({mat(*shape)}, {mat(*shape)}, dim={d})", "T.linalg.cross")
    if fn == "outer":
        return b.expr(f"T.outer({mat(n)}, {mat(m)})", "T.outer")
    if fn == "dot":
        return b.expr(f"T.dot({mat(n)}, {mat(n)})", "T.dot")
    if fn == "inner":
        return b.expr(f"T.inner({mat(n, k)}, {mat(m, k)})", "T.inner")
    if fn == "kron":
        return b.expr(f"T.kron({mat(n, k)}, {mat(m, 2)})", "T.kron")
    return b.expr(f"T.trace({mat(n, k)})", "T.trace")


ACTIVATIONS = {
    "relu": "", "relu6": "", "leaky_relu": "negative_slope={}", "elu": "alpha={}",
    "selu": "", "celu": "alpha={}", "gelu": "approximate={}", "silu": "", "mish": "",
    "softplus": "beta={}, threshold={}", "hardtanh": "min_val={}, max_val={}",
    "hardsigmoid": "", "hardswish": "", "logsigmoid": "", "softsign": "", "tanhshrink": "",
    "threshold": "{}, {}", "rrelu": "training=False", "glu": "dim={}", "softshrink": "{}",
    "hardshrink": "{}", "tanh": "", "sigmoid": "",
}  # fmt: skip


def _act_args(b, name, nd):
    spec = ACTIVATIONS[name]
    values = {
        "leaky_relu": [b.choice([0.01, 0.2, -0.5])],
        "elu": [b.choice([1.0, 0.5, 2.0])],
        "celu": [b.choice([1.0, 0.5, 2.0])],
        "gelu": [repr(b.choice(["none", "tanh"]))],
        "softplus": [b.choice([1, 2, 0.5]), b.choice([20, 1, 0.5])],
        "hardtanh": [b.choice([-1.0, -2.0, 0.0]), b.choice([1.0, 0.5, 2.0])],
        "threshold": [b.choice([0.0, 0.5, -1.0]), b.choice([0.0, 2.0, -3.0])],
        "glu": [dim(b, nd)],
        "softshrink": [b.choice([0.5, 1.0, 0.0])],
        "hardshrink": [b.choice([0.5, 1.0, 0.0])],
    }.get(name, [])
    return spec.format(*values)


def fam_activation(b):
    x = b.pick(lambda t: t.is_floating_point()) if b.maybe(0.6) else None
    x = x or b.new_leaf(dtype=_float(b))
    nd = len(b.shape_of(x))
    fn = b.choice(list(ACTIVATIONS) + ["softmax", "log_softmax", "softmin", "normalize",
                                       "dropout", "alpha_dropout"])  # fmt: skip
    if fn in ("softmax", "log_softmax", "softmin"):
        kw = f"dim={dim(b, nd)}"
        if b.maybe(0.3):
            kw += f", dtype=T.{b.choice(['float64', 'float32'])}"
        return b.expr(f"F.{fn}({x}, {kw})", f"F.{fn}")
    if fn == "normalize":
        kw = f"p={b.choice([2, 1, 3.0])}, dim={dim(b, nd)}, eps={b.choice([1e-12, 0.5])}"
        return b.expr(f"F.normalize({x}, {kw})", "F.normalize")
    if fn in ("dropout", "alpha_dropout"):
        kw = "p=0.0" if b.maybe() else "p=0.5, training=False"
        return b.expr(f"F.{fn}({x}, {kw})", f"F.{fn}")
    args = _act_args(b, fn, nd)
    if fn in ("relu", "leaky_relu", "elu", "hardtanh", "relu6", "celu", "selu") and b.maybe(0.2):
        base = b.expr(f"{x}.clone()", ".clone")
        if base is None:
            return None
        sep = ", " if args else ""
        b.run(f"F.{fn}({base}{sep}{args}, inplace=True)", f"F.{fn}(inplace)", touched=[base])
        return base
    return b.expr(f"F.{fn}({x}{', ' if args else ''}{args})", f"F.{fn}")


def fam_pad_sample(b):
    fn = b.choice(["pad", "interpolate", "pixel_shuffle", "one_hot", "embedding", "unfold"])
    dt = _float(b)
    if fn == "pad":
        mode = b.choice(["constant", "reflect", "replicate", "circular"])
        nd = b.integer(1, 2) if mode != "constant" else b.integer(1, 3)
        shape = [b.integer(1, 2), b.integer(1, 2)] + [b.integer(1, 4) for _ in range(nd)]
        pads = [b.integer(-1, 3) for _ in range(2 * nd)]
        kw = f", value={b.scalar()!r}" if mode == "constant" and b.maybe() else ""
        x = b.new_leaf(shape, dt if b.maybe(0.9) else b.dtype())
        return b.expr(f"F.pad({x}, {tuple(pads)}, mode={mode!r}{kw})", f"F.pad({mode})")
    if fn == "interpolate":
        mode = b.choice(["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "area"])
        nd = {"linear": 1, "bilinear": 2, "bicubic": 2}.get(mode, b.integer(1, 2))
        x = b.new_leaf([b.integer(1, 2), b.integer(1, 2)] + [b.integer(1, 4) for _ in range(nd)],
                       dt)  # fmt: skip
        if b.maybe():
            kw = f"size={tuple(b.integer(1, 5) for _ in range(nd))}"
        else:
            kw = f"scale_factor={b.choice([2, 0.5, 1.5, 3])}"
        if mode in ("linear", "bilinear", "bicubic"):
            kw += f", align_corners={b.maybe()}"
        return b.expr(f"F.interpolate({x}, {kw}, mode={mode!r})", f"F.interpolate({mode})")
    if fn == "pixel_shuffle":
        r = b.integer(1, 2)
        x = b.new_leaf((1, r * r * b.integer(1, 2), b.integer(1, 3), b.integer(1, 3)), dt)
        return b.expr(f"F.pixel_shuffle({x}, {r})", "F.pixel_shuffle")
    if fn == "one_hot":
        x = b.new_leaf(b.shape(max_rank=2), "int64", positive=True)
        return b.expr(f"F.one_hot({x}, {b.choice([-1, 6, 8])})", "F.one_hot")
    if fn == "embedding":
        idx = b.new_leaf(b.shape(max_rank=2), "int64", positive=True)
        w = b.new_leaf((6, b.integer(1, 3)), dt)
        kw = f", padding_idx={b.integer(0, 5)}" if b.maybe(0.4) else ""
        return b.expr(f"F.embedding({idx}, {w}{kw})", "F.embedding")
    x = b.new_leaf((1, b.integer(1, 2), b.integer(2, 4), b.integer(2, 4)), dt)
    return b.expr(f"F.unfold({x}, kernel_size=2, stride={b.integer(1, 2)})", "F.unfold")


def fam_conv_pool(b):
    dt = _float(b)
    nd = b.integer(1, 2)
    fn = b.choice(["conv", "conv", "max_pool", "avg_pool", "adaptive_avg", "adaptive_max",
                   "lp_pool", "conv_transpose"])  # fmt: skip
    spatial = [b.integer(1, 6) for _ in range(nd)]
    if fn in ("conv", "conv_transpose"):
        g = b.integer(1, 2)
        cin, cout, k = g * b.integer(1, 2), g * b.integer(1, 2), b.integer(1, 3)
        x = b.new_leaf([b.integer(1, 2), cin] + spatial, dt)
        wshape = [cout, cin // g] if fn == "conv" else [cin, cout // g]
        w = b.new_leaf(wshape + [k] * nd, dt)
        bias = b.new_leaf((cout,), dt) if b.maybe() else None
        kw = f"groups={g}, dilation={b.integer(1, 2)}"
        if fn == "conv":
            pad = b.choice([0, 1, "'same'", "'valid'"])
            stride = 1 if pad == "'same'" else b.integer(1, 2)
            kw += f", padding={pad}, stride={stride}"
            return b.expr(f"F.conv{nd}d({x}, {w}, {bias}, {kw})", f"F.conv{nd}d")
        kw += f", stride={b.integer(1, 2)}, padding={b.integer(0, 1)}"
        return b.expr(f"F.conv_transpose{nd}d({x}, {w}, {bias}, {kw})",
                      f"F.conv_transpose{nd}d")  # fmt: skip
    x = b.new_leaf([b.integer(1, 2), b.integer(1, 3)] + spatial, dt)
    k = b.integer(1, 3)
    if fn == "max_pool":
        kw = f"{k}, stride={b.integer(1, 2)}, padding={b.integer(0, k // 2)}, "
        kw += f"dilation={b.integer(1, 2)}, ceil_mode={b.maybe()}, return_indices={b.maybe()}"
        return b.expr(f"F.max_pool{nd}d({x}, {kw})", f"F.max_pool{nd}d")
    if fn == "avg_pool":
        kw = f"{k}, stride={b.integer(1, 2)}, padding={b.integer(0, k // 2)}, "
        kw += f"ceil_mode={b.maybe()}, count_include_pad={b.maybe()}"
        return b.expr(f"F.avg_pool{nd}d({x}, {kw})", f"F.avg_pool{nd}d")
    if fn in ("adaptive_avg", "adaptive_max"):
        size = tuple(b.integer(1, 4) for _ in range(nd))
        return b.expr(f"F.{fn}_pool{nd}d({x}, {size})", f"F.{fn}_pool{nd}d")
    return b.expr(f"F.lp_pool{nd}d({x}, {b.choice([1, 2, 3])}, {k})", f"F.lp_pool{nd}d")


def fam_loss(b):
    dt = _float(b)
    red = b.choice(["mean", "sum", "none"])
    fn = b.choice(["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "bce",
                   "bce_with_logits", "cross_entropy", "nll_loss", "kl_div", "poisson_nll_loss",
                   "margin_ranking_loss", "soft_margin_loss", "cosine_similarity",
                   "pairwise_distance", "hinge_embedding_loss", "multilabel_soft_margin_loss",
                   "gaussian_nll_loss", "layer_norm", "group_norm", "batch_norm",
                   "instance_norm", "linear"])  # fmt: skip
    n, c = b.integer(0 if b.maybe(0.05) else 1, 3), b.integer(1, 4)
    shape = (n, c)
    x = b.new_leaf(shape, dt)
    kw = f"reduction={red!r}"
    if fn in ("mse_loss", "l1_loss", "soft_margin_loss", "kl_div", "poisson_nll_loss"):
        y = b.new_leaf(shape, dt)
        if fn == "kl_div":
            kw += f", log_target={b.maybe()}"
        return b.expr(f"F.{fn}({x}, {y}, {kw})", f"F.{fn}")
    if fn in ("smooth_l1_loss", "huber_loss"):
        arg = "beta" if fn == "smooth_l1_loss" else "delta"
        kw += f", {arg}={b.choice([1.0, 0.5, 2.0])}"
        return b.expr(f"F.{fn}({x}, {b.new_leaf(shape, dt)}, {kw})", f"F.{fn}")
    if fn == "bce":
        p = b.expr(f"T.sigmoid({x})", "T.sigmoid")
        y = b.expr(f"T.sigmoid({b.new_leaf(shape, dt, grad=False)})", "T.sigmoid")
        w = f", weight={b.new_leaf((c,), dt, grad=False)}" if b.maybe(0.3) else ""
        return b.expr(f"F.binary_cross_entropy({p}, {y}{w}, {kw})", "F.binary_cross_entropy")
    if fn == "bce_with_logits":
        y = b.new_leaf(shape, dt, grad=False)
        if b.maybe(0.4):
            kw += f", pos_weight={b.new_leaf((c,), dt, positive=True)}"
        return b.expr(f"F.binary_cross_entropy_with_logits({x}, {y}, {kw})", "F.bce_logits")
    if fn in ("cross_entropy", "nll_loss"):
        target = b.new_leaf((n,), "int64", positive=True, grad=False)
        target = b.expr(f"{target} % {c}", "%")
        if b.maybe(0.3):
            kw += f", weight={b.new_leaf((c,), dt, positive=True, grad=False)}"
        if b.maybe(0.3):
            kw += f", ignore_index={b.integer(0, c - 1)}"
        if fn == "cross_entropy" and b.maybe(0.3):
            kw += f", label_smoothing={b.choice([0.1, 0.5])}"
        if fn == "cross_entropy" and b.maybe(0.2):
            target = b.expr(f"T.softmax({b.new_leaf(shape, dt, grad=False)}, 1)", "T.softmax")
        return b.expr(f"F.{fn}({x}, {target}, {kw})", f"F.{fn}")
    if fn == "margin_ranking_loss":
        y = b.new_leaf((n,), dt)
        z = b.expr(f"T.sign({b.new_leaf((n,), dt, grad=False)})", "T.sign")
        return b.expr(f"F.margin_ranking_loss({y}, {b.new_leaf((n,), dt)}, {z}, margin=0.5, "
                      f"{kw})", "F.margin_ranking_loss")  # fmt: skip
    if fn == "hinge_embedding_loss":
        z = b.expr(f"T.where({b.new_leaf(shape, 'bool')}, 1.0, -1.0).to({x}.dtype)", "T.where")
        return b.expr(f"F.hinge_embedding_loss({x}, {z}, {kw})", "F.hinge_embedding_loss")
    if fn == "multilabel_soft_margin_loss":
        y = b.new_leaf(shape, "bool")
        return b.expr(f"F.multilabel_soft_margin_loss({x}, {y}.to({x}.dtype), {kw})",
                      "F.multilabel_soft_margin_loss")  # fmt: skip
    if fn == "gaussian_nll_loss":
        var = b.new_leaf(shape, dt, positive=True)
        return b.expr(f"F.gaussian_nll_loss({x}, {b.new_leaf(shape, dt)}, {var}, {kw})",
                      "F.gaussian_nll_loss")  # fmt: skip
    if fn in ("cosine_similarity", "pairwise_distance"):
        return b.expr(f"F.{fn}({x}, {b.new_leaf(shape, dt)})", f"F.{fn}")
    if fn == "layer_norm":
        w = b.new_leaf((c,), dt) if b.maybe() else None
        return b.expr(f"F.layer_norm({x}, ({c},), {w})", "F.layer_norm")
    if fn == "group_norm":
        return b.expr(f"F.group_norm({x}, 1, eps=1e-3)", "F.group_norm")
    if fn == "batch_norm":
        mean, var = (
            b.new_leaf((c,), dt, grad=False),
            b.new_leaf((c,), dt, positive=True, grad=False),
        )
        return b.expr(f"F.batch_norm({x}, {mean}, {var}, training=False)", "F.batch_norm(eval)")
    if fn == "instance_norm":
        x3 = b.new_leaf((n, c, b.integer(2, 4)), dt)
        return b.expr(f"F.instance_norm({x3})", "F.instance_norm")
    w = b.new_leaf((b.integer(1, 3), c), dt)
    return b.expr(f"F.linear({x}, {w}, {b.new_leaf((b.shape_of(w)[0],), dt)})", "F.linear")


NN_FAMILIES = {
    "matmul": fam_matmul,
    "activation": fam_activation,
    "pad_sample": fam_pad_sample,
    "conv_pool": fam_conv_pool,
    "loss": fam_loss,
}

"""Draw random small models and training loops as Python source (Hypothesis strategies).

A case is one Python program, ``def program(lib, rec)``, written once and run twice: with
``lib = torch`` and with ``lib = gradiente`` (the APIs are the same). It builds a model from a
stack of layers, trains it for a few steps and hands every value worth comparing to ``rec``
(see ``run.py``). Because the case *is* source text, a mismatch is reported as a program that
reproduces it.

Shapes stay consistent by construction: the generator tracks the shape of the activation
between layers as a ``State`` (``flat`` (N, F), ``seq`` (N, L, E), ``img1d`` (N, C, L),
``img2d`` (N, C, H, W) or ``tokens`` (N, L) integer indices) and only draws layers that accept
it, computing each layer's output shape with the formulas of torch's documentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

MAX_SIDE = 10  # largest spatial side / sequence length kept between layers
MAX_WIDTH = 12  # largest feature count kept between layers

ACTIVATIONS = [
    "nn.ReLU()",
    "nn.GELU()",
    "nn.GELU(approximate='tanh')",
    "nn.SiLU()",
    "nn.ELU(alpha=0.7)",
    "nn.LeakyReLU(0.2)",
    "nn.Tanh()",
    "nn.Sigmoid()",
    "nn.Softplus(beta=2.0, threshold=1.0)",
    "nn.Hardswish()",
    "nn.Mish()",
    "nn.ReLU6()",
    "nn.SELU()",
    "nn.CELU(0.5)",
    "nn.Hardtanh(-0.5, 0.5)",
]


@dataclass(frozen=True)
class State:
    """The activation's shape without the batch dim: ``kind`` and its sizes."""

    kind: str
    dims: tuple

    def size(self):
        n = 1
        for d in self.dims:
            n *= d
        return n


@dataclass
class Case:
    """One drawn program and what the comparison needs to know about it."""

    source: str
    family: str
    dtype: str
    optimizer: str
    layers: list = field(default_factory=list)  # layer names, for the summary

    def with_harness(self):
        return (
            "import numpy as np\n"
            "from tests.fuzz_modules.run import compare_source, helpers\n\n"
            f"{self.source}\n"
            "print(compare_source(SOURCE := open(__file__).read(), dtype="
            f"{self.dtype!r}) or 'no mismatch')\n"
        )


class Drawer:
    """Shortcuts over ``st.data()`` (one ``draw`` per choice, so Hypothesis can shrink)."""

    def __init__(self, data):
        self.data = data

    def int(self, lo, hi):
        return self.data.draw(st.integers(lo, hi))

    def bool(self, p=0.5):
        if p == 0.5:
            return self.data.draw(st.booleans())
        return self.data.draw(st.integers(0, 999)) < p * 1000

    def pick(self, options):
        return self.data.draw(st.sampled_from(list(options)))

    def float(self, options):
        return self.pick(options)


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def conv_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out(size, k, s, p, d, ceil):
    """torch's pooling output size (``pooling_output_shape``), ceil_mode included."""
    num = size + 2 * p - d * (k - 1) - 1
    if ceil:
        out = -(-num // s) + 1
        if (out - 1) * s >= size + p:
            out -= 1
        return out
    return num // s + 1


def _fits(dims):
    return all(1 <= d <= MAX_SIDE for d in dims)


# ---------------------------------------------------------------------------------- layers
# Each layer drawer takes (Drawer, State) and returns (source, new State, name) or None when
# the drawn configuration does not fit the shape.


def activation(d, s):
    if d.bool(0.15):
        n = 1 if s.kind in ("seq",) or d.bool() else s.dims[0]
        return f"nn.PReLU({n}, init=0.2)", s, "PReLU"
    act = d.pick(ACTIVATIONS)
    return act, s, act.split("(")[0][3:]


def dropout(d, s):
    p = d.pick([0.0, 0.0, 0.3])  # p > 0 only matters in training mode (seeded masks)
    return f"nn.Dropout({p})", s, "Dropout"


def linear(d, s):
    fin = s.dims[-1]
    fout = d.int(1, 8)
    bias = d.bool(0.8)
    return f"nn.Linear({fin}, {fout}, bias={bias})", State(s.kind, s.dims[:-1] + (fout,)), "Linear"


def layer_norm(d, s):
    shape = s.dims[-1:] if s.kind != "img2d" or d.bool() else s.dims[-2:]
    if shape[-1] * (shape[0] if len(shape) == 2 else 1) < 2:
        return None  # one element: the output is the bias exactly, its rounding decides signs
    affine = d.bool(0.8)
    bias = d.bool(0.8)
    eps = d.pick(["1e-5", "1e-3"])
    src = f"nn.LayerNorm({list(shape)}, eps={eps}, elementwise_affine={affine}, bias={bias})"
    return src, s, "LayerNorm"


def batch_norm(d, s):
    c = s.dims[0]
    cls = "BatchNorm2d" if s.kind == "img2d" else "BatchNorm1d"
    momentum = d.pick(["0.1", "None", "0.5"])
    affine = d.bool(0.8)
    track = d.bool(0.8)
    eps = d.pick(["1e-5", "1e-2"])
    src = (
        f"nn.{cls}({c}, eps={eps}, momentum={momentum}, affine={affine}, "
        f"track_running_stats={track})"
    )
    return src, s, cls


def group_norm(d, s):
    c = s.dims[0]
    spatial = s.size() // c
    # groups of one element normalise to 0 exactly: only rounding noise, whose sign decides
    # the next PReLU's branch (torch's fused affine form gives ±1e-15 where we give 0)
    options = [g for g in _divisors(c) if c // g * spatial >= 2]
    if not options:
        return None
    groups = d.pick(options)
    affine = d.bool(0.8)
    return f"nn.GroupNorm({groups}, {c}, eps=1e-5, affine={affine})", s, "GroupNorm"


def instance_norm(d, s):
    c = s.dims[0]
    cls = "InstanceNorm2d" if s.kind == "img2d" else "InstanceNorm1d"
    affine = d.bool()
    track = d.bool(0.3)
    momentum = d.pick(["0.1", "None"])
    src = f"nn.{cls}({c}, affine={affine}, track_running_stats={track}, momentum={momentum})"
    return src, s, cls


def conv(d, s):
    two = s.kind == "img2d"
    cin, spatial = s.dims[0], s.dims[1:]
    groups = d.pick(_divisors(cin)) if d.bool(0.3) else 1
    cout = groups * d.int(1, max(1, 6 // groups))
    k = d.int(1, 4)
    dil = d.pick([1, 1, 2])
    stride = 1
    mode = d.pick(["zeros", "zeros", "reflect", "replicate", "circular"])
    pad_kind = d.pick(["int", "same", "valid"])
    if pad_kind == "int":
        stride = d.pick([1, 1, 2])
        pad = d.int(0, k // 2 + 1)
        pad_src = str(pad)
        out = tuple(conv_out(n, k, stride, pad, dil) for n in spatial)
        pads = (pad,)
    elif pad_kind == "same":
        pad_src = "'same'"
        out = spatial
        total = dil * (k - 1)
        pads = (total - total // 2,)
    else:
        pad_src = "'valid'"
        out = tuple(conv_out(n, k, 1, 0, dil) for n in spatial)
        pads = (0,)
    if mode == "reflect" and any(p >= n for p in pads for n in spatial):
        mode = "zeros"
    if mode == "circular" and any(p > n for p in pads for n in spatial):
        mode = "zeros"
    if not _fits(out):
        return None
    bias = d.bool(0.8)
    cls = "Conv2d" if two else "Conv1d"
    src = (
        f"nn.{cls}({cin}, {cout}, {k}, stride={stride}, padding={pad_src}, dilation={dil}, "
        f"groups={groups}, bias={bias}, padding_mode={mode!r})"
    )
    return src, State(s.kind, (cout,) + out), cls


def conv_transpose(d, s):
    cin, spatial = s.dims[0], s.dims[1:]
    groups = d.pick(_divisors(cin)) if d.bool(0.3) else 1
    cout = groups * d.int(1, max(1, 4 // groups))
    k = d.int(1, 3)
    stride = d.pick([1, 2])
    dil = d.pick([1, 1, 2])
    pad = d.int(0, k - 1) if k > 1 else 0
    opad = d.int(0, max(stride, dil) - 1)
    out = tuple((n - 1) * stride - 2 * pad + dil * (k - 1) + opad + 1 for n in spatial)
    if not _fits(out):
        return None
    bias = d.bool(0.8)
    src = (
        f"nn.ConvTranspose2d({cin}, {cout}, {k}, stride={stride}, padding={pad}, "
        f"output_padding={opad}, groups={groups}, bias={bias}, dilation={dil})"
    )
    return src, State("img2d", (cout,) + out), "ConvTranspose2d"


def pool(d, s):
    two = s.kind == "img2d"
    spatial = s.dims[1:]
    k = d.int(1, 3)
    stride = d.pick([None, 1, 2])
    st_ = stride or k
    pad = d.int(0, k // 2)
    ceil = d.bool(0.3)
    dim = "2d" if two else "1d"
    if d.bool():
        dil = d.pick([1, 1, 2])
        if 2 * pad > dil * (k - 1) + 1:
            pad = 0
        out = tuple(pool_out(n, k, st_, pad, dil, ceil) for n in spatial)
        src = (
            f"nn.MaxPool{dim}({k}, stride={stride}, padding={pad}, dilation={dil}, "
            f"ceil_mode={ceil})"
        )
        name = f"MaxPool{dim}"
    else:
        include = d.bool()
        out = tuple(pool_out(n, k, st_, pad, 1, ceil) for n in spatial)
        extra = ""
        if two and d.bool(0.2):
            extra = ", divisor_override=3"
        src = (
            f"nn.AvgPool{dim}({k}, stride={stride}, padding={pad}, ceil_mode={ceil}, "
            f"count_include_pad={include}{extra})"
        )
        name = f"AvgPool{dim}"
    if not _fits(out):
        return None
    return src, State(s.kind, s.dims[:1] + out), name


def adaptive_pool(d, s):
    two = s.kind == "img2d"
    kind = d.pick(["Avg", "Avg", "Max"])
    if two:
        oh, ow = d.int(1, 4), d.int(1, 4)
        if d.bool(0.2):
            size_src, out = f"({oh}, None)", (oh, s.dims[2])
        else:
            size_src, out = f"({oh}, {ow})", (oh, ow)
        return (
            f"nn.Adaptive{kind}Pool2d({size_src})",
            State(s.kind, s.dims[:1] + out),
            (f"Adaptive{kind}Pool2d"),
        )
    o = d.int(1, 4)
    return f"nn.Adaptive{kind}Pool1d({o})", State(s.kind, (s.dims[0], o)), f"Adaptive{kind}Pool1d"


def flatten(d, s):
    return "nn.Flatten()", State("flat", (s.size(),)), "Flatten"


def unflatten(d, s):
    f = s.dims[0]
    options = []
    for c in _divisors(f):
        rest = f // c
        if 1 < rest <= MAX_SIDE:
            options.append(("img1d", (c, rest)))
        for h in _divisors(rest):
            if 1 < h <= MAX_SIDE and 1 < rest // h <= MAX_SIDE:
                options.append(("img2d", (c, h, rest // h)))
    if not options:
        return None
    kind, dims = d.pick(options)
    return f"nn.Unflatten(1, {dims})", State(kind, dims), "Unflatten"


def residual(d, s):
    """x + f(x) with f shape-preserving: a Linear (last dim) or a 'same' convolution."""
    if s.kind in ("img1d", "img2d"):
        c = s.dims[0]
        cls = "Conv2d" if s.kind == "img2d" else "Conv1d"
        k = d.pick([1, 3])
        inner = f"nn.{cls}({c}, {c}, {k}, padding={k // 2}, bias={d.bool()})"
    else:
        f = s.dims[-1]
        inner = f"nn.Linear({f}, {f})"
    act = d.pick(ACTIVATIONS)
    return f"H.Residual(nn.Sequential({inner}, {act}))", s, "Residual"


def recurrent(d, s):
    length, e = s.dims
    cls = d.pick(["LSTM", "GRU", "RNN"])
    hidden = d.int(1, 5)
    layers = d.int(1, 2)
    bi = d.bool()
    batch_first = d.bool()
    bias = d.bool(0.8)
    extra = ""
    out = hidden
    if cls == "RNN" and d.bool():
        extra = ", nonlinearity='relu'"
    if cls == "LSTM" and hidden > 1 and d.bool(0.3):
        proj = d.int(1, hidden - 1)
        extra = f", proj_size={proj}"
        out = proj
    src = (
        f"H.TakeFirst(nn.{cls}({e}, {hidden}, num_layers={layers}, bias={bias}, "
        f"batch_first={batch_first}, bidirectional={bi}{extra}), batch_first={batch_first})"
    )
    return src, State("seq", (length, out * (2 if bi else 1))), cls


def _mask_args(d, length):
    mask = d.pick([None, None, "causal_bool", "causal_float"])
    padding = d.bool(0.3) and length > 1
    return f"mask={mask!r}, key_padding={padding}"


def attention(d, s):
    length, e = s.dims
    heads = d.pick(_divisors(e))
    bias = d.bool(0.8)
    bias_kv = d.bool(0.2)
    zero_attn = d.bool(0.2)
    batch_first = d.bool()
    need = d.bool(0.3)
    src = (
        f"H.SelfAttention(nn.MultiheadAttention({e}, {heads}, bias={bias}, "
        f"add_bias_kv={bias_kv}, add_zero_attn={zero_attn}, batch_first={batch_first}), "
        f"batch_first={batch_first}, need_weights={need}, {_mask_args(d, length)})"
    )
    return src, s, "MultiheadAttention"


def encoder_layer(d, s):
    length, e = s.dims
    heads = d.pick(_divisors(e))
    ff = d.int(2, 8)
    act = d.pick(["'relu'", "'gelu'"])
    norm_first = d.bool()
    bias = d.bool(0.8)
    src = (
        f"H.Encoder(nn.TransformerEncoderLayer({e}, {heads}, dim_feedforward={ff}, dropout=0.0, "
        f"activation={act}, layer_norm_eps=1e-5, batch_first=True, norm_first={norm_first}, "
        f"bias={bias}), {_mask_args(d, length)})"
    )
    return src, s, "TransformerEncoderLayer"


def embedding(d, s, vocab):
    length = s.dims[0]
    e = d.int(2, 6)
    pad = d.pick([None, None, 0])
    if d.bool(0.3):
        mode = d.pick(["sum", "mean", "max"])
        src = f"nn.EmbeddingBag({vocab}, {e}, mode={mode!r}, padding_idx={pad})"
        return src, State("flat", (e,)), "EmbeddingBag"
    max_norm = d.pick([None, None, 1.0])
    freq = d.bool(0.3)
    src = (
        f"nn.Embedding({vocab}, {e}, padding_idx={pad}, max_norm={max_norm}, "
        f"scale_grad_by_freq={freq})"
    )
    return src, State("seq", (length, e)), "Embedding"


def upsample(d, s):
    spatial = s.dims[1:]
    factor = d.pick([2, 1.5])
    out = tuple(int(n * factor) for n in spatial)
    if not _fits(out):
        return None
    two = s.kind == "img2d"
    modes = ["nearest", "nearest-exact"] + (["bilinear", "bicubic"] if two else ["linear"])
    mode = d.pick(modes)
    align = ""
    if mode in ("bilinear", "bicubic", "linear"):
        align = f", align_corners={d.bool()}"
    return (
        f"nn.Upsample(scale_factor={factor}, mode={mode!r}{align})",
        State(s.kind, s.dims[:1] + out),
        ("Upsample"),
    )


def pad(d, s):
    two = s.kind == "img2d"
    dim = "2d" if two else "1d"
    spatial = s.dims[1:]
    p = d.int(1, 2)
    kind = d.pick(["Zero", "Constant", "Reflection", "Replication", "Circular"])
    if kind == "Reflection" and any(p >= n for n in spatial):
        kind = "Replication"
    if kind == "Zero" and not two:
        kind = "Constant"
    out = tuple(n + 2 * p for n in spatial)
    if not _fits(out):
        return None
    value = ", 0.5" if kind == "Constant" else ""
    return f"nn.{kind}Pad{dim}({p}{value})", State(s.kind, s.dims[:1] + out), f"{kind}Pad{dim}"


def pixel_shuffle(d, s):
    c, h, w = s.dims
    if c % 4 == 0 and _fits((2 * h, 2 * w)):
        return "nn.PixelShuffle(2)", State("img2d", (c // 4, 2 * h, 2 * w)), "PixelShuffle"
    if h % 2 == 0 and w % 2 == 0:
        return "nn.PixelUnshuffle(2)", State("img2d", (c * 4, h // 2, w // 2)), "PixelUnshuffle"
    return None


def softmax(d, s):
    cls = d.pick(["Softmax", "LogSoftmax"])
    dims = [i + 1 for i, n in enumerate(s.dims) if n > 1]
    if not dims:
        return None  # over one element: a constant output, normalised later into noise
    dim = d.pick(dims)
    return f"nn.{cls}(dim={dim})", s, cls


def rms_norm(d, s):
    f = s.dims[-1]
    if f < 2:
        return None
    eps = d.pick(["None", "1e-6"])
    return f"nn.RMSNorm([{f}], eps={eps}, elementwise_affine={d.bool(0.8)})", s, "RMSNorm"


def conv_transpose1d(d, s):
    cin, (length,) = s.dims[0], s.dims[1:]
    cout = d.int(1, 4)
    k, stride, pad_ = d.int(1, 3), d.pick([1, 2]), 0
    out = (length - 1) * stride - 2 * pad_ + (k - 1) + 1
    if not _fits((out,)):
        return None
    return (
        f"nn.ConvTranspose1d({cin}, {cout}, {k}, stride={stride})",
        State("img1d", (cout, out)),
        ("ConvTranspose1d"),
    )


def decoder_layer(d, s):
    """A TransformerDecoderLayer attending to its own input as memory."""
    length, e = s.dims
    heads = d.pick(_divisors(e))
    norm_first = d.bool()
    src = (
        f"H.Decoder(nn.TransformerDecoderLayer({e}, {heads}, dim_feedforward={d.int(2, 8)}, "
        f"dropout=0.0, batch_first=True, norm_first={norm_first}), causal={d.bool()})"
    )
    return src, s, "TransformerDecoderLayer"


def bilinear(d, s):
    f = s.dims[0]
    out = d.int(1, 4)
    return (
        f"H.Square(nn.Bilinear({f}, {f}, {out}, bias={d.bool()}))",
        State("flat", (out,)),
        ("Bilinear"),
    )


LAYERS = {
    "flat": [
        (linear, 4),
        (activation, 3),
        (batch_norm, 2),
        (layer_norm, 1),
        (group_norm, 1),
        (dropout, 1),
        (residual, 1),
        (unflatten, 1),
        (softmax, 1),
        (rms_norm, 1),
        (bilinear, 1),
    ],
    "seq": [
        (linear, 2),
        (activation, 2),
        (layer_norm, 1),
        (recurrent, 3),
        (attention, 2),
        (encoder_layer, 2),
        (decoder_layer, 1),
        (rms_norm, 1),
        (residual, 1),
        (dropout, 1),
        (flatten, 1),
    ],
    "img1d": [
        (conv, 4),
        (activation, 2),
        (batch_norm, 2),
        (group_norm, 1),
        (instance_norm, 1),
        (pool, 2),
        (adaptive_pool, 1),
        (residual, 1),
        (upsample, 1),
        (pad, 1),
        (conv_transpose1d, 1),
        (flatten, 1),
    ],
    "img2d": [
        (conv, 4),
        (conv_transpose, 2),
        (activation, 2),
        (batch_norm, 2),
        (group_norm, 1),
        (instance_norm, 1),
        (layer_norm, 1),
        (pool, 2),
        (adaptive_pool, 1),
        (residual, 1),
        (dropout, 1),
        (upsample, 1),
        (pad, 1),
        (pixel_shuffle, 1),
        (softmax, 1),
        (flatten, 1),
    ],
}


def draw_layer(d, s):
    drawers = [f for f, w in LAYERS[s.kind] for _ in range(w)]
    for _ in range(5):
        got = d.pick(drawers)(d, s)
        if got is not None:
            return got
    return activation(d, s)


# ------------------------------------------------------------------------------- training


def _f(x):
    return repr(float(x))


OPTIMIZERS = [
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "ASGD",
    "Rprop",
    "LBFGS",
]


def draw_optimizer(d):
    name = d.pick(OPTIMIZERS)
    lr = d.pick([1e-3, 1e-2, 0.05, 0.1])
    wd = d.pick([0, 0, 1e-2])
    kw = {"lr": lr}
    momentum = False
    if name == "SGD":
        m = d.pick([0, 0.9, 0.5])
        kw.update(momentum=m, weight_decay=wd)
        if m and d.bool():
            kw["nesterov"] = True
        elif m:
            kw["dampening"] = d.pick([0, 0.1])
        kw["maximize"] = d.bool(0.1)
        momentum = bool(m)
    elif name in ("Adam", "AdamW"):
        kw.update(
            betas=d.pick([(0.9, 0.999), (0.8, 0.9)]),
            eps=d.pick([1e-8, 1e-6]),
            weight_decay=wd if name == "Adam" else d.pick([0, 1e-2]),
            amsgrad=d.bool(),
            maximize=d.bool(0.1),
        )
        momentum = True
    elif name == "RMSprop":
        m = d.pick([0, 0.9])
        kw.update(alpha=d.pick([0.99, 0.9]), weight_decay=wd, momentum=m, centered=d.bool())
        momentum = bool(m)
    elif name == "Adagrad":
        kw.update(
            lr_decay=d.pick([0, 0.01]),
            weight_decay=wd,
            initial_accumulator_value=d.pick([0, 0.1]),
        )
    elif name == "Adadelta":
        kw.update(rho=d.pick([0.9, 0.5]), weight_decay=wd)
        kw["lr"] = d.pick([1.0, 0.5])
    elif name == "Adamax":
        kw.update(betas=d.pick([(0.9, 0.999), (0.8, 0.9)]), weight_decay=wd)
        momentum = True
    elif name == "NAdam":
        kw.update(
            weight_decay=wd,
            momentum_decay=d.pick([4e-3, 1e-2]),
            decoupled_weight_decay=d.bool(),
        )
        momentum = True
    elif name == "RAdam":
        kw.update(weight_decay=wd, decoupled_weight_decay=d.bool())
        momentum = True
    elif name == "ASGD":
        kw.update(lambd=d.pick([1e-4, 1e-2]), alpha=0.75, t0=d.pick([1, 1e6]), weight_decay=wd)
    elif name == "Rprop":
        kw.update(etas=d.pick([(0.5, 1.2), (0.3, 1.5)]), step_sizes=(1e-6, 1.0))
    elif name == "LBFGS":
        kw = {
            "lr": d.pick([1.0, 0.5]),
            "max_iter": d.int(1, 4),
            "history_size": d.int(1, 5),
            "line_search_fn": d.pick([None, "strong_wolfe"]),
        }
    if name in ("RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"):
        if d.bool(0.15):
            kw["maximize"] = True
    # torch's foreach ASGD rounds differently from its own single-tensor ASGD (~1e-8 relative
    # in float64); gradiente follows the single-tensor one, so ASGD is drawn without foreach
    if name not in ("LBFGS", "ASGD") and d.bool(0.2):
        kw["foreach"] = True
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    return name, args, momentum


LAMBDAS = ["lambda e: 0.9 ** e", "lambda e: 1.0 / (e + 1)", "lambda e: min(1.0, (e + 1) / 3)"]


def draw_scheduler(d, steps, momentum):
    """Source of a scheduler over ``opt`` (or None) and whether step() takes the loss."""
    kind = d.pick(
        [
            None,
            "StepLR",
            "MultiStepLR",
            "ExponentialLR",
            "CosineAnnealingLR",
            "OneCycleLR",
            "LambdaLR",
            "ReduceLROnPlateau",
            "LinearLR",
            "SequentialLR",
            "ConstantLR",
            "PolynomialLR",
            "CosineAnnealingWarmRestarts",
            "CyclicLR",
            "MultiplicativeLR",
            "ChainedScheduler",
        ]
    )
    S = "lib.optim.lr_scheduler"
    if kind is None:
        return None, False
    if kind == "StepLR":
        return f"{S}.StepLR(opt, step_size={d.int(1, 2)}, gamma={d.pick([0.5, 0.1])})", False
    if kind == "MultiStepLR":
        return f"{S}.MultiStepLR(opt, milestones=[1, 3], gamma={d.pick([0.5, 0.3])})", False
    if kind == "ExponentialLR":
        return f"{S}.ExponentialLR(opt, gamma={d.pick([0.9, 0.5])})", False
    if kind == "CosineAnnealingLR":
        t_max, eta = d.int(1, 4), d.pick([0.0, 1e-4])
        return f"{S}.CosineAnnealingLR(opt, T_max={t_max}, eta_min={eta})", False
    if kind == "OneCycleLR":
        cyc = momentum and d.bool()
        return (
            f"{S}.OneCycleLR(opt, max_lr={d.pick([0.05, 0.1])}, total_steps={steps + 1}, "
            f"pct_start={d.pick([0.3, 0.5])}, anneal_strategy={d.pick(['cos', 'linear'])!r}, "
            f"cycle_momentum={cyc}, three_phase={d.bool()}, div_factor=10.0, "
            f"final_div_factor=100.0)"
        ), False
    if kind == "LambdaLR":
        return f"{S}.LambdaLR(opt, {d.pick(LAMBDAS)})", False
    if kind == "MultiplicativeLR":
        return f"{S}.MultiplicativeLR(opt, lambda e: 0.9)", False
    if kind == "ChainedScheduler":
        return (
            f"{S}.ChainedScheduler([{S}.ConstantLR(opt, factor=0.5, total_iters=2), "
            f"{S}.ExponentialLR(opt, gamma=0.9)])"
        ), False
    if kind == "ReduceLROnPlateau":
        return (
            f"{S}.ReduceLROnPlateau(opt, mode={d.pick(['min', 'max'])!r}, factor=0.5, "
            f"patience={d.int(0, 1)}, threshold={d.pick([1e-4, 0.1])}, "
            f"threshold_mode={d.pick(['rel', 'abs'])!r}, cooldown={d.int(0, 1)}, "
            f"min_lr={d.pick([0, 1e-3])})"
        ), True
    if kind == "LinearLR":
        return (
            f"{S}.LinearLR(opt, start_factor={d.pick([0.25, 0.5])}, "
            f"end_factor={d.pick([1.0, 0.8])}, total_iters={d.int(1, 4)})"
        ), False
    if kind == "SequentialLR":
        return (
            f"{S}.SequentialLR(opt, [{S}.LinearLR(opt, start_factor=0.5, total_iters=2), "
            f"{S}.ExponentialLR(opt, gamma=0.8)], milestones=[{d.int(1, 3)}])"
        ), False
    if kind == "ConstantLR":
        return f"{S}.ConstantLR(opt, factor=0.5, total_iters={d.int(1, 3)})", False
    if kind == "PolynomialLR":
        return f"{S}.PolynomialLR(opt, total_iters={d.int(2, 5)}, power={d.pick([1.0, 2.0])})", (
            False
        )
    if kind == "CosineAnnealingWarmRestarts":
        return f"{S}.CosineAnnealingWarmRestarts(opt, T_0={d.int(1, 3)}, T_mult={d.int(1, 2)})", (
            False
        )
    cyc = momentum and d.bool()
    return (
        f"{S}.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up={d.int(1, 2)}, "
        f"mode={d.pick(['triangular', 'triangular2', 'exp_range'])!r}, gamma=0.9, "
        f"cycle_momentum={cyc})"
    ), False


LOSSES_CLASS = ["cross_entropy", "cross_entropy_probs", "nll"]
LOSSES_ANY = ["mse", "l1", "smooth_l1", "huber", "bce_with_logits"]


def draw_loss(d, classes):
    """Source lines that make ``target`` (and loss arguments) and the loss expression."""
    name = d.pick(LOSSES_CLASS + LOSSES_ANY) if classes else d.pick(LOSSES_ANY)
    red = d.pick(["'mean'", "'mean'", "'sum'"])
    if name in ("cross_entropy", "nll"):
        weight = "lib.tensor(W, dtype=DT)" if d.bool(0.3) else "None"
        ignore = d.pick([-100, -100, 0])
        smoothing = d.pick([0.0, 0.0, 0.1]) if name == "cross_entropy" else 0.0
        lines = ["target = lib.tensor(T_CLASS)"]
        if name == "cross_entropy":
            expr = (
                f"F.cross_entropy(out, target, weight={weight}, ignore_index={ignore}, "
                f"reduction={red}, label_smoothing={smoothing})"
            )
        else:
            expr = (
                f"F.nll_loss(F.log_softmax(out, dim=1), target, weight={weight}, "
                f"ignore_index={ignore}, reduction={red})"
            )
        return name, lines, expr
    if name == "cross_entropy_probs":
        lines = ["target = lib.tensor(T_PROBS, dtype=DT)"]
        smoothing = d.pick([0.0, 0.2])
        return (
            name,
            lines,
            f"F.cross_entropy(out, target, reduction={red}, label_smoothing={smoothing})",
        )
    lines = ["target = lib.tensor(T_REAL, dtype=DT)"]
    if name == "mse":
        return name, lines, f"F.mse_loss(out, target, reduction={red})"
    if name == "l1":
        return name, lines, f"F.l1_loss(out, target, reduction={red})"
    if name == "smooth_l1":
        return name, lines, f"F.smooth_l1_loss(out, target, reduction={red}, beta=0.5)"
    if name == "huber":
        return name, lines, f"F.huber_loss(out, target, reduction={red}, delta=0.5)"
    lines = ["target = lib.tensor(T_UNIT, dtype=DT)"]
    pos = "lib.tensor(T_POS, dtype=DT)" if d.bool(0.3) else "None"
    return (
        name,
        lines,
        f"F.binary_cross_entropy_with_logits(out, target, pos_weight={pos}, reduction={red})",
    )


# ------------------------------------------------------------------------------------ case

FAMILIES = {
    "mlp": ["flat"],
    "conv": ["img1d", "img2d"],
    "seq": ["seq", "tokens"],
    "optim": ["flat"],
}


def draw_case(data, family):
    """Draw one program of the family ("mlp", "conv", "seq", "optim")."""
    d = Drawer(data)
    seed = d.int(0, 2**16)
    batch = d.int(2, 4)
    start = d.pick(FAMILIES[family])
    vocab = 0
    if start == "flat":
        s = State("flat", (d.int(1, 8),))
    elif start == "img1d":
        s = State("img1d", (d.int(1, 4), d.int(3, 8)))
    elif start == "img2d":
        s = State("img2d", (d.int(1, 4), d.int(3, 7), d.int(3, 7)))
    elif start == "seq":
        s = State("seq", (d.int(1, 5), d.pick([2, 4, 6])))
    else:
        vocab = d.int(3, 10)
        s = State("tokens", (d.int(1, 5),))
    input_state = s
    layers, names = [], []
    n_layers = d.int(1, 3) if family == "optim" else d.int(2, 6)
    if s.kind == "tokens":
        src, s, name = embedding(d, s, vocab)
        layers.append(src)
        names.append(name)
    while len(layers) < n_layers:
        src, s, name = draw_layer(d, s)
        layers.append(src)
        names.append(name)
        if s.kind == "flat" and s.dims[0] > MAX_WIDTH:
            layers.append(f"nn.Linear({s.dims[0]}, 6)")
            names.append("Linear")
            s = State("flat", (6,))
    classes = d.bool(0.6) or family == "optim" and d.bool()
    if classes:
        if s.kind != "flat":
            layers.append("nn.Flatten()")
            s = State("flat", (s.size(),))
        k = d.int(2, 5)
        layers.append(f"nn.Linear({s.dims[0]}, {k})")
        out_shape = (batch, k)
    else:
        out_shape = (batch,) + s.dims
    dtype = d.pick(["float32", "float64"])
    opt_name, opt_args, momentum = draw_optimizer(d)
    steps = d.int(3, 5) if family == "optim" else d.int(2, 4)
    sched, sched_takes_loss = draw_scheduler(d, steps, momentum)
    loss_name, loss_lines, loss_expr = draw_loss(d, classes)
    groups = d.bool(0.4)
    clip = d.pick([None, None, "norm", "value"])
    modes = [d.bool(0.8) for _ in range(steps)]
    set_to_none = [d.bool() for _ in range(steps)]
    accumulate = family == "optim" and d.bool(0.2)
    reload = d.bool(0.3)
    if accumulate:
        # torch's foreach SGD (nesterov) leaves grad + momentum·buf in p.grad, which its
        # single-tensor SGD (and gradiente) does not: visible only when gradients accumulate
        opt_args = opt_args.replace(", foreach=True", "")

    x_shape = (batch,) + input_state.dims
    if input_state.kind == "tokens":
        data_line = f"X = rng.integers(0, {vocab}, size={x_shape})"
        x_line = "x = lib.tensor(X)"
    else:
        data_line = f"X = rng.standard_normal({x_shape})"
        x_line = "x = lib.tensor(X, dtype=DT)"
    k = out_shape[1] if classes else 2
    lines = [
        f"# family {family}; layers: {', '.join(names)}",
        "def program(lib, rec):",
        "    nn, F = lib.nn, lib.nn.functional",
        "    H = helpers(lib)",
        f"    DT = lib.{dtype}",
        f"    rng = np.random.default_rng({seed})",
        f"    {data_line}",
        f"    T_CLASS = rng.integers(0, {k}, size={(batch,)})",
        "    T_CLASS[0] = 1  # never all ignored (ignore_index=0)",
        f"    T_PROBS = rng.dirichlet(np.ones({k}), size={batch})",
        f"    T_REAL = rng.standard_normal({out_shape})",
        f"    T_UNIT = rng.uniform(size={out_shape})",
        f"    T_POS = rng.uniform(0.5, 2.0, size={out_shape[-1:]})",
        f"    W = rng.uniform(0.5, 2.0, size={(k,)})",
        f"    lib.manual_seed({seed})",
        "    model = nn.Sequential(",
        *[f"        {layer}," for layer in layers],
        "    )",
        "    rec('repr', str(model))",
        "    rec('init', model.state_dict())",
        "    rec.sync(model)  # gradiente continues from torch's initial values",
        "    model = model.to(DT)",
        f"    {x_line}",
        *[f"    {line}" for line in loss_lines],
    ]
    if groups:
        lines += [
            "    decay = [p for p in model.parameters() if p.ndim > 1]",
            "    rest = [p for p in model.parameters() if p.ndim <= 1]",
            "    params = [{'params': decay}, {'params': rest, 'weight_decay': 0.0}] if decay and"
            " rest else list(model.parameters())",
        ]
    else:
        lines.append("    params = list(model.parameters())")
    lines += [
        f"    opt = lib.optim.{opt_name}(params, {opt_args})",
        f"    sched = {sched}",
        "    rec('opt_repr', repr(opt))",
        f"    modes = {modes}",
        f"    set_to_none = {set_to_none}",
        f"    for step in range({steps}):",
        "        rec.step = step",
        "        model.train(modes[step])",
    ]
    if accumulate:
        lines.append("        if step % 2 == 0:")
        lines.append("            opt.zero_grad(set_to_none=set_to_none[step])")
    else:
        lines.append("        opt.zero_grad(set_to_none=set_to_none[step])")
    lines += [
        "        rec('zeroed', [p.grad is None for p in model.parameters()])",
        f"        lib.manual_seed({seed} + step)  # dropout masks",
        "        out = model(x)",
        "        rec('out', out)",
        f"        loss = {loss_expr}",
        "        rec('loss', loss)",
        "        loss.backward()",
        "        rec('grad', {n: p.grad for n, p in model.named_parameters()})",
    ]
    if clip == "norm":
        norm_type = d.pick(["2.0", "1.0", "float('inf')"])
        lines.append(
            f"        rec('clip', nn.utils.clip_grad_norm_(model.parameters(), "
            f"{d.pick([0.1, 1.0])}, norm_type={norm_type}))"
        )
    elif clip == "value":
        lines.append(
            f"        nn.utils.clip_grad_value_(model.parameters(), {d.pick([0.01, 0.1])})"
        )
    if opt_name == "LBFGS":
        lines += [
            "        def closure():",
            "            opt.zero_grad()",
            "            out = model(x)",
            f"            loss = {loss_expr}",
            "            loss.backward()",
            "            return loss",
            "        rec('lbfgs_loss', opt.step(closure))",
        ]
    else:
        lines.append("        opt.step()")
    lines += [
        "        rec('params', model.state_dict())",
        "        rec('opt', opt.state_dict())",
    ]
    if sched:
        lines.append(
            "        sched.step(loss.item())" if sched_takes_loss else "        sched.step()"
        )
        lines.append("        rec('lr', sched.get_last_lr())")
        lines.append("        rec('group_lr', [g['lr'] for g in opt.param_groups])")
        lines.append("        rec('sched_state', sched.state_dict())")
    if reload:
        lines.append(
            "        if step == 1:  # gradiente loads torch's optimizer (and scheduler) state_dict"
        )
        lines.append(f"            rec.reload(opt, {'sched' if sched else 'None'})")
    lines += [
        "    model.eval()",
        "    with lib.no_grad():",
        "        rec('eval_out', model(x))",
    ]
    source = "\n".join(lines) + "\n"
    return Case(source, family, dtype, opt_name, names)

"""Volumetric convolutions (conv3d, conv_transpose3d) as GEMMs on im2col columns.

The same algorithm as ``ops/conv.py``, one spatial axis more. The (padded) volume is stored
channels-last, (N, D, H, W, C), and read through a stride-tricks view of its receptive fields,
(N, OD, OH, OW, G, kd, kh, kw, C/G); one copy of that view is the columns matrix, and

    forward       out    = cols @ Wᵀ              (N·OD·OH·OW, C·kd·kh·kw) @ (C·kd·kh·kw, O)
    weight grad   dL/dW  = gradᵀ @ cols           (O, N·OD·OH·OW) @ (N·OD·OH·OW, C·kd·kh·kw)
    input grad    dL/dx  = col2im(grad @ W)       every column added back into its window

one BLAS product per group each. col2im loops over the kd·kh·kw kernel taps only: tap (i, j, l)
of window (od, oh, ow) sits at (od·sd + i·dd, oh·sh + j·dh, ow·sw + l·dw) of the padded volume,
so each tap is one strided slice of it, and all windows' contributions to it are added at once.

The input gradient of a convolution is the transposed convolution of the gradient, and its
weight gradient is bilinear in (input, gradient); the three Functions below call each other in
their backward passes, so gradients of gradients (``create_graph=True``) work. The geometry is
always seen from the convolution's side: ``image`` is the big volume (conv input, or
conv_transpose output), ``out`` the small one.

Written for any number of spatial axes (the loops run over ``len(kernel)``); exposed for 3.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from gradiente import parallel
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import as_strided, ascontiguous, get_array_module, xp
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.conv import _needs_grad, _recorded_grads, conv2d
from gradiente.ops.conv_checks import check_convolution
from gradiente.ops.shape import ConstantPad
from gradiente.ops.window import conv_out_size, conv_transpose_out_size, int_tuple, same_padding


# ------------------------------------------------------------------------------ geometry
@dataclass(slots=True, eq=False)
class VolumeGeometry:
    """One convolution's shapes: per spatial axis a kernel, stride, dilation and padding
    (before, after) on the image; ``image`` (D, H, W) and ``out`` (OD, OH, OW) sizes."""

    kernel: tuple  # (kd, kh, kw)
    stride: tuple  # (sd, sh, sw)
    padding: tuple  # ((before, after), ...) per axis
    dilation: tuple  # (dd, dh, dw)
    groups: int
    image: tuple  # (D, H, W)
    out: tuple  # (OD, OH, OW)

    def padded(self) -> tuple:
        """The padded image's spatial size."""
        return tuple(n + lo + hi for n, (lo, hi) in zip(self.image, self.padding, strict=True))


# ------------------------------------------------------------------------------ layout
def _channels_last(a):
    """(N, C, D, H, W) -> (N, D, H, W, C) view."""
    return a.transpose(0, *range(2, a.ndim), 1)


def _channels_first(a):
    """(N, D, H, W, C) -> (N, C, D, H, W) view."""
    return a.transpose(0, a.ndim - 1, *range(1, a.ndim - 1))


def _pad(a, geom: VolumeGeometry):
    """Zero-pad the spatial axes of a channels-last array (no copy without padding)."""
    if not any(lo or hi for lo, hi in geom.padding):
        return a
    return get_array_module(a).pad(a, ((0, 0), *geom.padding, (0, 0)))


def _crop(a, geom: VolumeGeometry):
    """Undo ``_pad``: the image part of a padded channels-last array (a view)."""
    index = tuple(slice(lo, lo + n) for n, (lo, _) in zip(geom.image, geom.padding, strict=True))
    return a[(slice(None), *index)]


def _tap_slices(tap, geom: VolumeGeometry):
    """The strided slice of the padded image that kernel tap ``tap`` reads for all windows."""
    return tuple(
        slice(t * d, t * d + s * (o - 1) + 1, s)
        for t, d, s, o in zip(tap, geom.dilation, geom.stride, geom.out, strict=True)
    )


# ------------------------------------------------------------------------------ kernels
def _im2col(ap, geom: VolumeGeometry):
    """Columns of a padded channels-last image: (M, G, K) with M = N·OD·OH·OW and
    K = kd·kh·kw·C/G, ordered (kd, kh, kw, C/G) — one copy through a strided view."""
    N, C = ap.shape[0], ap.shape[-1]
    G = geom.groups
    Cg = C // G
    spatial_strides = ap.strides[1:-1]
    sC = ap.strides[-1]
    windows = as_strided(
        ap,
        (N, *geom.out, G, *geom.kernel, Cg),
        (
            ap.strides[0],
            *(st * s for st, s in zip(spatial_strides, geom.stride, strict=True)),
            sC * Cg,
            *(st * d for st, d in zip(spatial_strides, geom.dilation, strict=True)),
            sC,
        ),
        writeable=False,
    )
    M = N * math.prod(geom.out)
    return ascontiguous(windows).reshape(M, G, math.prod(geom.kernel) * Cg)


def _weight_matrix(w, groups: int):
    """(O, C/G, kd, kh, kw) weight -> (G, K, O/G), rows in the columns' (kd, kh, kw, C/G) order."""
    O, Cg = w.shape[:2]
    n = w.ndim - 2
    w = w.reshape(groups, O // groups, Cg, *w.shape[2:])
    return w.transpose(0, *range(3, 3 + n), 2, 1).reshape(groups, -1, O // groups)


def _conv(ap, w, geom: VolumeGeometry, cols=None):
    """Convolution of a padded channels-last image: (out (N, OD, OH, OW, O), cols)."""
    if cols is None:
        cols = _im2col(ap, geom)
    G = geom.groups
    # (G, M, K) @ (G, K, O/G) -> (G, M, O/G) -> (M, G·O/G)
    out = (cols.transpose(1, 0, 2) @ _weight_matrix(w, G)).transpose(1, 0, 2)
    M = cols.shape[0]
    return out.reshape(M // math.prod(geom.out), *geom.out, w.shape[0]), cols


def _conv_input(gh, w, geom: VolumeGeometry):
    """The transposed convolution: a channels-last (N, OD, OH, OW, O) array -> (N, D, H, W, C).

    dcols = g @ W per group, then col2im: dx[window (o) + tap (t)] += dcols[o, t].
    """
    N, O = gh.shape[0], gh.shape[-1]
    G = geom.groups
    Cg = w.shape[1]
    M = N * math.prod(geom.out)
    g = ascontiguous(gh).reshape(M, G, O // G).transpose(1, 0, 2)  # (G, M, O/G)
    wmat = _weight_matrix(w, G).transpose(0, 2, 1)  # (G, O/G, K)
    taps = math.prod(geom.kernel)
    dcols = (g @ wmat).reshape(G, M, taps, Cg)  # (G, M, taps, C/G)
    zeros = xp.zeros if type(gh) is xp.ndarray else get_array_module(gh).zeros
    image = zeros((N, *geom.padded(), G * Cg), dtype=gh.dtype)
    for t, tap in enumerate(itertools.product(*(range(k) for k in geom.kernel))):
        # this tap's contribution of every window: (G, M, C/G) -> (N, OD, OH, OW, C)
        block = dcols[:, :, t].transpose(1, 0, 2).reshape(N, *geom.out, G * Cg)
        image[(slice(None), *_tap_slices(tap, geom))] += block
    return _crop(image, geom)


def _conv_weight(cols, gh, geom: VolumeGeometry, w_shape):
    """dL/dW = gradᵀ @ cols per group: (G, O/G, M) @ (G, M, K) -> (O, C/G, kd, kh, kw)."""
    O, Cg = w_shape[:2]
    G = geom.groups
    M = cols.shape[0]
    g = ascontiguous(gh).reshape(M, G, O // G)
    dw = g.transpose(1, 2, 0) @ cols.transpose(1, 0, 2)  # (G, O/G, K)
    n = len(geom.kernel)
    dw = dw.reshape(G, O // G, *geom.kernel, Cg)
    return dw.transpose(0, 1, n + 2, *range(2, n + 2)).reshape(w_shape)


def _bias_grad(gh):
    """Σ over N and the spatial axes of a channels-last gradient."""
    return gh.reshape(-1, gh.shape[-1]).sum(axis=0)


# ------------------------------------------------------------------------------ functions
class ConvVolume(ArrayFunction):
    """y = conv(x, W) + b; backward: dx = conv_transpose(g, W), dW = conv_weight(x, g)."""

    backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        out, cols = _conv(_pad(_channels_last(x._data), geom), w._data, geom)
        if b is not None:
            out += b._data
        ctx.geom = geom
        ctx.save_for_backward(x, w, cols if _needs_grad(w) else None)
        return _channels_first(out)

    @staticmethod
    def backward(ctx, grad):
        x, w, cols = ctx.saved_tensors
        if grad_state.enabled:  # create_graph: every product is a Function again
            return _recorded_grads(ctx, grad, w, ConvTransposeVolume, ConvVolumeWeight, x, grad)
        geom = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gh = _channels_last(grad._data)
        gx = _channels_first(_conv_input(gh, w._data, geom)) if need_x else None
        gw = None
        if need_w:
            if cols is None:
                cols = _im2col(_pad(_channels_last(x._data), geom), geom)
            gw = _conv_weight(cols, gh, geom, w._data.shape)
        gb = _bias_grad(gh) if need_b else None
        return gx, gw, gb, None


class ConvTransposeVolume(ArrayFunction):
    """y = conv_transpose(x, W) + b; backward: dx = conv(g, W), dW = conv_weight(g, x)."""

    backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        out = _conv_input(_channels_last(x._data), w._data, geom)
        if b is not None:
            out += b._data
        ctx.geom = geom
        ctx.save_for_backward(x, w)
        return _channels_first(out)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        if grad_state.enabled:
            return _recorded_grads(ctx, grad, w, ConvVolume, ConvVolumeWeight, grad, x)
        geom = ctx.geom
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gh = _channels_last(grad._data)
        gx = gw = None
        if need_x or need_w:
            cols = _im2col(_pad(gh, geom), geom)  # the gradient's columns serve both
            if need_x:
                gx = _channels_first(_conv(None, w._data, geom, cols)[0])
            if need_w:
                gw = _conv_weight(cols, _channels_last(x._data), geom, w._data.shape)
        gb = _bias_grad(gh) if need_b else None
        return gx, gw, gb, None


class ConvVolumeWeight(ArrayFunction):
    """dW = conv_weight(x, g) as a function of both, for gradients of gradients."""

    backward_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, geom, w_shape):
        cols = _im2col(_pad(_channels_last(x._data), geom), geom)
        ctx.geom = geom
        ctx.save_for_backward(x, g)
        return _conv_weight(cols, _channels_last(g._data), geom, tuple(w_shape))

    @staticmethod
    def backward(ctx, grad):
        # dW = Σ g ⊗ x is bilinear: d/dx = conv_transpose(g, ·), d/dg = conv(x, ·)
        x, g = ctx.saved_tensors
        need_x, need_g = ctx.needs_input_grad[:2]
        gx = ConvTransposeVolume.apply(g, grad, None, ctx.geom) if need_x else None
        gg = ConvVolume.apply(x, grad, None, ctx.geom) if need_g else None
        return gx, gg, None, None


# ------------------------------------------------------------------------------ geometry
def _check_float(op: str, x) -> None:
    """Integer inputs (which torch convolves with its reference kernels) are not computed here;
    every other bad call was refused in torch's words by ``conv_checks``."""
    if x._data.dtype.kind != "f" and str(x._data.dtype) != "bfloat16":  # (ops/bfloat16.py)
        raise RuntimeError(f'{op}: "{op}" is not implemented for input of dtype {x.dtype}')


def _conv_geometry(op, x, w, stride, padding, dilation, groups, n) -> VolumeGeometry:
    """conv3d's geometry (arguments already checked by ``conv_checks``)."""
    _check_float(op, x)
    kernel = tuple(w._data.shape[2:])
    image = tuple(x._data.shape[2:])
    s = int_tuple(stride, n, "stride", op)
    d = int_tuple(dilation, n, "dilation", op)
    if padding == "valid":
        pads = ((0, 0),) * n
    elif padding == "same":
        pads = tuple(same_padding(k, di) for k, di in zip(kernel, d, strict=True))
    else:
        pads = tuple((v, v) for v in int_tuple(padding, n, "padding", op))
    out = tuple(
        conv_out_size(i, k, st, lo + hi, di)
        for i, k, st, (lo, hi), di in zip(image, kernel, s, pads, d, strict=True)
    )
    return VolumeGeometry(kernel, s, pads, d, groups, image, out)


def _transpose_geometry(op, x, w, stride, padding, output_padding, groups, dilation, n):
    """The geometry of conv_transpose3d (arguments already checked by ``conv_checks``): that of
    the convolution it is the adjoint of (its output is that convolution's image)."""
    _check_float(op, x)
    kernel = tuple(w._data.shape[2:])
    s = int_tuple(stride, n, "stride", op)
    p = int_tuple(padding, n, "padding", op)
    op_ = int_tuple(output_padding, n, "output_padding", op)
    d = int_tuple(dilation, n, "dilation", op)
    image_in = tuple(x._data.shape[2:])
    # each side: (I − 1)·s − 2p + d·(k − 1) + output_padding + 1
    image = tuple(
        conv_transpose_out_size(i, k, st, pi, di, oi)
        for i, k, st, pi, di, oi in zip(image_in, kernel, s, p, d, op_, strict=True)
    )
    return VolumeGeometry(kernel, s, tuple((v, v) for v in p), d, groups, image, image_in)


# ------------------------------------------------------------------------------ public API
def _batched(input, n: int):
    """(input as batched, whether a batch axis was added)."""
    if input._data.ndim == n + 1:
        return input.unsqueeze(0), True
    return input, False


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) (or unbatched (C, D, H, W)) input, as
    torch.nn.functional.conv3d.

    Weight (O, C/groups, kd, kh, kw); ``padding`` an int, a triple, 'valid' or 'same';
    OD = ⌊(D + 2·p − d·(kd − 1) − 1) / s⌋ + 1, and likewise for H and W.
    """
    check_convolution("conv3d", input, weight, bias, stride, padding, dilation, groups, 3)
    x, unbatched = _batched(input, 3)
    geom = _conv_geometry("conv3d", x, weight, stride, padding, dilation, groups, 3)
    if type(x._data) is not xp.ndarray:  # on CUDA: kd device conv2d's, below
        out = _conv3d_by_depth_taps(x, weight, bias, geom)
    else:
        parallel.note_convolution()  # ("auto" threading: gradiente's threads from now on)
        out = ConvVolume.apply(x, weight, bias, geom)
    return out.squeeze(0) if unbatched else out


def _conv3d_by_depth_taps(x, w, b, geom: VolumeGeometry):
    """conv3d of a CUDA input as a sum of kd conv2d's, one per depth tap i (device kernels,
    ``ops/device_conv.py``); written with Tensor ops, so autograd gives the gradients:

        y[:, :, od] = Σ_i conv2d(x_pad[:, :, od·sd + i·dd], W[:, :, i])   (+ b)

    The output depths od are batched: tap i's input slices (N, C, OD, Hp, Wp) become a batch
    of N·OD images.
    """
    N, C = x.shape[:2]
    O = w.shape[0]
    (sd, sh, sw), (dd, dh, dw), OD = geom.stride, geom.dilation, geom.out[0]
    if any(lo or hi for lo, hi in geom.padding):
        x = ConstantPad.apply(x, ((0, 0), (0, 0)) + tuple(geom.padding), 0)
    y = None
    for i in range(geom.kernel[0]):
        depth = x[:, :, i * dd : i * dd + sd * (OD - 1) + 1 : sd]  # (N, C, OD, Hp, Wp)
        images = depth.permute(0, 2, 1, 3, 4).reshape(N * OD, C, *depth.shape[3:])
        tap = conv2d(images, w[:, :, i], None, (sh, sw), 0, (dh, dw), geom.groups)
        y = tap if y is None else y + tap
    y = y.reshape(N, OD, O, *y.shape[2:]).permute(0, 2, 1, 3, 4)
    return y if b is None else y + b.reshape(1, O, 1, 1, 1)


def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """3-D transposed convolution, the adjoint of conv3d, as torch.nn.functional.

    Weight (C_in, C_out/groups, kd, kh, kw); output depth
    (D − 1)·stride − 2·padding + dilation·(kd − 1) + output_padding + 1 (H, W alike).
    """
    op = "conv_transpose3d"
    check_convolution(
        op, input, weight, bias, stride, padding, dilation, groups, 3, True, output_padding
    )
    x, unbatched = _batched(input, 3)
    geom = _transpose_geometry(op, x, weight, stride, padding, output_padding, groups, dilation, 3)
    if type(x._data) is xp.ndarray:
        parallel.note_convolution()
    out = ConvTransposeVolume.apply(x, weight, bias, geom)
    return out.squeeze(0) if unbatched else out


__all__ = ["conv3d", "conv_transpose3d"]

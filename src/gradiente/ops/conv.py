"""Convolutions (conv1d, conv2d, conv_transpose2d) as GEMMs on im2col columns.

A convolution is a matrix product in disguise. Copy every receptive field of the (padded)
image into one row of a "columns" matrix (im2col, here one NumPy copy through a stride-tricks
view); then

    forward       out    = cols @ Wᵀ              (N·OH·OW, C·kh·kw) @ (C·kh·kw, O)
    weight grad   dL/dW  = gradᵀ @ cols           (O, N·OH·OW) @ (N·OH·OW, C·kh·kw)
    input grad    dL/dx  = col2im(grad @ W)       or, for stride 1 and O ≤ C, a convolution
                                                  of the padded gradient with the flipped
                                                  kernel

— one large BLAS sgemm each, no Python loop over the batch, the channels or the pixels.

Layout. The columns are built channels-last, (N, OH, OW, kh, kw, C), because the copy is then
a run of kw·C contiguous numbers per kernel row. The GEMM's result is therefore (N, OH, OW, O)
in memory, and we return it as an (N, O, OH, OW) *view* of that memory without a transpose:
values are PyTorch's, only ``stride()`` differs (as for PyTorch's ``channels_last``). The next
layers (ReLU, pooling, the next convolution) keep that layout, so the network never pays for a
transpose; ``view``/``flatten`` copy when they need to.

Convolution, its input gradient (the transposed convolution) and its weight gradient form a
family closed under differentiation; each is a Function below whose backward calls the other
two, so gradients of gradients (``create_graph=True``) work. Under plain ``backward`` the
kernels run on arrays directly and reuse the columns saved by the forward pass.

The scratch pool, the geometry, the layout helpers, im2col and col2im live in
``ops/im2col.py`` (shared with unfold/fold, ``ops/fold.py``, whose public functions this
module re-exports).
"""

from __future__ import annotations

from gradiente import backend as B
from gradiente import parallel
from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import xp
from gradiente.ops import gemm, shifted_conv, winograd
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.conv_checks import check_convolution
from gradiente.ops.device_conv import DeviceConv2d, DeviceConvTranspose2d
from gradiente.ops.fold import fold, unfold
from gradiente.ops.geometry import follows_channels_last
from gradiente.ops.im2col import (
    _batched,
    _col2im,
    _from_nhwc,
    _Geometry,
    _im2col,
    _pad_image,
    _pad_nhwc,
    _scratch,
    _shape,
    _to_nhwc,
)
from gradiente.ops.window import (
    conv_out_size,
    conv_transpose_out_size,
    int_tuple,
    same_padding,
)


def _check_float(op: str, x) -> None:
    """Integer inputs (which torch convolves with its reference kernels) are not computed here;
    every other bad call was refused in torch's words by ``conv_checks``."""
    if not B.is_float(x._data.dtype):
        raise RuntimeError(f'{op}: "{op}" is not implemented for input of dtype {x.dtype}')


def _conv_geometry(op, x, w, stride, padding, dilation, groups, spatial) -> _Geometry:
    """The geometry of conv1d/conv2d (arguments already checked by ``conv_checks``)."""
    _check_float(op, x)
    kernel = tuple(w._data.shape[2:]) if spatial == 2 else (1, w._data.shape[2])
    image = tuple(x._data.shape[2:]) if spatial == 2 else (1, x._data.shape[2])
    sh, sw = (
        int_tuple(stride, 2, "stride", op) if spatial == 2 else (1, int_tuple(stride, 1, "", op)[0])
    )
    dh, dw = (
        int_tuple(dilation, 2, "dilation", op)
        if spatial == 2
        else (1, int_tuple(dilation, 1, "", op)[0])
    )
    if padding == "valid":
        pads = (0, 0, 0, 0)
    elif padding == "same":
        pads = same_padding(kernel[0], dh) + same_padding(kernel[1], dw)
    elif spatial == 2:
        ph, pw = int_tuple(padding, 2, "padding", op)
        pads = (ph, ph, pw, pw)
    else:
        pw = int_tuple(padding, 1, "padding", op)[0]
        pads = (0, 0, pw, pw)
    out = (
        conv_out_size(image[0], kernel[0], sh, pads[0] + pads[1], dh),
        conv_out_size(image[1], kernel[1], sw, pads[2] + pads[3], dw),
    )
    return _Geometry(kernel, (sh, sw), pads, (dh, dw), groups, image, out, spatial)


# ------------------------------------------------------------------------------ kernels
def _path(geom: _Geometry, w, image) -> str:
    """The algorithm for a convolution of an (unpadded) NHWC image: "shifted" (stride 1:
    GEMMs on shifted rows, ``ops/shifted_conv.py``) where it applies, unless Winograd is
    forced on; "winograd" (3×3 stride 1, ``ops/winograd.py``) where its setting allows; else
    "im2col"."""
    C, O = w.shape[1], w.shape[0]
    if winograd.enabled is not True and shifted_conv.applies(geom, C, O, image):
        return "shifted"
    if winograd.applies(geom, C, O, image.dtype):
        return "winograd"
    return "im2col"


def _weight_matrix(w, groups: int):
    """(O, C/G, kh, kw) weight -> (G, kh·kw·C/G, O/G), matching the columns' order."""
    O, Cg, kh, kw = w.shape
    return (
        w.reshape(groups, O // groups, Cg, kh, kw)
        .transpose(0, 3, 4, 2, 1)
        .reshape(groups, kh * kw * Cg, O // groups)
    )


def _grouped_matmul(cols, wmat, M: int, G: int, Og: int, dtype):
    """(M, G, K) columns times (G, K, Og) weights -> (M, G·Og): one sgemm per group."""
    out = xp.empty((M, G, Og), dtype=dtype)
    if G == 1:
        gemm.matmul(cols[:, 0], wmat[0], out=out[:, 0])
    else:
        xp.matmul(cols.transpose(1, 0, 2), wmat, out=out.transpose(1, 0, 2))
    return out.reshape(M, G * Og)


def _spatial_w(w, spatial: int):
    """A weight array as 4-D (conv1d's (O, C, k) becomes (O, C, 1, k))."""
    return w[:, :, None, :] if spatial == 1 else w


def _conv_nhwc(ap, w, geom: _Geometry, cols=None):
    """Convolution of a padded (N, Hp, Wp, C) image (or of its ready-made columns).

    Returns (out (N, OH, OW, O), cols).
    """
    OH, OW = geom.out
    O = w.shape[0]
    G = geom.groups
    if cols is None:
        cols = _im2col(ap, geom)
    M = cols.shape[0]
    out = _grouped_matmul(cols, _weight_matrix(w, G), M, G, O // G, cols.dtype)
    return out.reshape(M // (OH * OW), OH, OW, O), cols


def _shifted_input_grad(geom: _Geometry, w, gh) -> bool:
    """Whether the input gradient (a stride-1 convolution of the gradient, ``gh``) takes the
    shifted-GEMM path."""
    return _shifted_fits(geom, w, gh) and _finite(w)


def _shifted_fits(geom: _Geometry, w, gh) -> bool:
    """Whether the shifted GEMMs apply to the input gradient's shapes (weights aside)."""
    inner = shifted_conv.input_grad_geometry(geom)
    return geom.stride == (1, 1) and shifted_conv.applies(inner, w.shape[0], w.shape[1], gh)


def _finite(w) -> bool:
    """Whether every weight is finite.

    The input gradient as a convolution of the padded gradient (shifted, Winograd, or columns
    of the padded gradient) also multiplies the padding's zeros by the weights, and 0·∞ is
    NaN: with an infinite or NaN weight, dx would be NaN where PyTorch's is ±∞ or finite. Such
    weights take the paths that multiply the real gradient values only (dcols = g·W, then
    col2im), as PyTorch's does.
    """
    return w.dtype.kind != "f" or bool(xp.isfinite(w).all())


def _conv_input_nhwc(gh, w, geom: _Geometry):
    """The transposed convolution: the (N, OH, OW, O) gradient -> (N, H, W, C) image side.

    Stride 1: the gradient of a convolution with respect to its input is the convolution of
    the gradient, padded by d·(k − 1) − p, with the kernel flipped in space and transposed in
    channels: dL/dx[c, h, w] = Σ_{o,i,j} g[o, h + p − d·i, w + p − d·j] · W[o, c, i, j]
    (on shifted rows, ``shifted_conv.input_grad``, where that path applies; else with
    columns). Otherwise dcols = g @ W, then col2im adds each kernel tap's slice back into the
    image (a loop over the kh·kw taps only). The first builds columns of O channels, the second of C
    channels plus kh·kw additions: measured, the first wins when O ≤ C.
    """
    N = gh.shape[0]
    O, Cg, kh, kw = w.shape
    G = geom.groups
    Og = O // G
    H, W = geom.image
    OH, OW = geom.out
    dh, dw = geom.dilation
    pt, pb, pl, pr = geom.padding
    padded = _finite(w)  # whether a convolution of the padded gradient gives the right dx
    shifted = padded and _shifted_fits(geom, w, gh)
    if (
        not (shifted and winograd.enabled is not True)
        and padded
        and winograd.applies(geom, Cg, O, gh.dtype)
        and winograd.applies_to_input_grad(geom)
    ):
        return winograd.conv3x3_input_grad(gh, w, geom.padding)
    if shifted:
        return shifted_conv.input_grad(gh, w, geom)[0]
    if geom.stride == (1, 1) and Og <= Cg and padded:
        top, left = dh * (kh - 1) - pt, dw * (kw - 1) - pl
        # padded gradient height: H + d·(k − 1) (a stride-1 "valid" conv then gives H rows)
        grid = (H + dh * (kh - 1), W + dw * (kw - 1))
        inner = _Geometry((kh, kw), (1, 1), (0, 0, 0, 0), (dh, dw), G, grid, (H, W), 2)
        gp = _pad_nhwc(gh, (top, 0, left, 0), grid)
        flipped = w.reshape(G, Og, Cg, kh, kw)[:, :, :, ::-1, ::-1].transpose(0, 2, 1, 3, 4)
        flipped = flipped.reshape(G * Cg, Og, kh, kw)
        return _conv_nhwc(gp, flipped, inner)[0]
    if G == 1 and Cg < shifted_conv.MIN_CHANNELS and type(gh) is xp.ndarray:
        return _conv_input_batch_last(gh, w, geom)
    # dcols[tap] = g @ W[:, :, tap] per group: (M, Og) @ (Og, Cg), stored tap-major so that
    # col2im adds contiguous (N, OH, OW, C) blocks
    M = N * OH * OW
    g2 = xp.ascontiguousarray(gh).reshape(M, G, Og)
    wtaps = w.reshape(G, Og, Cg, kh, kw).transpose(3, 4, 0, 1, 2).reshape(kh * kw, G, Og, Cg)
    dcols = _scratch.empty((kh * kw, M, G, Cg), gh.dtype)
    if G * Cg == 1:  # one image channel: a single (kh·kw, O) @ (O, M) product
        xp.matmul(wtaps[:, 0, :, 0], g2[:, 0].T, out=dcols[:, :, 0, 0])
    else:
        xp.matmul(g2.transpose(1, 0, 2)[None], wtaps, out=dcols.transpose(0, 2, 1, 3))
    return _col2im(dcols.reshape(kh, kw, N, OH, OW, G * Cg), geom)


def _conv_input_batch_last(gh, w, geom: _Geometry):
    """The input gradient for few image channels C (LeNet's 6 → 16), with the batch innermost.

    col2im adds each kernel tap's columns into the image. Channels-last, a tap's slice of the
    image is a run of only OW·C numbers per row, and its columns come from kh·kw products
    (M × O)·(O × C) with C = 6 outputs each, too thin for BLAS. With the batch last instead:
    - one product dcols = W' gᵀ, (C·kh·kw × O)·(O × OH·OW·N), gives every tap's columns as
      (OH, OW, N) blocks, with W'[(c, i, j), o] = W[o, c, i, j] (split by image channels
      over the threads: each thread's channels are its own rows of W' and of the image);
    - the image is (C, H, W, N), so that a tap's slice is runs of OW·N numbers (stride 1).
    Measured for LeNet's second convolution: 0.98 → 0.51 ms. Returned as an (N, H, W, C) view
    of the (C, H, W, N) image.
    """
    N, OH, OW, O = gh.shape
    _, C, kh, kw = w.shape
    H, W = geom.image
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    pt, pb, pl, pr = geom.padding
    g_rows = xp.ascontiguousarray(gh.transpose(1, 2, 0, 3)).reshape(OH * OW * N, O)
    w_rows = xp.ascontiguousarray(w.transpose(1, 2, 3, 0)).reshape(C, kh * kw, O)
    image = xp.zeros((C, H + pt + pb, W + pl + pr, N), dtype=gh.dtype)

    def channels(c0, c1):  # image channels c0..c1: their columns and their sums, disjoint
        dcols = xp.matmul(w_rows[c0:c1].reshape(-1, O), g_rows.T)
        dcols = dcols.reshape(c1 - c0, kh, kw, OH, OW, N)
        for i in range(kh):
            for j in range(kw):
                h0, w0 = i * dh, j * dw
                rows = slice(h0, h0 + sh * (OH - 1) + 1, sh)
                image[c0:c1, rows, w0 : w0 + sw * (OW - 1) + 1 : sw] += dcols[:, i, j]

    parallel.over_count(channels, C, C * kh * kw * OH * OW * N * gh.itemsize)
    return image[:, pt : pt + H, pl : pl + W].transpose(3, 1, 2, 0)


def _conv_weight_nhwc(cols, gh, geom: _Geometry, w_shape):
    """dL/dW = gradᵀ @ cols per group: (G, Og, M) @ (G, M, kh·kw·Cg) -> (O, Cg, kh, kw)."""
    O, Cg, kh, kw = w_shape
    G = geom.groups
    Og = O // G
    M = cols.shape[0]
    g2 = xp.ascontiguousarray(gh).reshape(M, G, Og)
    if G == 1 and cols.shape[2] > Og:
        # the same product as (colsᵀ g)ᵀ: BLAS runs a thin product faster with the larger of
        # the two output sides as its rows (measured: LeNet's 25 × 6 and 150 × 16, 1.5-1.8×)
        dw = gemm.matmul_tn(cols[:, 0], g2[:, 0]).T[None]
    elif G == 1:
        dw = gemm.matmul_tn(g2[:, 0], cols[:, 0])[None]
    else:
        dw = xp.matmul(g2.transpose(1, 2, 0), cols.transpose(1, 0, 2))
    return dw.reshape(G, Og, kh, kw, Cg).transpose(0, 1, 4, 2, 3).reshape(O, Cg, kh, kw)


def _sum_nhwc(gh):
    """Σ over N, H, W of an (N, H, W, C) array: first over N·H rows of W·C numbers (long,
    vectorised inner loops even for few channels), then over W."""
    N, H, W, C = gh.shape
    return xp.ascontiguousarray(gh).reshape(N * H, W * C).sum(axis=0).reshape(W, C).sum(axis=0)


def _channel_rows(a):
    """A channels-last (N, OH, OW, O) array as (N, OH, OW·O) rows (a view), when its (OW, O)
    numbers are contiguous in each row (a GEMM's result, or a view into a grid's); else None."""
    if a.ndim != 4 or type(a) is not xp.ndarray:
        return None
    N, OH, OW, O = a.shape
    item = a.itemsize
    if a.strides[3] != item or a.strides[2] != O * item:
        return None
    return B.as_strided(a, (N, OH, OW * O), (*a.strides[:2], item))


def _add_bias(out, b) -> None:
    """out += b for a channels-last (N, OH, OW, O) result: along rows of OW·O numbers plus the
    bias repeated OW times. ``out += b`` would run NumPy's inner loop over the O channels
    only (measured 8× slower for LeNet's 6 channels)."""
    rows = _channel_rows(out)
    if rows is None:
        out += b
    else:
        rows += xp.tile(b, out.shape[2])


def _dense_result(view, b):
    """The shifted convolution's result, a view into its grid (a scratch buffer), copied out
    as one dense channels-last array with the bias added on the way (one pass, as the bias
    alone would take). Dense, the next layers' element-wise loops run over whole memory
    (the VGG-style step's ReLUs: 2.0 → 1.4 ms)."""
    out = xp.empty(view.shape, dtype=view.dtype)
    rows, out_rows = _channel_rows(view), _channel_rows(out)
    bias_row = None if b is None or rows is None else xp.tile(b, view.shape[2])

    def images(i, j):  # a memory-bound pass: runs of images over the cores
        if b is None:
            xp.copyto(out[i:j], view[i:j])
        elif rows is None:
            xp.add(view[i:j], b, out=out[i:j])
        else:
            xp.add(rows[i:j], bias_row, out=out_rows[i:j])

    parallel.over_count(images, view.shape[0], out.nbytes)
    return out


def _backward_arrays(ctx, grad, w):
    """(geom, spatial, gh, wd) for an array backward: the output gradient as one contiguous
    channels-last array (one layout conversion at most, none when the gradient is already
    channels-last) and the weight as a 4-D array."""
    geom = ctx.geom
    s = geom.spatial
    return geom, s, xp.ascontiguousarray(_to_nhwc(grad._data, s)), _spatial_w(w._data, s)


def _recorded_grads(ctx, grad, w, adjoint, weight_grad, image, out_grad):
    """The gradients of a convolution or a transposed one under ``create_graph``, as recorded
    ops that can be differentiated again. The two are adjoint: dx is the other one (``adjoint``)
    applied to the gradient; dW is conv_weight(image side, output-gradient side), the Function
    ``weight_grad``; db sums the gradient over all but the channels. Shared with
    ``ops/conv3d.py``, whose three Functions have the same signatures."""
    geom = ctx.geom
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    gx = adjoint.apply(grad, w, None, geom) if need_x else None
    gw = weight_grad.apply(image, out_grad, geom, _shape(w)) if need_w else None
    batch_and_space = (0, *range(2, grad.ndim))  # (N, C, *spatial): all but C
    gb = grad.sum(dim=batch_and_space) if need_b else None
    return gx, gw, gb, None


def _needs_grad(t) -> bool:
    return t is not None and grad_state.enabled and t._requires_grad


# ------------------------------------------------------------------------------ functions
class _ConvNd(ArrayFunction):
    """y = conv(x, W) + b; backward: dx = conv_transpose(g, W), dW = conv_weight(x, g)."""

    backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        s = geom.spatial
        xh = _to_nhwc(x._data, s)
        wd = _spatial_w(w._data, s)
        ctx.path = _path(geom, wd, xh)
        if ctx.path == "winograd":  # 3×3 stride 1: 2.25× fewer multiplications
            out, cols = winograd.conv3x3(_pad_image(xh, geom), wd, None if b is None else b._data)
        else:
            bias = None if b is None else b._data
            if ctx.path == "shifted":  # stride 1: GEMMs on shifted rows, no columns
                grid_view, cols = shifted_conv.conv(xh, wd, geom, into_scratch=True)
                out = _dense_result(grid_view, bias)
            else:
                out, cols = _conv_nhwc(_pad_image(xh, geom), wd, geom)
                if bias is not None:
                    _add_bias(out, bias)
        ctx.geom = geom
        # The columns (image rows, Winograd tiles) are what dL/dW needs; kept only then.
        ctx.save_for_backward(x, w, cols if _needs_grad(w) else None)
        return _from_nhwc(out, s)

    @staticmethod
    def backward(ctx, grad):
        x, w, cols = ctx.saved_tensors
        if grad_state.enabled:  # create_graph: differentiable path
            return _recorded_grads(ctx, grad, w, _ConvTransposeNd, _ConvWeight, x, grad)
        geom, s, gh, wd = _backward_arrays(ctx, grad, w)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = grad_grid = None
        if need_x and ctx.path == "shifted" and _shifted_input_grad(geom, wd, gh):
            # the gradient laid out for dx is, with "same" padding, also dW's (grad_grid)
            gx, grad_grid = shifted_conv.input_grad(gh, wd, geom)
            gx = _from_nhwc(gx, s)
        elif need_x:
            gx = _from_nhwc(_conv_input_nhwc(gh, wd, geom), s)
        if need_w and ctx.path == "winograd":
            if cols is None:
                cols = winograd.conv3x3(_pad_image(_to_nhwc(x._data, s), geom), wd)[1]
            gw = winograd.conv3x3_weight_grad(cols, gh, wd.dtype)
        elif need_w and ctx.path == "shifted":
            if cols is None:  # (the image rows were not kept: x did not need them then)
                cols = shifted_conv.to_grid(_to_nhwc(x._data, s), geom)[0]
            gw = shifted_conv.weight_grad(cols, gh, geom, wd.shape, grad_grid)
            gw = gw.reshape(w._data.shape)
        elif need_w:
            if cols is None:
                cols = _im2col(_pad_image(_to_nhwc(x._data, s), geom), geom)
            gw = _conv_weight_nhwc(cols, gh, geom, wd.shape).reshape(w._data.shape)
        return gx, gw, _sum_nhwc(gh) if need_b else None, None


class _ConvTransposeNd(ArrayFunction):
    """y = conv_transpose(x, W) + b (adjoint of conv); dx = conv(g, W), dW = conv_weight(g, x)."""

    backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        s = geom.spatial
        out = _conv_input_nhwc(_to_nhwc(x._data, s), _spatial_w(w._data, s), geom)
        if b is not None:
            out += b._data
        ctx.geom = geom
        ctx.save_for_backward(x, w)
        return _from_nhwc(out, s)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        if grad_state.enabled:
            return _recorded_grads(ctx, grad, w, _ConvNd, _ConvWeight, grad, x)
        geom, s, gh, wd = _backward_arrays(ctx, grad, w)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = None
        if need_x or need_w:
            # the columns of the output gradient serve both products
            cols = _im2col(_pad_image(gh, geom), geom)
            if need_x:
                gx = _from_nhwc(_conv_nhwc(None, wd, geom, cols)[0], s)
            if need_w:
                xh = _to_nhwc(x._data, s)
                gw = _conv_weight_nhwc(cols, xh, geom, wd.shape).reshape(w._data.shape)
        return gx, gw, _sum_nhwc(gh) if need_b else None, None


class _ConvWeight(ArrayFunction):
    """dW = conv_weight(x, g): the weight gradient as a function, for double backward."""

    backward_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, geom, w_shape):
        s = geom.spatial
        cols = _im2col(_pad_image(_to_nhwc(x._data, s), geom), geom)
        w4 = w_shape if s == 2 else (w_shape[0], w_shape[1], 1, w_shape[2])
        ctx.geom = geom
        ctx.save_for_backward(x, g)
        return _conv_weight_nhwc(cols, _to_nhwc(g._data, s), geom, w4).reshape(w_shape)

    @staticmethod
    def backward(ctx, grad):
        # dW = Σ g ⊗ x is bilinear: d/dx = conv_transpose(g, ·), d/dg = conv(x, ·)
        x, g = ctx.saved_tensors
        geom = ctx.geom
        need_x, need_g = ctx.needs_input_grad[:2]
        gx = _ConvTransposeNd.apply(g, grad, None, geom) if need_x else None
        gg = _ConvNd.apply(x, grad, None, geom) if need_g else None
        return gx, gg, None, None


# ------------------------------------------------------------------------------ public API


def _convolution(op, input, weight, bias, stride, padding, dilation, groups, spatial):
    check_convolution(op, input, weight, bias, stride, padding, dilation, groups, spatial)
    x, unbatched = _batched(op, input, spatial)
    geom = _conv_geometry(op, x, weight, stride, padding, dilation, groups, spatial)
    if type(x._data) is not B.ndarray:  # on CUDA: ops/device_conv.py
        if spatial == 1:  # a conv2d of height 1 (the geometry is already 2-D)
            out = DeviceConv2d.apply(x.unsqueeze(2), weight.unsqueeze(2), bias, geom).squeeze(2)
        else:
            out = DeviceConv2d.apply(x, weight, bias, geom)
    else:
        parallel.note_convolution()  # ("auto" threading: gradiente's threads from now on)
        out = _ConvNd.apply(x, weight, bias, geom)
    return out.squeeze(0) if unbatched else out


@follows_channels_last(sources=2)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) (or unbatched (C, H, W)) input, as torch.nn.functional.

    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (output size = input
    size; stride 1 only). Weight (O, C/groups, kh, kw); output (N, O, OH, OW) with
    OH = ⌊(H + 2·p − d·(kh − 1) − 1) / s⌋ + 1.
    """
    return _convolution("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) (or unbatched (C, L)) input, as torch.nn.functional."""
    return _convolution("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


def _conv_transpose_geometry(op, x, w, stride, padding, output_padding, groups, dilation):
    """The geometry of conv_transpose2d (arguments already checked by ``conv_checks``): that
    of the convolution it is the adjoint of, whose image is its output."""
    _check_float(op, x)
    kh, kw = w._data.shape[2:]
    H, W = x._data.shape[2:]
    sh, sw = int_tuple(stride, 2, "stride", op)
    ph, pw = int_tuple(padding, 2, "padding", op)
    oph, opw = int_tuple(output_padding, 2, "output_padding", op)
    dh, dw = int_tuple(dilation, 2, "dilation", op)
    # H_out = (H − 1)·s − 2·p + d·(k − 1) + output_padding + 1
    HO = conv_transpose_out_size(H, kh, sh, ph, dh, oph)
    WO = conv_transpose_out_size(W, kw, sw, pw, dw, opw)
    return _Geometry((kh, kw), (sh, sw), (ph, ph, pw, pw), (dh, dw), groups, (HO, WO), (H, W), 2)


@follows_channels_last(sources=2)
def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """2-D transposed convolution ("deconvolution"), the adjoint of conv2d, as in PyTorch.

    Weight (C_in, C_out/groups, kh, kw); output height
    (H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    check_convolution(
        op, input, weight, bias, stride, padding, dilation, groups, 2, True, output_padding
    )
    x, unbatched = _batched(op, input, 2)
    geom = _conv_transpose_geometry(
        op, x, weight, stride, padding, output_padding, groups, dilation
    )
    if type(x._data) is not B.ndarray:  # on CUDA: ops/device_conv.py
        out = DeviceConvTranspose2d.apply(x, weight, bias, geom)
    else:
        parallel.note_convolution()
        out = _ConvTransposeNd.apply(x, weight, bias, geom)
    return out.squeeze(0) if unbatched else out


__all__ = ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold"]

"""2-D convolution (and its adjoint, the transposed convolution) on a CUDA device: im2col on
the device's own array module, one batched GEMM. conv1d runs here as a conv2d of height 1.

The CPU convolution (``ops/conv.py``) is tuned for NumPy on a few cores: a host scratch pool,
its own threads, Winograd and shifted-row kernels. None of that applies to CuPy arrays, so a
convolution whose input lives on a GPU takes this path instead, written only with calls that
CuPy has too (``pad``, ``lib.stride_tricks.as_strided`` through ``backend.as_strided``,
``matmul``, slicing): the GEMMs run in cuBLAS. Layout (N, C, H, W), G groups, Cg = C/G,
Og = O/G, K = Cg·kh·kw, M = N·OH·OW.

    columns  cols[g, (n, oh, ow), (c, i, j)] = x_pad[n, g·Cg + c, oh·sh + i·dh, ow·sw + j·dw]
    forward  y[g] = cols[g] @ W[g]ᵀ                  (G, M, K) @ (G, K, Og) -> (G, M, Og)
    dL/dW    dW[g] = dY[g]ᵀ @ cols[g]                (G, Og, M) @ (G, M, K) -> (G, Og, K)
    dL/dx    dcols[g] = dY[g] @ W[g], then col2im    each tap adds its (OH, OW) block back

Where NVIDIA's cuDNN frontend is installed (``gradiente[cuda]``), each of the three products
runs as a cuDNN graph instead (``ops/cudnn_conv.py``: no columns at all); the im2col path
above is then the fallback for what cuDNN refuses, and the reference cuDNN's first result of
each graph is checked against. The backward returns arrays, so it is first-order only
(``create_graph`` raises).
"""

from __future__ import annotations

from gradiente import backend as B
from gradiente.ops import cudnn_conv
from gradiente.ops.array_function import ArrayFunction


def _columns(xp_mod, x, geom):
    """(G, M, K) columns of the padded input (one copy of the strided window view)."""
    N, C, _, _ = x.shape
    (kh, kw), (sh, sw), (dh, dw), (OH, OW), G = (
        geom.kernel,
        geom.stride,
        geom.dilation,
        geom.out,
        geom.groups,
    )
    pt, pb, pl, pr = geom.padding
    xpad = xp_mod.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr))) if pt or pb or pl or pr else x
    xpad = xp_mod.ascontiguousarray(xpad)
    sN, sC, sH, sW = xpad.strides
    Cg = C // G
    windows = B.as_strided(  # (G, N, OH, OW, Cg, kh, kw), a view
        xpad,
        (G, N, OH, OW, Cg, kh, kw),
        (sC * Cg, sN, sH * sh, sW * sw, sC, sH * dh, sW * dw),
        writeable=False,
    )
    return xp_mod.ascontiguousarray(windows).reshape(G, N * OH * OW, Cg * kh * kw), xpad.shape


def _forward(m, xd, wd, geom):
    """y = conv(x, W) (no bias): (N, O, OH, OW), with the columns and the padded shape that
    the backward reuses."""
    N = xd.shape[0]
    O = wd.shape[0]
    G = geom.groups
    OH, OW = geom.out
    cols, padded_shape = _columns(m, xd, geom)
    wmat = wd.reshape(G, O // G, -1)  # (G, Og, K)
    y = m.matmul(cols, wmat.transpose(0, 2, 1))  # (G, M, Og)
    y = y.reshape(G, N, OH, OW, O // G).transpose(1, 0, 4, 2, 3).reshape(N, O, OH, OW)
    return y, cols, padded_shape


def _conv(m, xd, wd, geom):
    """y = conv(x, W) (no bias) by cuDNN, with None for the columns; or by im2col, with the
    columns and padded shape that the backward reuses."""
    N, O, (OH, OW) = xd.shape[0], wd.shape[0], geom.out
    y = cudnn_conv.run(
        m, "fprop", xd, wd, (N, O, OH, OW), geom, lambda: _forward(m, xd, wd, geom)[0]
    )
    if y is not None:
        return y, None, None
    return _forward(m, xd, wd, geom)


def _conv_weight_grad(m, xd, g, w_shape, geom, cols=None):
    """dL/dW of y = conv(x, W) for dL/dy = g: by cuDNN, or from im2col columns of x."""

    def by_columns():
        columns = cols if cols is not None else _columns(m, xd, geom)[0]
        return _weight_grad(m, _grad_rows(g, geom.groups), columns, w_shape)

    if cols is None:
        gw = cudnn_conv.run(m, "wgrad", xd, g, w_shape, geom, by_columns)
        if gw is not None:
            return gw
    return by_columns()


def _conv_input_grad(m, g, wd, geom, x_shape):
    """dL/dx of y = conv(x, W) for dL/dy = g, x of ``x_shape``: by cuDNN, or dcols and col2im."""
    pt, pb, pl, pr = geom.padding
    N, C, H, W = x_shape
    padded_shape = (N, C, H + pt + pb, W + pl + pr)

    def by_columns():
        return _input_grad(m, _grad_rows(g, geom.groups), wd, geom, x_shape, padded_shape)

    gx = cudnn_conv.run(m, "dgrad", g, wd, x_shape, geom, by_columns)
    return gx if gx is not None else by_columns()


def _grad_rows(g, G: int):
    """(N, O, OH, OW) output gradient -> (G, M, Og), the rows of the GEMMs."""
    N, O, OH, OW = g.shape
    return g.reshape(N, G, O // G, OH, OW).transpose(1, 0, 3, 4, 2).reshape(G, -1, O // G)


def _weight_grad(m, g3, cols, w_shape):
    """dL/dW = dYᵀ @ cols, (G, Og, M) @ (G, M, K), as (O, Cg, kh, kw)."""
    return m.matmul(g3.transpose(0, 2, 1), cols).reshape(w_shape)


def _input_grad(m, g3, wd, geom, x_shape, padded_shape):
    """dL/dx: dcols = dY @ W, then col2im (each tap adds its (OH, OW) block back)."""
    N, C, H, W = x_shape
    O, Cg, kh, kw = wd.shape
    G = geom.groups
    OH, OW = geom.out
    dcols = m.matmul(g3, wd.reshape(G, O // G, -1))  # (G, M, K)
    # (G, N, OH, OW, Cg, kh, kw) -> (N, C, kh, kw, OH, OW)
    dcols = dcols.reshape(G, N, OH, OW, Cg, kh, kw).transpose(1, 0, 4, 5, 6, 2, 3)
    dcols = dcols.reshape(N, C, kh, kw, OH, OW)
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    dpad = m.zeros(padded_shape, dtype=g3.dtype)
    for i in range(kh):
        for j in range(kw):
            h0, w0 = i * dh, j * dw
            dpad[:, :, h0 : h0 + sh * (OH - 1) + 1 : sh, w0 : w0 + sw * (OW - 1) + 1 : sw] += dcols[
                :, :, i, j
            ]
    pt, _, pl, _ = geom.padding
    return m.ascontiguousarray(dpad[:, :, pt : pt + H, pl : pl + W])


def _first_order_only(ctx, grad, op: str) -> None:
    if ctx.needs_input_grad and grad.requires_grad:
        raise RuntimeError(f"{op} on CUDA: double backward (create_graph=True) is not supported")


class DeviceConv2d(ArrayFunction):
    """y = conv2d(x, W) + b on device arrays (see the module's docstring)."""

    backward_name = "ConvolutionBackward0"
    _released_attrs = ("cols", "x")

    @staticmethod
    def forward(ctx, x, w, b, geom):
        xd, wd = x._data, w._data
        m = B.get_array_module(xd)
        y, cols, _ = _conv(m, xd, wd, geom)
        if b is not None:
            y = y + b._data.reshape(1, -1, 1, 1)
        ctx.geom, ctx.x_shape, ctx.w = geom, xd.shape, wd
        # im2col's columns, or (cuDNN) the input itself, for the weight gradient
        ctx.cols, ctx.x = cols, (xd if cols is None else None)
        ctx.has_bias = b is not None
        ctx.save_for_backward(x, w)  # as torch: an input changed in place refuses backward
        return m.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, grad):
        _first_order_only(ctx, grad, "conv2d")
        _ = ctx.saved_tensors  # raises torch's error if x or W was modified in place since
        g = grad._data
        m = B.get_array_module(g)
        gx = gw = gb = None
        if ctx.needs_input_grad[1]:
            gw = _conv_weight_grad(m, ctx.x, g, ctx.w.shape, ctx.geom, ctx.cols)
        if ctx.needs_input_grad[2] and ctx.has_bias:
            gb = g.sum(axis=(0, 2, 3))
        if ctx.needs_input_grad[0]:
            gx = _conv_input_grad(m, g, ctx.w, ctx.geom, ctx.x_shape)
        return gx, gw, gb, None


class DeviceConvTranspose2d(ArrayFunction):
    """y = conv_transpose2d(x, W) + b on device arrays: the adjoint of conv2d, so its forward
    is conv2d's input gradient (col2im of x @ W) and its backward reuses conv2d's forward
    (dL/dx = conv2d(dL/dy, W)) and weight gradient (dL/dW = xᵀ @ columns of dL/dy).

    ``geom`` is the geometry of the conv2d that this op is the adjoint of: its image is this
    op's output (HO, WO), its output this op's input (H, W); W is (C_in, C_out/G, kh, kw).
    """

    backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        xd, wd = x._data, w._data
        m = B.get_array_module(xd)
        N = xd.shape[0]
        C_out = wd.shape[1] * geom.groups
        HO, WO = geom.image
        y = _conv_input_grad(m, xd, wd, geom, (N, C_out, HO, WO))
        if b is not None:
            y = y + b._data.reshape(1, -1, 1, 1)
        ctx.geom, ctx.x, ctx.w = geom, xd, wd
        ctx.has_bias = b is not None
        ctx.save_for_backward(x, w)  # as torch: an input changed in place refuses backward
        return y

    @staticmethod
    def backward(ctx, grad):
        _first_order_only(ctx, grad, "conv_transpose2d")
        _ = ctx.saved_tensors  # raises torch's error if x or W was modified in place since
        g = grad._data
        m = B.get_array_module(g)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = m.ascontiguousarray(_conv(m, g, ctx.w, ctx.geom)[0])  # conv2d of dL/dy
        if ctx.needs_input_grad[1]:  # the conv2d's weight gradient, image dL/dy, loss x
            gw = _conv_weight_grad(m, g, ctx.x, ctx.w.shape, ctx.geom)
        if ctx.needs_input_grad[2] and ctx.has_bias:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb, None


def on_device(x) -> bool:
    """Whether tensor ``x`` lives on a CUDA device (its array is not a plain NumPy array)."""
    return type(x._data) is not B.ndarray

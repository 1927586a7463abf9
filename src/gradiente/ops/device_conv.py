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

cuDNN (NVIDIA's cudnn-frontend) is not used yet: this is the fallback the issue names.
The backward returns arrays, so it is first-order only (``create_graph`` raises).
"""

from __future__ import annotations

from gradiente import backend as B
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
    _released_attrs = ("cols",)

    @staticmethod
    def forward(ctx, x, w, b, geom):
        xd, wd = x._data, w._data
        m = B.get_array_module(xd)
        y, cols, padded_shape = _forward(m, xd, wd, geom)
        if b is not None:
            y = y + b._data.reshape(1, -1, 1, 1)
        ctx.geom, ctx.padded_shape, ctx.x_shape, ctx.w = geom, padded_shape, xd.shape, wd
        ctx.cols = cols
        ctx.has_bias = b is not None
        return m.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, grad):
        _first_order_only(ctx, grad, "conv2d")
        g = grad._data
        m = B.get_array_module(g)
        g3 = _grad_rows(g, ctx.geom.groups)  # (G, M, Og)
        gx = gw = gb = None
        if ctx.needs_input_grad[1]:
            gw = _weight_grad(m, g3, ctx.cols, ctx.w.shape)
        if ctx.needs_input_grad[2] and ctx.has_bias:
            gb = g.sum(axis=(0, 2, 3))
        if ctx.needs_input_grad[0]:
            gx = _input_grad(m, g3, ctx.w, ctx.geom, ctx.x_shape, ctx.padded_shape)
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
        (HO, WO), (pt, pb, pl, pr) = geom.image, geom.padding
        y_shape = (N, C_out, HO, WO)
        y = _input_grad(
            m,
            _grad_rows(xd, geom.groups),
            wd,
            geom,
            y_shape,
            (N, C_out, HO + pt + pb, WO + pl + pr),
        )
        if b is not None:
            y = y + b._data.reshape(1, -1, 1, 1)
        ctx.geom, ctx.x, ctx.w = geom, xd, wd
        ctx.has_bias = b is not None
        return y

    @staticmethod
    def backward(ctx, grad):
        _first_order_only(ctx, grad, "conv_transpose2d")
        g = grad._data
        m = B.get_array_module(g)
        gx = gw = gb = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            y, cols, _ = _forward(m, g, ctx.w, ctx.geom)  # the conv2d of the output gradient
            if ctx.needs_input_grad[0]:
                gx = m.ascontiguousarray(y)
            if ctx.needs_input_grad[1]:
                gw = _weight_grad(m, _grad_rows(ctx.x, ctx.geom.groups), cols, ctx.w.shape)
        if ctx.needs_input_grad[2] and ctx.has_bias:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb, None


def on_device(x) -> bool:
    """Whether tensor ``x`` lives on a CUDA device (its array is not a plain NumPy array)."""
    return type(x._data) is not B.ndarray

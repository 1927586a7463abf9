"""unfold (im2col) and fold (col2im) as differentiable functions, as torch.nn.functional.

``unfold`` copies every sliding block of an (N, C, H, W) image into one column of an
(N, C·kh·kw, L) array; ``fold`` is its adjoint, summing every column back into its block.
Each is the other's backward, so gradients of gradients work. The windows and the summing
loop are the convolution's own (``ops/im2col.py``).
"""

from __future__ import annotations

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import ascontiguous, get_array_module, xp
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.im2col import _batched, _col2im, _Geometry, _pad_image, _shape, _windows
from gradiente.ops.window import conv_out_size, int_tuple


def _fold_geometry(op, kernel_size, dilation, padding, stride, image) -> _Geometry:
    kh, kw = int_tuple(kernel_size, 2, "kernel_size", op)
    dh, dw = int_tuple(dilation, 2, "dilation", op)
    ph, pw = int_tuple(padding, 2, "padding", op)
    sh, sw = int_tuple(stride, 2, "stride", op)
    if min(kh, kw, dh, dw, sh, sw) < 1 or min(ph, pw) < 0:
        raise RuntimeError(f"{op}: kernel_size, dilation and stride must be positive")
    out = (conv_out_size(image[0], kh, sh, 2 * ph, dh), conv_out_size(image[1], kw, sw, 2 * pw, dw))
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(
            f"{op}: the sliding blocks do not fit: input spatial size {image} with padding "
            f"{(ph, pw)} is smaller than the dilated kernel "
            f"{(dh * (kh - 1) + 1, dw * (kw - 1) + 1)}"
        )
    return _Geometry((kh, kw), (sh, sw), (ph, ph, pw, pw), (dh, dw), 1, image, out, 2)


def _pad(xh, geom: _Geometry):
    """Zero-pad an (N, H, W, C) array: the convolution's host scratch pad on the CPU, the
    array module's ``pad`` for a CUDA array."""
    if type(xh) is xp.ndarray:
        return _pad_image(xh, geom)
    pt, pb, pl, pr = geom.padding
    return get_array_module(xh).pad(xh, ((0, 0), (pt, pb), (pl, pr), (0, 0)))


def _unfold_array(x, geom: _Geometry):
    """(N, C, H, W) -> (N, C·kh·kw, L) blocks, PyTorch's order: channel, then kernel row, col."""
    N, C = x.shape[:2]
    kh, kw = geom.kernel
    OH, OW = geom.out
    ap = _pad(x.transpose(0, 2, 3, 1), geom)
    win = _windows(ap, geom.kernel, geom.stride, geom.dilation, geom.out, 1)
    # (N, OH, OW, 1, kh, kw, C) -> (N, C, kh, kw, OH, OW)
    blocks = ascontiguous(win[:, :, :, 0].transpose(0, 5, 3, 4, 1, 2))
    if not getattr(blocks.flags, "writeable", True):  # already contiguous: still the windows
        blocks = blocks.copy()
    return blocks.reshape(N, C * kh * kw, OH * OW)


def _fold_array(cols, geom: _Geometry):
    """(N, C·kh·kw, L) -> (N, C, H, W): sum every block back into place (col2im)."""
    N = cols.shape[0]
    kh, kw = geom.kernel
    OH, OW = geom.out
    C = cols.shape[1] // (kh * kw)
    # (N, C, kh, kw, OH, OW) viewed as (kh, kw, N, OH, OW, C)
    dcols = cols.reshape(N, C, kh, kw, OH, OW).transpose(2, 3, 0, 4, 5, 1)
    return _col2im(dcols, geom).transpose(0, 3, 1, 2)


class _BlockMap(ArrayFunction):
    """unfold or fold: linear maps, each the adjoint of the other, so that the gradient of one
    is the other applied to the output gradient (and gradients of gradients come for free).

    A subclass names its array ``kernel`` and its ``adjoint`` Function.
    """

    @staticmethod
    def forward(ctx, x, geom):
        ctx.geom = geom
        return type(ctx).kernel(x._data, geom)

    @staticmethod
    def backward(ctx, grad):
        adjoint = type(ctx).adjoint
        if grad_state.enabled:  # create_graph: a differentiable node
            return adjoint.apply(grad, ctx.geom), None
        return adjoint.kernel(grad._data, ctx.geom), None


class _Unfold(_BlockMap):
    backward_name = "Im2ColBackward0"
    kernel = staticmethod(_unfold_array)


class _Fold(_BlockMap):
    backward_name = "Col2ImBackward0"
    kernel = staticmethod(_fold_array)


_Unfold.adjoint, _Fold.adjoint = _Fold, _Unfold


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks (im2col): (N, C, H, W) -> (N, C·kh·kw, L), as torch's F.unfold."""
    op = "unfold"
    nd = input._data.ndim
    if nd in (1, 2):  # torch reads the size of dim `nd` before checking the rank
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {nd})"
        )
    x, unbatched = _batched(op, input, 2)
    geom = _fold_geometry(op, kernel_size, dilation, padding, stride, tuple(x._data.shape[2:]))
    out = _Unfold.apply(x, geom)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks back into an image (col2im): (N, C·kh·kw, L) -> (N, C, H, W)."""
    op = "fold"
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(
            f"{op}: expected 2D or 3D (batched) input, but got input of size {_shape(input)}"
        )
    x = input.unsqueeze(0) if nd == 2 else input
    image = int_tuple(output_size, 2, "output_size", op)
    geom = _fold_geometry(op, kernel_size, dilation, padding, stride, image)
    kh, kw = geom.kernel
    CK, L = x._data.shape[1:]
    if CK % (kh * kw) != 0:
        raise RuntimeError(
            f"{op}: expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size ({kh * kw}), but got input.size(1)={CK}"
        )
    if L != geom.out[0] * geom.out[1]:
        raise RuntimeError(
            f"{op}: given output_size={image}, kernel_size={(kh, kw)}, the expected size of "
            f"input's dimension 2 is {geom.out[0] * geom.out[1]}, but got input.size(2)={L}"
        )
    out = _Fold.apply(x, geom)
    return out.squeeze(0) if nd == 2 else out


__all__ = ["unfold", "fold"]

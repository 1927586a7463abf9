"""unfold (im2col) and fold (col2im) as differentiable functions, as torch.nn.functional.

``unfold`` copies every sliding block of an (N, C, H, W) image into one column of an
(N, C·kh·kw, L) array; ``fold`` is its adjoint, summing every column back into its block.
Each is the other's backward, so gradients of gradients work. The windows and the summing
loop are the convolution's own (``ops/im2col.py``).
"""

from __future__ import annotations

from gradiente.autograd.grad_mode import grad_state
from gradiente.backend import ascontiguous, get_array_module, torch_type_name, xp
from gradiente.ops.arguments import require_tensor
from gradiente.ops.array_function import ArrayFunction
from gradiente.ops.im2col import _col2im, _Geometry, _pad_image, _windows
from gradiente.ops.window import conv_out_size


def _pair(value, name: str) -> tuple:
    """An int, or a sequence of two ints, as a pair (torch's ``int[2]`` argument check)."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
    return value


def _positive(name: str, pair: tuple, axes: str = "height width", strict: bool = True) -> None:
    """torch's check that a kernel, dilation or stride is > 0 (a padding ≥ 0)."""
    if min(pair) < (1 if strict else 0):
        what = {"kernel": "kernel size", "dilation": "dilation", "stride": "stride"}.get(name)
        rule = "should be greater than zero" if strict else "should be non-negative"
        first, second = axes.split()
        raise RuntimeError(
            f"{what or 'padding'} {rule}, but got {name}_{first}: {pair[0]} "
            f"{name}_{second}: {pair[1]}"
        )


def _block_arguments(kernel_size, dilation, padding, stride, order: str) -> tuple:
    """The four pairs, checked in torch's ``order`` ('kdps' for im2col, 'ksdp' for col2im)."""
    pairs = {
        "k": _pair(kernel_size, "kernel_size"),
        "d": _pair(dilation, "dilation"),
        "p": _pair(padding, "padding"),
        "s": _pair(stride, "stride"),
    }
    names = {"k": "kernel", "d": "dilation", "p": "pad", "s": "stride"}
    for key in order:
        _positive(names[key], pairs[key], strict=key != "p")
    return pairs["k"], pairs["d"], pairs["p"], pairs["s"]


def _blocks(image, kernel, dilation, padding, stride) -> tuple:
    """The number of block positions along each axis (torch's rounding: floor division)."""
    return tuple(
        conv_out_size(image[i], kernel[i], stride[i], 2 * padding[i], dilation[i]) for i in (0, 1)
    )


def _unfold_geometry(x, kernel_size, dilation, padding, stride) -> _Geometry:
    """The windows of ``unfold`` over a batched (N, C, H, W) input, with torch's checks."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _block_arguments(
        kernel_size, dilation, padding, stride, "kdps"
    )
    image = tuple(x._data.shape[2:])
    out = _blocks(image, (kh, kw), (dh, dw), (ph, pw), (sh, sw))
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(
            f"Given input with spatial size {image}, kernel_size={(kh, kw)}, dilation="
            f"{(dh, dw)}, padding={(ph, pw)}, calculated shape of the array of sliding blocks "
            f"as {out}, but its components must be at least one."
        )
    return _Geometry((kh, kw), (sh, sw), (ph, ph, pw, pw), (dh, dw), 1, image, out, 2)


def _fold_geometry(x, output_size, kernel_size, dilation, padding, stride) -> _Geometry:
    """The windows of ``fold`` of a batched (N, C·kh·kw, L) input, with torch's checks."""
    image = _pair(output_size, "output_size")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _block_arguments(
        kernel_size, dilation, padding, stride, "ksdp"
    )
    CK, L = x._data.shape[1:]
    if CK % (kh * kw) != 0:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={CK} and kernel_size={(kh, kw)}."
        )
    out = _blocks(image, (kh, kw), (dh, dw), (ph, pw), (sh, sw))
    if L != out[0] * out[1] or min(out) < 1:
        raise RuntimeError(
            f"Given output_size={image}, kernel_size={(kh, kw)}, dilation={(dh, dw)}, padding="
            f"{(ph, pw)}, stride={(sh, sw)}, expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {out[0]} * {out[1]} = {out[0] * out[1]}, but "
            f"got input.size(2)={L}."
        )
    return _Geometry((kh, kw), (sh, sw), (ph, ph, pw, pw), (dh, dw), 1, image, out, 2)


def _check_dtype(kernel: str, x) -> None:
    """torch's im2col/col2im kernels take float and bool tensors, not integer ones."""
    if x._data.dtype.kind in "iu":
        name = torch_type_name(x._data.dtype)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")


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
    require_tensor("im2col", input)
    nd = input._data.ndim
    if nd in (1, 2):  # torch reads the size of dim `nd` before checking the rank
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {nd})"
        )
    shape = input._data.shape
    if nd not in (3, 4) or 0 in shape[1:] or (nd == 3 and shape[0] == 0):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
            f"dimensions for input, but got: {list(shape)}"
        )
    x = input.unsqueeze(0) if nd == 3 else input
    geom = _unfold_geometry(x, kernel_size, dilation, padding, stride)
    _check_dtype("im2col_out_cpu", x)
    out = _Unfold.apply(x, geom)
    return out.squeeze(0) if nd == 3 else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks back into an image (col2im): (N, C·kh·kw, L) -> (N, C, H, W)."""
    require_tensor("col2im", input)
    nd = input._data.ndim
    shape = input._data.shape
    if nd not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(shape)}"
        )
    x = input.unsqueeze(0) if nd == 2 else input
    geom = _fold_geometry(x, output_size, kernel_size, dilation, padding, stride)
    _check_dtype("col2im_out_cpu", x)
    out = _Fold.apply(x, geom)
    return out.squeeze(0) if nd == 2 else out


__all__ = ["unfold", "fold"]

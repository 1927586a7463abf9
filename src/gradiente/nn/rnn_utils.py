"""Variable-length sequences for the recurrent layers (``torch.nn.utils.rnn``).

A batch of sequences of different lengths is either *padded* — one (L, B, *) tensor (or
(B, L, *) with ``batch_first``), each sequence followed by filler up to the longest length L —
or *packed*: a ``PackedSequence`` whose ``data`` holds only the real steps, time-major,

    data = [x_0[0], x_1[0], …, x_{B_0−1}[0],   x_0[1], …, x_{B_1−1}[1],   …]

where ``batch_sizes[t]`` = B_t is how many sequences are still running at step t. Packing needs
the sequences sorted longest first (so the running ones are always the first B_t);
``enforce_sorted=False`` sorts them and keeps the permutation in ``sorted_indices`` (and its
inverse in ``unsorted_indices``) so that results come back in the caller's order.

Packing and padding are each one gather with an index computed from the lengths (the
gradient of a gather is a scatter-add to the gathered rows): padding gathers from the rows
with one row of filler appended. They are recorded under the names of torch's graph nodes,
``PackPaddedSequenceBackward0`` and ``CopySlices`` (torch pads by copying each sequence into
a tensor of filler; one gather does the same in one node, with no copy of the whole gradient
per sequence in backward). A ``batch_first`` result of ``pad_packed_sequence`` is a
transposed view, as in torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from gradiente.backend import (
    float16,
    float32,
    float64,
    get_array_module,
    int8,
    int16,
    int32,
    int64,
    uint8,
    xp,
)
from gradiente.ops.array_function import renamed
from gradiente.ops.index import IndexSelect
from gradiente.tensor import Tensor, as_tensor, cat

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class PackedSequence_(NamedTuple):
    """The four fields of a ``PackedSequence`` (torch's base class, with its name)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """The real steps of a batch of sequences, time-major, and how many run at each step.

    Made by ``pack_padded_sequence`` or ``pack_sequence``, read by the recurrent layers and
    ``pad_packed_sequence``. ``data`` is (Σ lengths, *); ``batch_sizes`` an int64 CPU tensor;
    ``sorted_indices`` the permutation that sorted the batch longest first (None if it came
    sorted) and ``unsorted_indices`` its inverse.
    """

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes))
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(...)``; the indices follow the data's device, ``batch_sizes`` stays on
        the CPU. Returns ``self`` when the data does not change."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        non_blocking = kwargs.get("non_blocking", False)

        def follow(indices: Tensor | None) -> Tensor | None:
            if indices is None:
                return None
            return indices.to(data.device, non_blocking=non_blocking)

        sorted_indices = follow(self.sorted_indices)
        unsorted_indices = follow(self.unsorted_indices)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, device=None, non_blocking: bool = False) -> PackedSequence:
        """The same sequences with ``data`` on a CUDA device."""
        return self.to(device if device is not None else "cuda", non_blocking=non_blocking)

    def cpu(self) -> PackedSequence:
        """The same sequences with ``data`` on the CPU."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(dtype=float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on a CUDA device."""
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation: ``out[permutation[i]] = i`` (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    m = get_array_module(p)
    inverse = m.empty_like(p)
    inverse[p] = m.arange(p.size, dtype=inverse.dtype)
    return Tensor._make(inverse)


# ------------------------------------------------------------------------ the gather indices


def _lengths_array(lengths) -> xp.ndarray:
    """``lengths`` (a list or a 1-D CPU tensor) as a NumPy int64 array, with torch's check."""
    if not isinstance(lengths, Tensor):
        return xp.asarray(lengths, dtype=xp.int64).reshape(-1)
    if lengths.ndim != 1 or lengths.device.type != "cpu":
        raise RuntimeError(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{lengths.ndim}D {lengths.device.type} Long tensor"
        )
    return lengths._data.astype(xp.int64)


def _batch_sizes(lengths: xp.ndarray) -> xp.ndarray:
    """B_t = how many of the (sorted) sequences are longer than t, for t < the longest."""
    steps = xp.arange(int(lengths[0]))
    return (lengths[None, :] > steps[:, None]).sum(axis=1).astype(xp.int64)


def _offsets(batch_sizes: xp.ndarray) -> xp.ndarray:
    """Row of ``data`` where step t starts: B_0 + … + B_(t−1)."""
    return xp.concatenate([[0], xp.cumsum(batch_sizes)[:-1]]).astype(xp.int64)


def packing_index(batch_sizes: xp.ndarray, batch_first: bool, steps: int | None = None):
    """For each row of ``data``, its row in the padded tensor of ``steps`` steps (default: the
    longest length L) flattened to (L·B, *) (or (B·L, *) with ``batch_first``): step t of
    sequence b is row t·B + b (or b·L + t)."""
    B, L = int(batch_sizes[0]), len(batch_sizes)
    steps = L if steps is None else steps
    t = xp.repeat(xp.arange(L), batch_sizes)
    b = xp.arange(t.size) - _offsets(batch_sizes)[t]
    return b * steps + t if batch_first else t * B + b


def padding_index(batch_sizes: xp.ndarray, total_length: int, batch_first: bool) -> xp.ndarray:
    """For each row of the flattened padded tensor, its row in ``data``, or len(data) (a row
    of filler appended after it) where sequence b has ended: the inverse of ``packing_index``."""
    B, L, N = int(batch_sizes[0]), len(batch_sizes), int(batch_sizes.sum())
    extra = xp.zeros(total_length - L, dtype=xp.int64)  # steps past the longest: none running
    running_until = xp.concatenate([batch_sizes, extra])[:, None]  # (T, 1)
    starts = xp.concatenate([_offsets(batch_sizes), extra])[:, None]  # (T, 1)
    b = xp.arange(B)[None, :]  # (1, B)
    rows = xp.where(b < running_until, starts + b, N)  # (T, B)
    return (rows.T if batch_first else rows).reshape(-1)


# the gathers that pack and pad: index_select under torch's names for those ops' nodes
_PackPadded = renamed(
    IndexSelect,
    "PackPaddedSequence",
    "PackPaddedSequenceBackward0",
    "The rows of a flattened padded batch that are real steps (``pack_padded_sequence``).",
)
_Pad = renamed(
    IndexSelect,
    "PadSequences",
    "CopySlices",
    "A padded batch gathered, by a 2-D index, from the real steps and a row of filler.",
)


def _gather_padded(rows: Tensor, filler_value: float, index: xp.ndarray) -> Tensor:
    """``index`` (2-D) of the rows (N, *) with a row of ``filler_value`` appended as row N:
    the padded batch, shaped (*index.shape, *)."""
    filler = rows.new_full((1, *rows.shape[1:]), filler_value)
    return _Pad.apply(cat([rows, filler]), 0, index.astype(xp.int64))


# ------------------------------------------------------------------------ public functions


def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (L, B, *) (or (B, L, *)) of sequences of the given ``lengths``.

    With ``enforce_sorted=True`` the lengths must decrease; otherwise the batch is sorted
    first and the permutation is kept in the result.
    """
    lengths = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        lengths_tensor = as_tensor(lengths, dtype=int64)
        lengths_tensor, sorted_indices = lengths_tensor.sort(descending=True)
        lengths = lengths_tensor._data
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    batch_axis = 0 if batch_first else 1
    input.size(1)  # torch's IndexError for a 1-D input
    batch = input.shape[batch_axis]
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if lengths.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
            f"(batch_size={batch})"
        )
    if lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if (lengths[:-1] < lengths[1:]).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability."
        )
    steps = input.shape[1 - batch_axis]
    if lengths[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length ({int(lengths[0])}) is larger than the padded "
            f"sequences ({steps} steps)"
        )
    batch_sizes = _batch_sizes(lengths)
    # (B, L, *) -> rows b·L + t of the flattened input, (L, B, *) -> rows t·B + b
    rows = packing_index(batch_sizes, batch_first, steps).astype(xp.int64)
    flat = input.reshape(-1, *input.shape[2:])
    data = _PackPadded.apply(flat, 0, rows)
    return PackedSequence(data, Tensor._make(batch_sizes), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: (padded, lengths), in the original batch order.

    ``padded`` is (T, B, *) (or (B, T, *)), filled with ``padding_value`` past each sequence's
    end, T = ``total_length`` or the longest length; ``lengths`` an int64 CPU tensor.
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes._data.astype(xp.int64)
    longest = len(batch_sizes)
    if total_length is not None:
        if total_length < longest:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{longest}"
            )
        longest = total_length
    batch = int(batch_sizes[0])
    # time-major, as torch builds it (then transposed): step t's rows are the first B_t
    rows = padding_index(batch_sizes, longest, False).reshape(longest, batch)
    padded = _gather_padded(data, padding_value, rows)
    if batch_first:
        padded = padded.transpose(0, 1)
    # sequence b runs for as many steps as have more than b sequences running
    lengths = (batch_sizes[None, :] > xp.arange(batch)[:, None]).sum(axis=1).astype(xp.int64)
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted_indices)
        lengths = lengths[unsorted_indices.cpu()._data]
    return padded, Tensor._make(lengths)


def pad_sequence(
    sequences,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack tensors (L_i, *) into one (L, B, *) (or (B, L, *)) tensor, L = max L_i, filling
    with ``padding_value`` after each (or before it, with ``padding_side='left'``).

    The result has the dtype of the first sequence.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    first = sequences[0]
    if first.ndim == 0:
        raise RuntimeError("pad_sequence: the sequences must have at least one dimension")
    trailing = tuple(first.shape[1:])
    # each sequence as (L_i, *trailing) in the first one's dtype, all of them one after another
    shaped = [_broadcast_to((s.shape[0] if s.ndim else 1, *trailing), s) for s in sequences]
    lengths = xp.array([s.shape[0] for s in shaped], dtype=xp.int64)
    rows = cat([s.to(first.dtype) for s in shaped])
    return _gather_padded(rows, padding_value, _pad_index(lengths, batch_first, padding_side))


def _pad_index(lengths: xp.ndarray, batch_first: bool, padding_side: str) -> xp.ndarray:
    """For each place (b, t) of the padded batch (B, L) (or (t, b) of (L, B)), the row of the
    concatenated sequences it holds, or Σ L_b (the filler row) where it is padding."""
    longest = int(lengths.max())
    t = xp.arange(longest)[None, :]  # (1, L)
    lead = longest - lengths[:, None] if padding_side == "left" else 0  # filler before
    step = t - lead  # step of sequence b at place t
    starts = (xp.cumsum(lengths) - lengths)[:, None]
    index = xp.where((step >= 0) & (step < lengths[:, None]), starts + step, lengths.sum())
    return index if batch_first else index.T


def _broadcast_to(shape: tuple, s: Tensor) -> Tensor:
    """``s`` broadcast to ``shape``, its slot in the result, as torch's copy into that slot
    broadcasts; torch's error where it cannot."""
    if tuple(s.shape) == shape:
        return s
    offset = len(shape) - s.ndim
    for dim in range(len(shape) - 1, -1, -1):
        size = s.shape[dim - offset] if dim >= offset else 1
        if size not in (1, shape[dim]) or offset < 0:
            raise RuntimeError(
                f"The size of tensor a ({shape[dim]}) must match the size of tensor b ({size}) "
                f"at non-singleton dimension {dim}"
            )
    return s.expand(shape)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False
) -> list[Tensor]:
    """The inverse of ``pad_sequence``: the list of the B sequences, each cut to its length.

    As in torch, a time-major ``padded_sequences`` is transposed *in place* to batch-major.
    """
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    steps = Tensor._make(xp.arange(padded_sequences.shape[1])).to(lengths.device)
    return [seq[steps < length] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (L_i, *) (longest first, unless ``enforce_sorted=False``)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of ``pack_sequence``: the list of tensors, in the original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)

"""Recurrent layers: RNN, LSTM (Hochreiter & Schmidhuber, 1997), GRU (Cho et al., 2014), and
their one-step cells.

A recurrent layer runs a cell over the time steps of a sequence, carrying a hidden state h
(and, for the LSTM, a cell state c). The layers here are compositions of Tensor operations
(one ``linear`` for the input projections of all steps, then one ``linear`` and a few
element-wise ops per step), so autograd differentiates them through time with no backward of
their own. Parameters, their names, shapes and initial values (U(−1/√H, 1/√H) for every one,
drawn in registration order) and the order of the gates in the weight matrices are PyTorch's:

    RNN:   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)   (or relu)
    LSTM:  i, f, g, o = σ, σ, tanh, σ of the four chunks of W_ih x + b_ih + W_hh h + b_hh
           c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')   (then h' ← W_hr h' with proj_size)
    GRU:   r, z = σ of the first two chunks of W_ih x + b_ih + W_hh h + b_hh
           n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h

A ``PackedSequence`` input (sequences of different lengths, see ``nn.utils.rnn``) runs as a
padded batch in which sequence b's state is frozen at every step t ≥ its length:
h_t = h'_t where t < length_b, else h_(t−1). So the state that leaves the last step is each
sequence's state at its own last step, and the backward direction starts each sequence at its
own end from h_0; the outputs at the real steps are packed again.
"""

from __future__ import annotations

import math
import warnings

from gradiente.nn import functional as F
from gradiente.nn import init
from gradiente.nn.layers._options import changed_options_repr, store_options
from gradiente.nn.module import Module
from gradiente.nn.parameter import Parameter
from gradiente.nn.rnn_utils import PackedSequence, padding_index
from gradiente.tensor import Tensor, arange, cat, empty, stack, where, zeros

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
# the options torch's repr shows only when changed, with their defaults
_RNN_DEFAULTS = {
    "proj_size": 0,
    "num_layers": 1,
    "bias": True,
    "batch_first": False,
    "dropout": 0,
    "bidirectional": False,
}


def _cell_step(mode: str, gates_x: Tensor, h: Tensor, c, w_hh, b_hh, w_hr):
    """One step of a cell from the input projection ``gates_x`` = W_ih x + b_ih.

    Returns (h', c') (c' is None except for the LSTM). The operations and their order are those
    of PyTorch's CPU cells, so float32 results round the same way.
    """
    gates_h = F.linear(h, w_hh, b_hh)
    if mode == "GRU":
        r_x, z_x, n_x = gates_x.chunk(3, -1)
        r_h, z_h, n_h = gates_h.chunk(3, -1)
        r = (r_h + r_x).sigmoid()
        z = (z_h + z_x).sigmoid()
        n = (n_x + n_h * r).tanh()
        # h' = (1 − z) n + z h, written (h − n) z + n
        return (h - n) * z + n, None
    gates = gates_h + gates_x
    if mode == "RNN_TANH":
        return gates.tanh(), None
    if mode == "RNN_RELU":
        return gates.relu(), None
    i, f, g, o = gates.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _running_masks(batch_sizes, like: Tensor) -> list:
    """For each step t, the (B, 1) mask of the sequences still running (the first B_t of the
    sorted batch), or None where all of them are."""
    batch = int(batch_sizes[0])
    rows = arange(batch, device=like.device)
    return [None if n == batch else (rows < int(n)).unsqueeze(1) for n in batch_sizes]


def _pad(data: Tensor, batch_sizes) -> Tensor:
    """Packed (Σ lengths, F) -> padded (L, B, F), zeros past each sequence's end."""
    rows = padding_index(batch_sizes, len(batch_sizes), False)
    filler = data.new_zeros((1, data.shape[-1]))
    padded = cat([data, filler]).index_select(0, Tensor._make(rows).to(data.device))
    return padded.reshape(len(batch_sizes), int(batch_sizes[0]), data.shape[-1])


def _pack(padded: Tensor, batch_sizes) -> Tensor:
    """Padded (L, B, H) -> packed (Σ lengths, H): the real steps, time-major, one slice per
    step joined by ``cat`` (torch's node ``CatBackward0`` on a packed output's data)."""
    return cat([padded[t, : int(n)] for t, n in enumerate(batch_sizes)])


def _reset_uniform(module: Module) -> None:
    """torch's init of every recurrent layer and cell: each weight and bias ~ U(−1/√H, 1/√H),
    H = hidden_size, drawn in registration order."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the stacked, optionally bidirectional, layers.

    Args:
        input_size: features of each step of the input.
        hidden_size: features of the hidden state.
        num_layers: recurrent layers stacked, each reading the previous one's outputs.
        bias: whether the layers have b_ih and b_hh.
        batch_first: input and output are (N, L, features) instead of (L, N, features).
        dropout: dropout on the outputs of every layer but the last (training only).
        bidirectional: run a second set of layers backwards in time and concatenate.
        proj_size: (LSTM) project the hidden state to this size with W_hr.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError("hidden_size and num_layers must be greater than 0")
        if proj_size < 0 or (proj_size and mode != "LSTM"):
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size and proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if dropout > 0 and num_layers == 1:
            warnings.warn(  # attributed to the layer's call of this __init__, as in torch
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        store_options(
            self,
            mode=mode,
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=float(dropout),
            bidirectional=bidirectional,
            proj_size=proj_size,
        )
        num_directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                shapes = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, dtype=dtype, device=device)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self)

    def flatten_parameters(self) -> None:
        """Nothing to do here (cuDNN packs its weights; NumPy needs no packing)."""

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, as lists."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _layer_weights(self, layer: int, direction: int):
        names = self._all_weights[layer * (2 if self.bidirectional else 1) + direction]
        weights = dict(zip((n.split("_l")[0] for n in names), (getattr(self, n) for n in names)))
        return (
            weights["weight_ih"],
            weights["weight_hh"],
            weights.get("bias_ih"),
            weights.get("bias_hh"),
            weights.get("weight_hr"),
        )

    def _check_hidden(self, hx: Tensor, expected: tuple, what: str) -> None:
        """torch's check of an initial state's shape (``what``: "hidden", or the LSTM's
        "hidden[0]" and "hidden[1]")."""
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(hx.shape)}")

    def _check_state_ranks(self, hx, cx, batched: bool) -> None:
        """The initial states of an unpacked input must be 3-D for a batched input, 2-D for
        an unbatched one (torch's messages; the LSTM's names both states)."""
        rank, kind = (3, "batched 3-D") if batched else (2, "unbatched 2-D")
        if self.mode == "LSTM":
            if hx is not None and (hx.ndim != rank or cx.ndim != rank):
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {rank}-D but got "
                    f"({hx.ndim}-D, {cx.ndim}-D) tensors"
                )
        elif hx is not None and hx.ndim != rank:
            raise RuntimeError(
                f"For {kind} input, hx should also be {rank}-D but got {hx.ndim}-D tensor"
            )

    def _run(self, input: Tensor, hx: Tensor | None, cx: Tensor | None, batch_sizes=None):
        """The layers over a batched (L, N, features) input: (output, h_n, c_n).

        With ``batch_sizes`` (a packed input), ``input`` and ``output`` are the packed data
        (Σ lengths, features): each layer pads its input, runs the steps with each sequence's
        state frozen past its end, and packs its output again (so the dropout between layers
        draws, as torch's does, one value per real step).
        """
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). "
                f"Convert input: input.to({weight_dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        num_directions = 2 if self.bidirectional else 1
        if batch_sizes is None:
            seq_len, batch = input.shape[0], input.shape[1]
        else:
            seq_len, batch = len(batch_sizes), int(batch_sizes[0])
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        shape_h = (self.num_layers * num_directions, batch, real_hidden)
        shape_c = (self.num_layers * num_directions, batch, self.hidden_size)
        if hx is None:
            hx = zeros(shape_h, dtype=input.dtype, device=input.device)
        else:
            self._check_hidden(hx, shape_h, "hidden[0]" if self.mode == "LSTM" else "hidden")
        if self.mode == "LSTM":
            if cx is None:
                cx = zeros(shape_c, dtype=input.dtype, device=input.device)
            else:
                self._check_hidden(cx, shape_c, "hidden[1]")
        running = _running_masks(batch_sizes, input) if batch_sizes is not None else None
        h_n, c_n = [], []
        layer_input = input
        for layer in range(self.num_layers):
            if batch_sizes is not None:
                layer_input = _pad(layer_input, batch_sizes)
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, direction)
                gates_x = F.linear(layer_input, w_ih, b_ih)  # (L, N, gates): every step at once
                h = hx[k]
                c = cx[k] if cx is not None else None
                steps = range(seq_len - 1, -1, -1) if direction else range(seq_len)
                out = [None] * seq_len
                for t in steps:
                    h_new, c_new = _cell_step(self.mode, gates_x[t], h, c, w_hh, b_hh, w_hr)
                    if running is not None and running[t] is not None:
                        # a finished (or, backwards, not yet started) sequence keeps its state
                        h_new = where(running[t], h_new, h)
                        c_new = where(running[t], c_new, c) if c is not None else None
                    h, c = h_new, c_new
                    out[t] = h
                out = stack(out)
                outputs.append(out if batch_sizes is None else _pack(out, batch_sizes))
                h_n.append(h)
                c_n.append(c)
            layer_input = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        h_n = stack(h_n)
        c_n = stack(c_n) if self.mode == "LSTM" else None
        return layer_input, h_n, c_n

    def _forward_packed(self, input: PackedSequence, hx, cx):
        """The layers over a ``PackedSequence``: (packed output, h_n, c_n), h_n and c_n in the
        caller's batch order (the packed batch is sorted longest first)."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        if data.ndim != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.ndim}")
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{data.shape[-1]}"
            )
        if sorted_indices is not None:  # the caller's order -> the packed (sorted) order
            hx = hx.index_select(1, sorted_indices) if hx is not None else None
            cx = cx.index_select(1, sorted_indices) if cx is not None else None
        batch_sizes = batch_sizes.cpu().numpy()
        output, h_n, c_n = self._run(data, hx, cx, batch_sizes)
        if unsorted_indices is not None:
            h_n = h_n.index_select(1, unsorted_indices)
            c_n = c_n.index_select(1, unsorted_indices) if c_n is not None else None
        output = PackedSequence(output, input.batch_sizes, sorted_indices, unsorted_indices)
        return output, h_n, c_n

    def _forward(self, input: Tensor | PackedSequence, hx, cx):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, cx)
        if input.dim() not in (2, 3):  # dim() as torch calls it: a list fails there as in torch
            name = {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")
            got = f"{input.ndim}D tensor" if name == "RNN" else f"{input.ndim}D"  # torch's words
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {got} instead")
        batched = input.ndim == 3
        self._check_state_ranks(hx, cx, batched)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]}"
            )
        if not batched:
            input = input.unsqueeze(1)
            hx = hx.unsqueeze(1) if hx is not None else None
            cx = cx.unsqueeze(1) if cx is not None else None
        elif self.batch_first:
            input = input.transpose(0, 1)
        output, h_n, c_n = self._run(input, hx, cx)
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            # torch's RNN and GRU transpose their output in place, its LSTM does not: the
            # nodes are TransposeBackward1 and TransposeBackward0
            output = output.transpose(0, 1) if self.mode == "LSTM" else output.transpose_(0, 1)
        return output, h_n, c_n

    def extra_repr(self) -> str:
        return changed_options_repr(self, f"{self.input_size}, {self.hidden_size}", _RNN_DEFAULTS)


def _refuse_proj_size(kwargs: dict) -> None:
    """torch's RNN and GRU refuse the LSTM's ``proj_size``."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh) (``nonlinearity='relu'``
    for ReLU). ``forward(input, hx=None)`` returns (output, h_n).

    Takes ``(*args, **kwargs)`` as torch's RNN does: those of ``RNNBase`` without ``mode`` and
    ``proj_size``, with ``nonlinearity="tanh"`` fourth, after ``num_layers``.
    """

    def __init__(self, *args, **kwargs) -> None:
        _refuse_proj_size(kwargs)
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor | PackedSequence, hx: Tensor | None = None):
        output, h_n, _ = self._forward(input, hx, None)
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory. ``forward(input, (h_0, c_0)=None)`` returns
    (output, (h_n, c_n)). Takes ``(*args, **kwargs)`` as torch's LSTM does: those of
    ``RNNBase`` without ``mode``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None = None):
        h0, c0 = hx if hx is not None else (None, None)
        output, h_n, c_n = self._forward(input, h0, c0)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit. ``forward(input, hx=None)`` returns (output, h_n). Takes
    ``(*args, **kwargs)`` as torch's GRU does: those of ``RNNBase`` without ``mode`` and
    ``proj_size``."""

    def __init__(self, *args, **kwargs) -> None:
        _refuse_proj_size(kwargs)
        super().__init__("GRU", *args, **kwargs)

    forward = RNN.forward  # (output, h_n), as for the Elman RNN


class RNNCellBase(Module):
    """One step of a recurrent cell: parameters weight_ih, weight_hh, bias_ih, bias_hh."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, mode: str, device=None, dtype=None
    ) -> None:
        super().__init__()
        store_options(self, input_size=input_size, hidden_size=hidden_size, bias=bias, _mode=mode)
        gate_size = _GATES[mode] * hidden_size
        self.weight_ih = Parameter(empty((gate_size, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(empty((gate_size, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gate_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gate_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_uniform(self)

    @staticmethod
    def _state(state: Tensor | None, shape: tuple, like: Tensor, batched: bool) -> Tensor:
        if state is None:
            return zeros(shape, dtype=like.dtype, device=like.device)
        return state if batched else state.unsqueeze(0)

    def _check_ranks(self, input: Tensor, hx: Tensor | None, cx: Tensor | None) -> None:
        """torch's checks of the ranks: input and states 1-D (unbatched) or 2-D (batched),
        named as torch names them (its class names, whatever the subclass)."""
        name = {"LSTM": "LSTMCell", "GRU": "GRUCell"}.get(self._mode, "RNNCell")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        states = {"hidden": hx} if self._mode != "LSTM" else {"hx[0]": hx, "hx[1]": cx}
        for what, state in states.items():
            if state is not None and state.ndim not in (1, 2):
                raise ValueError(
                    f"{name}: Expected {what} to be 1D or 2D, got {state.ndim}D instead"
                )

    def _check_sizes(self, x: Tensor, states: list) -> None:
        """torch's checks of a (batched) step's sizes: the input's features, then each state's
        batch and hidden sizes (``hidden0``, and ``hidden1`` for the LSTM's cell state)."""
        if x.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}"
            )
        for label, state in enumerate(states):
            if state.shape[0] != x.shape[0]:
                raise RuntimeError(
                    f"Input batch size {x.shape[0]} doesn't match hidden{label} batch size "
                    f"{state.shape[0]}"
                )
            if state.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{label} has inconsistent hidden_size: got {state.shape[1]}, "
                    f"expected {self.hidden_size}"
                )

    def _step(self, input: Tensor, hx: Tensor | None, cx: Tensor | None):
        self._check_ranks(input, hx, cx)
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        h = self._state(hx, shape, input, batched)
        c = self._state(cx, shape, input, batched) if self._mode == "LSTM" else None
        self._check_sizes(x, [h] if c is None else [h, c])
        gates_x = F.linear(x, self.weight_ih, self.bias_ih)
        h, c = _cell_step(self._mode, gates_x, h, c, self.weight_hh, self.bias_hh, None)
        if not batched:
            h = h.squeeze(0)
            c = c.squeeze(0) if c is not None else None
        return h, c

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, mode, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx, None)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c)=None)`` returns (h', c')."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, "LSTM", device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        h, c = hx if hx is not None else (None, None)
        return self._step(input, h, c)


class GRUCell(RNNCellBase):
    """One GRU step: ``forward(input, h=None)`` returns h'."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, "GRU", device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx, None)[0]

"""torch's top-level losses and recurrent cells, ATen's forms of ``nn.functional``'s losses
and of one step of ``nn.RNNCell``/``LSTMCell``/``GRUCell``.

The losses take ``reduction`` as ATen's number (0: "none", 1: "mean", 2: "sum"; see
``nn/functional/aten.py``). Called without it, torch 2.13's Python binding gives the
unreduced terms (its schema says 1, but the binding passes 0), and so do these. The cells
take the weights as arguments (``w_ih``, ``w_hh`` and optional biases) and compute what the
modules compute, in the same order of operations, so float32 results round as torch's.
"""

from __future__ import annotations

from gradiente.nn import functional as F
from gradiente.nn.layers.rnn import _cell_step

__all__ = [
    "cosine_embedding_loss",
    "ctc_loss",
    "gru_cell",
    "hinge_embedding_loss",
    "lstm_cell",
    "margin_ranking_loss",
    "poisson_nll_loss",
    "rnn_relu_cell",
    "rnn_tanh_cell",
    "triplet_margin_loss",
]

# ATen's numbering of the loss reductions (at::Reduction)
_REDUCTIONS = ("none", "mean", "sum")


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0):
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=_REDUCTIONS[reduction])


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0):
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=_REDUCTIONS[reduction])


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: int = 0):
    return F.hinge_embedding_loss(input, target, margin, reduction=_REDUCTIONS[reduction])


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction: int = 0):  # fmt: skip
    return F.triplet_margin_loss(
        anchor, positive, negative, margin, p, eps, swap, reduction=_REDUCTIONS[reduction]
    )


def poisson_nll_loss(input, target, log_input: bool, full: bool, eps: float, reduction: int):
    """``torch.poisson_nll_loss``: all arguments required, as in ATen."""
    return F.poisson_nll_loss(
        input, target, log_input, full, eps=eps, reduction=_REDUCTIONS[reduction]
    )


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: int = 0, zero_infinity: bool = False):  # fmt: skip
    return F.ctc_loss(
        log_probs, targets, input_lengths, target_lengths, blank, _REDUCTIONS[reduction],
        zero_infinity,
    )  # fmt: skip


def _check_cell(input, hidden, w_ih, w_hh) -> None:
    """ATen's checks of one cell step: the input's features against ``w_ih``, each hidden
    state's batch and size against the input and ``w_hh``."""
    if input.shape[-1] != w_ih.shape[1]:
        raise RuntimeError(
            f"input has inconsistent input_size: got {input.shape[-1]} expected {w_ih.shape[1]}"
        )
    for label, h in enumerate(hidden):
        if input.shape[0] != h.shape[0]:
            raise RuntimeError(
                f"Input batch size {input.shape[0]} doesn't match hidden{label} batch size "
                f"{h.shape[0]}"
            )
        if h.shape[-1] != w_hh.shape[1]:
            raise RuntimeError(
                f"hidden{label} has inconsistent hidden_size: got {h.shape[-1]}, expected "
                f"{w_hh.shape[1]}"
            )


def _step(mode: str, input, h, c, w_ih, w_hh, b_ih, b_hh):
    _check_cell(input, [h] if c is None else [h, c], w_ih, w_hh)
    return _cell_step(mode, F.linear(input, w_ih, b_ih), h, c, w_hh, b_hh, None)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: ``hx`` is (h, c); returns (h', c')."""
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    return _step("LSTM", input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step: returns h'."""
    return _step("GRU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step of the Elman RNN: tanh(W_ih x + b_ih + W_hh h + b_hh)."""
    return _step("RNN_TANH", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step of the Elman RNN with ReLU: relu(W_ih x + b_ih + W_hh h + b_hh)."""
    return _step("RNN_RELU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]

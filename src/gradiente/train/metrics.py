"""Classification metrics from predictions and targets: confusion matrix, precision, recall."""

from __future__ import annotations

from gradiente.backend import xp
from gradiente.tensor import from_numpy


def _host(values):
    """``values`` (a tensor on any device, an array or a list) as a NumPy array on the host."""
    return xp.asarray(values.detach().cpu().numpy() if hasattr(values, "cpu") else values)


def confusion_matrix(predictions, targets, num_classes: int):
    """The ``(num_classes, num_classes)`` int64 tensor whose entry ``[i, j]`` counts the
    samples of true class ``i`` predicted as class ``j`` (rows: truth, columns: prediction).
    The predictions and targets may be on any device; the matrix is on the CPU."""
    p, t = _host(predictions), _host(targets)
    counts = xp.bincount(
        t.astype(xp.int64) * num_classes + p.astype(xp.int64), minlength=num_classes * num_classes
    )
    return from_numpy(counts.reshape(num_classes, num_classes).astype(xp.int64))


def precision_recall(confusion):
    """Per-class precision and recall (float64 tensors) from a confusion matrix.

    precision_c = TP_c / (TP_c + FP_c) = M[c, c] / Σ_i M[i, c] (of the samples predicted c, the
    fraction that are c); recall_c = TP_c / (TP_c + FN_c) = M[c, c] / Σ_j M[c, j] (of the
    samples of class c, the fraction found). A class never predicted (or absent) gets 0.
    """
    m = _host(confusion).astype(xp.float64)
    tp = xp.diag(m)
    predicted, actual = m.sum(axis=0), m.sum(axis=1)
    precision = xp.divide(tp, predicted, out=xp.zeros_like(tp), where=predicted > 0)
    recall = xp.divide(tp, actual, out=xp.zeros_like(tp), where=actual > 0)
    return from_numpy(precision), from_numpy(recall)

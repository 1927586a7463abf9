"""The figures of a run folder: learning curves (``curves.png``) and the confusion matrix."""

from __future__ import annotations

import pathlib

from gradiente.train.checkpoint import write_files
from gradiente.train.history import History


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, works without a display
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> None:
    plt = _pyplot()
    try:
        write_files({path: lambda f: fig.savefig(f, format="png", dpi=120)})
    finally:
        plt.close(fig)


def plot_curves(history: History, path, title: str = "") -> None:
    """Loss and accuracy per epoch, training and validation, side by side, saved to ``path``."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    has_accuracy = history.has("train_accuracy") or history.has("val_accuracy")
    fig, axes = plt.subplots(1, 2 if has_accuracy else 1, figsize=(11 if has_accuracy else 6, 4))
    axes = list(axes) if has_accuracy else [axes]
    epochs = history["epoch"]
    panels = [("loss", "loss (cross-entropy)", 1.0)]
    if has_accuracy:
        panels.append(("accuracy", "accuracy (%)", 100.0))
    for ax, (metric, label, scale) in zip(axes, panels, strict=False):
        for split, style in (("train", "o-"), ("val", "s--")):
            values = history[f"{split}_{metric}"]
            points = [(e, v * scale) for e, v in zip(epochs, values, strict=False) if v is not None]
            if points:
                xs, ys = zip(*points, strict=False)
                ax.plot(
                    xs,
                    ys,
                    style,
                    label="training" if split == "train" else "validation",
                    markersize=4,
                )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label)
        ax.set_title(f"{metric} per epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, pathlib.Path(path))


def plot_confusion(matrix, classes, path, title: str = "confusion matrix") -> None:
    """The confusion matrix (rows: true class, columns: predicted) as an annotated heat map."""
    plt = _pyplot()
    m = matrix.numpy() if hasattr(matrix, "numpy") else matrix
    n = len(classes)
    size = max(4.0, 0.5 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(m, cmap="Blues")
    fig.colorbar(image, ax=ax, label="samples")
    ax.set_xticks(
        range(n),
        classes,
        rotation=45 if n > 10 or max(map(len, classes)) > 3 else 0,
        ha="right" if n > 10 or max(map(len, classes)) > 3 else "center",
    )
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    if n <= 20:
        threshold = m.max() / 2 if m.size else 0
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    str(int(m[i, j])),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if m[i, j] > threshold else "black",
                )
    fig.tight_layout()
    _save(fig, pathlib.Path(path))

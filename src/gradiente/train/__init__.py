"""Training: ``fit`` (the loop, with progress bars and one line of metrics per epoch),
``evaluate``, the ``History`` it returns, callbacks (early stopping, checkpoints, LR schedules)
and classification metrics. The ``gradiente train`` command is a thin layer over this package.

Example::

    from gradiente import nn, optim
    from gradiente.train import fit, evaluate, EarlyStopping

    history = fit(model, train_loader, optim.Adam(model.parameters()), nn.CrossEntropyLoss(),
                  epochs=10, val_loader=val_loader, callbacks=[EarlyStopping(patience=3)])
    print(evaluate(model, test_loader)["accuracy"])
"""

from __future__ import annotations

from gradiente.train.callbacks import (
    Callback,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    TerminateOnNaN,
)
from gradiente.train.checkpoint import (
    CheckpointError,
    checkpoint_path,
    load_checkpoint,
    save_checkpoint,
)
from gradiente.train.history import History
from gradiente.train.loop import Trainer, evaluate, fit
from gradiente.train.metrics import confusion_matrix, precision_recall

__all__ = [
    "Callback",
    "CheckpointError",
    "EarlyStopping",
    "History",
    "LRSchedulerCallback",
    "ModelCheckpoint",
    "TerminateOnNaN",
    "Trainer",
    "confusion_matrix",
    "checkpoint_path",
    "evaluate",
    "fit",
    "load_checkpoint",
    "precision_recall",
    "save_checkpoint",
]

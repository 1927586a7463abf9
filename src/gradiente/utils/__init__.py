"""PyTorch's ``torch.utils`` import paths: ``gradiente.utils.data`` is ``gradiente.data``;
``gradiente.utils.checkpoint`` is activation checkpointing."""

from gradiente.utils import checkpoint, data

__all__ = ["checkpoint", "data"]

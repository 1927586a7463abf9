"""PyTorch's ``torch.utils`` import paths: ``gradiente.utils.data`` is ``gradiente.data``."""

from gradiente.utils import data

__all__ = ["data"]

"""PyTorch's ``torch.utils.tensorboard``: ``SummaryWriter`` writes TensorBoard event files.

Needs the optional ``tensorboard`` package (``pip install 'gradiente[tensorboard]'``); importing
this module works without it, and constructing a ``SummaryWriter`` says how to install it.
"""

from gradiente.utils.tensorboard.writer import SummaryWriter, require_tensorboard

__all__ = ["SummaryWriter", "require_tensorboard"]

"""``gradiente.backends``: switches for the libraries gradiente hands work to (torch's
``torch.backends``). Only ``cudnn`` has switches that change anything here."""

from gradiente.backends import cudnn

__all__ = ["cudnn"]

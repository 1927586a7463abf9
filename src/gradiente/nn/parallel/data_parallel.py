"""``DataParallel``: torch's single-process multi-device wrapper. gradiente computes on one
device, so it wraps the module and forwards to it (state-dict keys get torch's ``module.``)."""

from __future__ import annotations

from gradiente.nn.module import Module


class DataParallel(Module):
    """Wrap ``module``; ``forward`` calls it unchanged (there is one CPU device to run on)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

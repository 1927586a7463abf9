"""``SyncBatchNorm``: batch normalization whose statistics span every process's batch.

With DDP each process sees only its share of the batch, so plain BatchNorm normalises with
per-process statistics. SyncBatchNorm all-reduces them, so N processes normalise exactly as one
process with the whole batch would. Over the n values of a channel on all processes:

    mean = (Σ_r Σ_i x) / n,    var = (Σ_r Σ_i (x − mean)²) / n     (two all-reduces of sums)
    y = (x − mean) / √(var + eps) · γ + β

Both sums go through a differentiable all-reduce (its backward all-reduces the gradient), so
the backward pass also accounts for how every process's inputs moved the shared statistics.
Running statistics are updated as BatchNorm's: r ← (1 − momentum)·r + momentum·s, with the
unbiased variance var·n/(n − 1).
"""

from __future__ import annotations

from gradiente import distributed as dist
from gradiente.autograd.grad_mode import no_grad
from gradiente.distributed.functional import all_reduce
from gradiente.nn.layers.normalization import _BatchNorm
from gradiente.nn.module import Module
from gradiente.tensor import Tensor, cat, tensor

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch normalization of (N, C, *) input with statistics synchronised over
    ``process_group`` in training (plain BatchNorm on one process, or in eval mode)."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group=None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        need_sync = (
            self.training
            and dist.is_available()
            and dist.is_initialized()
            and dist.get_world_size(self.process_group) > 1
        )
        if not need_sync:
            return super().forward(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)

        dims = [0] + list(range(2, input.ndim))  # every axis but the channels
        local_count = input.numel() // input.shape[1]
        # Σ x per channel and the element count, summed over processes in one all-reduce.
        count = tensor([float(local_count)], dtype=input.dtype)
        sums = all_reduce(cat([input.sum(dims), count]), group=self.process_group)
        n = float(sums[-1].item())
        mean = sums[:-1] / n
        shape = [1, -1] + [1] * (input.ndim - 2)
        centered = input - mean.reshape(shape)
        var = all_reduce((centered * centered).sum(dims), group=self.process_group) / n
        out = centered / (var + self.eps).sqrt().reshape(shape)
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)

        if self.track_running_stats:
            with no_grad():
                unbiased = var.detach() * (n / max(n - 1.0, 1.0))
                self.running_mean.mul_(1 - factor).add_(mean.detach() * factor)
                self.running_var.mul_(1 - factor).add_(unbiased * factor)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Replace every BatchNorm*d inside ``module`` (or ``module`` itself) by a
        SyncBatchNorm with the same parameters, buffers and mode."""
        converted = module
        if isinstance(module, _BatchNorm) and type(module).__name__.startswith("BatchNorm"):
            converted = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            with no_grad():
                if module.affine:
                    converted.weight = module.weight
                    converted.bias = module.bias
                if module.track_running_stats:
                    converted.running_mean = module.running_mean
                    converted.running_var = module.running_var
                    converted.num_batches_tracked = module.num_batches_tracked
            converted.train(module.training)
        for name, child in module.named_children():
            setattr(converted, name, cls.convert_sync_batchnorm(child, process_group))
        return converted

"""``DistributedDataParallel``: N processes train one model as if it saw the N-times batch.

Every process holds a replica of the model and takes its own share of each batch. If the loss
is a mean over the batch, the gradient of the full batch is the mean of the processes'
gradients, g = (1/N) Σ_r g_r; so after each backward the gradients are all-reduced (summed
across processes) and divided by N, and every replica takes the same optimizer step.

Overlap. Backward produces the gradients of the last layers first. The parameters are packed,
in reverse registration order, into *buckets* of about 25 MB: flat buffers, one per dtype.
A post-accumulate-grad hook on each parameter copies its gradient into its bucket; when a
bucket is full its all-reduce starts at once (non-blocking ``Iallreduce``) and runs while
backward computes the earlier layers' gradients. Buckets start strictly in order, so every
process issues the same sequence of collectives. At the end of backward (an engine callback)
DDP waits for the buckets and writes the averaged gradients back into ``.grad``.
"""

from __future__ import annotations

import contextlib
import warnings

from gradiente import distributed as dist
from gradiente.autograd import engine
from gradiente.autograd.grad_mode import is_grad_enabled
from gradiente.backend import xp
from gradiente.nn.module import Module
from gradiente.tensor import Tensor

__all__ = ["DistributedDataParallel"]

UNFINISHED_REDUCTION = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by "
    "making sure all `forward` function outputs participate in calculating loss."
)


class _Bucket:
    """A flat buffer for the gradients of some parameters (all of one dtype) and its state
    during a backward pass: how many gradients are still missing, and the running all-reduce."""

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        self.offsets = []
        size = 0
        for p in params:
            self.offsets.append(size)
            size += p.numel()
        self.flat = xp.zeros(size, dtype=params[0]._data.dtype)
        self.pending = len(params)
        self.work = None

    def slot(self, i: int):
        """The part of the flat buffer that holds parameter i's gradient, in its shape."""
        p = self.params[i]
        return self.flat[self.offsets[i] : self.offsets[i] + p.numel()].reshape(p._data.shape)


def _buffer_sync_flags(broadcast_buffers, forward_sync_buffers) -> tuple[bool, bool]:
    """(sync buffers before each forward, sync them at construction), from torch's two
    arguments: ``forward_sync_buffers`` (new; construction always syncs) wins over the
    deprecated ``broadcast_buffers`` (which also decides the construction-time sync)."""
    if broadcast_buffers is not None:
        if forward_sync_buffers is not None:
            message = (
                "Both `broadcast_buffers` and `forward_sync_buffers` were specified. "
                "`broadcast_buffers` is deprecated and its value is ignored when "
                "`forward_sync_buffers` is provided."
            )
        else:
            message = (
                "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. "
                "IMPORTANT: unlike `broadcast_buffers=False`, `forward_sync_buffers=False` "
                "still syncs buffers at init. If you rely on buffers NOT being synced at init "
                "(e.g. rank-local buffers), keep using `broadcast_buffers=False` until "
                "`init_sync_buffers` is available."
            )
        warnings.warn(message, FutureWarning, stacklevel=3)
    if forward_sync_buffers is not None:
        return bool(forward_sync_buffers), True
    effective = True if broadcast_buffers is None else bool(broadcast_buffers)
    return effective, effective


class DistributedDataParallel(Module):
    """Wrap ``module`` so that its gradients are averaged over the processes of
    ``process_group`` after every backward pass.

    At construction rank 0's parameters and buffers are copied to every process (after
    checking that every process has the same parameter shapes). ``no_sync()`` skips the
    averaging, for gradient accumulation; ``find_unused_parameters=True`` allows parameters
    that get no gradient in some iteration. Buffers (BatchNorm's running statistics) are
    broadcast from rank 0 before each forward that follows a training one, as torch's
    ``forward_sync_buffers=True`` (the default).
    """

    def __init__(
        self,
        module: Module,
        device_ids=None,
        output_device=None,
        dim: int = 0,
        broadcast_buffers: bool | None = None,
        init_sync: bool = True,
        process_group=None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
        forward_sync_buffers: bool | None = None,
        **kwargs,
    ) -> None:
        super().__init__()
        devices = {p.device for p in module.parameters()}
        on_cpu = all(d.type == "cpu" for d in devices)
        if on_cpu and (device_ids or output_device):  # torch's error for a CPU module
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters {devices}."
            )
        self.module = module
        self.device_ids = None if on_cpu or not device_ids else list(device_ids)
        self.output_device = None if on_cpu else output_device
        self.dim = dim
        self.forward_sync_buffers, init_sync_buffers = _buffer_sync_flags(
            broadcast_buffers, forward_sync_buffers
        )
        # Buffers are broadcast before a forward only if the previous forward was a training
        # one (grad enabled, outside no_sync()), as torch's ``require_forward_param_sync``.
        self.require_forward_param_sync = True
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2**20)
        self.process_group = dist.GroupMember.WORLD if process_group is None else process_group
        self._pg = self.process_group
        self._world_size = dist.get_world_size(self._pg)
        self._src = dist.get_global_rank(self._pg, 0)

        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        self._param_names = [n for n, _ in named]
        if init_sync:
            self._verify_same_shapes(named)
            self._sync_module_states(init_sync_buffers)
        self._buckets, self._where = self._build_buckets([p for _, p in named])
        self._grad_hooks = [
            p.register_post_accumulate_grad_hook(self._grad_ready) for _, p in named
        ]
        self._sync_this_backward = False
        self._in_backward = False
        self._next_bucket = 0
        self._ready: set[int] = set()
        self._unfinished: list[str] = []

    # ── construction ────────────────────────────────────────────────────────────────────────

    def _verify_same_shapes(self, named) -> None:
        """Every process must wrap the same model: compare (name, shape, dtype) of every
        parameter with rank 0's, on every process, so that all of them raise together."""
        mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in named]
        every = [None] * self._world_size
        dist.all_gather_object(every, mine, group=self._pg)
        for rank, theirs in enumerate(every[1:], start=1):
            if theirs == every[0]:
                continue
            if len(theirs) != len(every[0]):
                raise RuntimeError(
                    f"DistributedDataParallel: rank 0 has {len(every[0])} parameters but rank "
                    f"{rank} has {len(theirs)}: every process must build the same model"
                )
            for ref, other in zip(every[0], theirs):
                if ref != other:
                    raise RuntimeError(
                        f"DistributedDataParallel: parameter {ref[0]} has shape {list(ref[1])} "
                        f"({ref[2]}) on rank 0 but {other[0]} has shape {list(other[1])} "
                        f"({other[2]}) on rank {rank}: every process must build the same model"
                    )

    def _sync_module_states(self, with_buffers: bool) -> None:
        """Copy rank 0's parameters (and buffers, ``with_buffers``) to every process."""
        tensors = list(self.module.parameters())
        if with_buffers:
            tensors += list(self.module.buffers())
        for t in tensors:
            dist.broadcast(t, src=self._src, group=self._pg)

    @property
    def broadcast_buffers(self) -> bool:
        """torch's older name for ``forward_sync_buffers``."""
        return self.forward_sync_buffers

    @broadcast_buffers.setter
    def broadcast_buffers(self, value: bool) -> None:
        self.forward_sync_buffers = value

    def _build_buckets(self, params):
        """Pack parameters in reverse registration order (roughly the order backward produces
        their gradients) into buckets of at most ``bucket_bytes_cap`` bytes of one dtype."""
        buckets, current, size = [], [], 0
        for p in reversed(params):
            nbytes = p._data.nbytes
            if current and (
                size + nbytes > self.bucket_bytes_cap or p._data.dtype != current[0]._data.dtype
            ):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += nbytes
        buckets.append(_Bucket(current))
        where = {
            id(p): (b, i) for b, bucket in enumerate(buckets) for i, p in enumerate(bucket.params)
        }
        return buckets, where

    # ── forward and the backward hooks ──────────────────────────────────────────────────────

    def forward(self, *inputs, **kwargs):
        if self._unfinished:
            names = ", ".join(self._unfinished)
            self._unfinished = []
            raise RuntimeError(
                f"{UNFINISHED_REDUCTION}\nParameters which did not receive grad for rank "
                f"{dist.get_rank(self._pg)}: {names}"
            )
        if self.require_forward_param_sync and self.forward_sync_buffers:
            for b in self.module.buffers():
                dist.broadcast(b, src=self._src, group=self._pg)
        self._sync_this_backward = self.require_backward_grad_sync and is_grad_enabled()
        output = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = self._sync_this_backward
        return output

    def _grad_ready(self, p: Tensor) -> None:
        """A parameter's gradient is accumulated: copy it into its bucket, and start every
        bucket (in order) that is now complete."""
        if not self._sync_this_backward:
            return
        if not self._in_backward:
            self._start_backward()
        b, i = self._where[id(p)]
        bucket = self._buckets[b]
        if (b, i) in self._ready:
            return
        self._ready.add((b, i))
        bucket.slot(i)[...] = p.grad._data
        bucket.pending -= 1
        self._launch_ready_buckets()

    def _start_backward(self) -> None:
        self._in_backward = True
        self._next_bucket = 0
        self._ready = set()
        for bucket in self._buckets:
            bucket.pending = len(bucket.params)
            bucket.work = None
        engine.queue_callback(self._finish_backward)

    def _launch_ready_buckets(self) -> None:
        while self._next_bucket < len(self._buckets):
            bucket = self._buckets[self._next_bucket]
            if bucket.pending:
                return
            flat = Tensor._make(bucket.flat)
            bucket.work = dist.all_reduce(flat, group=self._pg, async_op=True)
            self._next_bucket += 1

    def _finish_backward(self) -> None:
        """End of backward: reduce what is left, wait for every bucket, write the averaged
        gradients back into ``.grad``."""
        self._in_backward = False
        self._sync_this_backward = False
        missing = [
            (b, i)
            for b, bucket in enumerate(self._buckets)
            for i in range(len(bucket.params))
            if (b, i) not in self._ready
        ]
        if missing and not self.find_unused_parameters:
            # torch reports this at the next forward; the reduction is abandoned.
            for bucket in self._buckets:
                if bucket.work is not None:
                    bucket.work.wait()
            names = {id(p): n for n, p in self.module.named_parameters()}
            self._unfinished = [names[id(self._buckets[b].params[i])] for b, i in missing]
            return
        used = None
        if self.find_unused_parameters:
            # Which parameters got a gradient on some process: those get the average (with
            # zeros from the processes that did not use them); the others keep grad None.
            used = xp.zeros(len(self._where), dtype=xp.uint8)
            order = {key: k for k, key in enumerate(sorted(self._where.values()))}
            for key in self._ready:
                used[order[key]] = 1
            dist.all_reduce(Tensor._make(used), op=dist.ReduceOp.MAX, group=self._pg)
            for b, i in missing:
                self._buckets[b].slot(i)[...] = 0
                self._buckets[b].pending -= 1
            self._launch_ready_buckets()
        n = self._world_size
        for b, bucket in enumerate(self._buckets):
            bucket.work.wait()
            bucket.flat /= bucket.flat.dtype.type(n)  # the sum over processes → the mean
            for i, p in enumerate(bucket.params):
                if used is not None and not used[order[(b, i)]]:
                    continue
                if p.grad is None:
                    p.grad = Tensor._make(bucket.slot(i).copy())
                else:
                    p.grad._data[...] = bucket.slot(i)

    # ── torch's API ─────────────────────────────────────────────────────────────────────────

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward only accumulates local gradients (no communication); the first
        backward after it averages everything accumulated."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self) -> str:
        return f"world_size={self._world_size}, buckets={len(self._buckets)}"

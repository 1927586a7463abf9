"""Run under ``mpiexec -n 2``: every collective and dtype against the values it must give.

Prints "ok" on each rank when every check passes (an AssertionError ends the job otherwise).
"""

import numpy as np

import gradiente as torch
import gradiente.distributed as dist

DTYPES = [
    torch.float32,
    torch.float64,
    torch.float16,
    torch.int64,
    torch.int32,
    torch.int16,
    torch.int8,
    torch.uint8,
    torch.bool,
]


def values(rank, dtype, n=5):
    """What rank ``rank`` contributes: 1..n shifted by the rank (bools: a rank-dependent mask)."""
    if dtype == torch.bool:
        return torch.tensor([(i + rank) % 2 == 0 for i in range(n)])
    return torch.arange(1, n + 1).to(dtype) + rank


def expect(t, array, what):
    got = t.numpy()
    assert got.dtype == np.asarray(array).dtype or t.dtype == torch.bool, (what, got.dtype)
    assert np.array_equal(got, array), f"{what}: got {got}, expected {array}"


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "gloo"
    contributions = {d: [values(r, d).numpy() for r in range(world)] for d in DTYPES}

    for dtype in DTYPES:
        parts = contributions[dtype]
        stack = np.stack(parts)
        cases = {
            dist.ReduceOp.SUM: stack.any(0) if dtype == torch.bool else stack.sum(0),
            dist.ReduceOp.MAX: stack.max(0),
            dist.ReduceOp.MIN: stack.min(0),
            dist.ReduceOp.PRODUCT: stack.all(0) if dtype == torch.bool else stack.prod(0),
        }
        if dtype.is_floating_point:
            cases[dist.ReduceOp.AVG] = stack.sum(0) / world
        for op, want in cases.items():
            for async_op in (False, True):
                t = values(rank, dtype)
                work = dist.all_reduce(t, op=op, async_op=async_op)
                if async_op:
                    work.wait()
                    assert work.is_completed()
                expect(t, want.astype(parts[0].dtype), f"all_reduce {op} {dtype}")
            # reduce: only the destination changes
            t = values(rank, dtype)
            dist.reduce(t, dst=1, op=op)
            expect(t, want.astype(parts[0].dtype) if rank == 1 else parts[rank], f"reduce {op}")

        t = values(rank, dtype)
        dist.broadcast(t, src=1)
        expect(t, parts[1], f"broadcast {dtype}")

        outs = [torch.zeros(5, dtype=dtype) for _ in range(world)]
        dist.all_gather(outs, values(rank, dtype))
        for r in range(world):
            expect(outs[r], parts[r], f"all_gather {dtype}")

        out = torch.zeros(world * 5, dtype=dtype)
        dist.all_gather_into_tensor(out, values(rank, dtype), async_op=True).wait()
        expect(out, np.concatenate(parts), f"all_gather_into_tensor {dtype}")

        gl = [torch.zeros(5, dtype=dtype) for _ in range(world)] if rank == 0 else None
        dist.gather(values(rank, dtype), gl, dst=0)
        if rank == 0:
            for r in range(world):
                expect(gl[r], parts[r], f"gather {dtype}")

        t = torch.zeros(5, dtype=dtype)
        sl = [values(10 + r, dtype) for r in range(world)] if rank == 0 else None
        dist.scatter(t, sl, src=0)
        expect(t, values(10 + rank, dtype).numpy(), f"scatter {dtype}")

    # reduce_scatter_tensor: block ``rank`` of the sum
    inp = torch.arange(world * 3, dtype=torch.float64) * (rank + 1)
    out = torch.zeros(3, dtype=torch.float64)
    dist.reduce_scatter_tensor(out, inp)
    total = sum(np.arange(world * 3.0) * (r + 1) for r in range(world))
    expect(out, total[rank * 3 : rank * 3 + 3], "reduce_scatter_tensor")

    # a non-contiguous view: the result lands in the base tensor
    base = torch.zeros(4, 3) + rank + 1
    view = base.t()[1]  # column 1, stride 3
    dist.all_reduce(view)
    want = np.full((4, 3), rank + 1.0, dtype=np.float32)
    want[:, 1] = sum(range(1, world + 1))
    expect(base, want, "all_reduce of a strided view")

    # objects
    objs = [None, None]
    if rank == 0:
        objs = [{"lr": 0.1}, "hello"]
    dist.broadcast_object_list(objs, src=0)
    assert objs == [{"lr": 0.1}, "hello"], objs
    gathered = [None] * world
    dist.all_gather_object(gathered, ("rank", rank))
    assert gathered == [("rank", r) for r in range(world)], gathered

    # a subgroup of rank 1 alone (non-members get NON_GROUP_MEMBER)
    sub = dist.new_group([1])
    if rank == 1:
        assert dist.get_world_size(sub) == 1 and dist.get_rank(sub) == 0
        t = torch.tensor([5.0])
        dist.all_reduce(t, group=sub)
        expect(t, np.array([5.0], dtype=np.float32), "subgroup all_reduce")
    else:
        assert sub == dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(sub) == -1

    work = dist.barrier(async_op=True)
    work.wait()
    dist.destroy_process_group()
    assert not dist.is_initialized()
    print(f"ok {rank}")


if __name__ == "__main__":
    main()

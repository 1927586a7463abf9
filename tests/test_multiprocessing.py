"""share_memory_/is_shared and torch.multiprocessing: forked processes update one model's
parameters in shared memory (hogwild), and the parent sees every update."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
import gradiente.multiprocessing as mp
from gradiente import nn

pytestmark = pytest.mark.skipif(
    "fork" not in mp.get_all_start_methods(), reason="needs the fork start method"
)


def test_share_memory_moves_values_and_keeps_them():
    x = gradiente.arange(6.0).reshape(2, 3)
    assert not x.is_shared()
    assert x.share_memory_() is x
    assert x.is_shared() and x[0].is_shared()  # views see the shared memory too
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    model = nn.BatchNorm1d(3).share_memory()
    assert all(t.is_shared() for t in [*model.parameters(), *model.buffers()])


def _add_rank(rank, t):
    t[rank] += rank + 1.0


def test_children_write_into_the_parents_tensor():
    t = gradiente.zeros(3).share_memory_()
    plain = gradiente.zeros(3)
    mp.spawn(_add_rank, args=(t,), nprocs=3)
    mp.spawn(_add_rank, args=(plain,), nprocs=3)
    assert t.tolist() == [1.0, 2.0, 3.0]
    assert plain.tolist() == [0.0, 0.0, 0.0]  # not shared: each child had its own copy


def _train(rank, model, x, y, steps):
    gradiente.manual_seed(rank)
    opt = gradiente.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()


def test_hogwild_training_updates_the_shared_model():
    gradiente.manual_seed(0)
    model = nn.Linear(4, 1).share_memory()
    x = gradiente.randn(32, 4)
    y = x @ gradiente.tensor([[1.0], [-2.0], [0.5], [3.0]])
    before = ((model(x) - y) ** 2).mean().item()
    ctx = mp.get_context("fork")
    workers = [ctx.Process(target=_train, args=(r, model, x, y, 40)) for r in range(2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    assert [p.exitcode for p in workers] == [0, 0]
    after = ((model(x) - y) ** 2).mean().item()
    assert after < before / 10  # both processes' steps landed in the parent's parameters
    np.testing.assert_allclose(
        model.weight.detach().numpy().ravel(), [1.0, -2.0, 0.5, 3.0], atol=0.5
    )


def test_a_failing_process_is_reported():
    with pytest.raises(mp.ProcessRaisedException, match="process 1"):
        mp.spawn(_fail_on_one, nprocs=2)


def _fail_on_one(rank):
    if rank == 1:
        os._exit(3)


def _write_from_a_spawned_child(model, t, column):
    assert type(model.weight) is nn.Parameter and model.weight.requires_grad
    with gradiente.no_grad():
        model.weight.add_(1.0)
    t += 10.0
    column[1] = -1.0  # a strided view: the second column's second row


def test_spawned_children_map_the_shared_memory():
    gradiente.manual_seed(0)
    model = nn.Linear(2, 1).share_memory()
    before = model.weight.detach().clone()
    t = gradiente.zeros(2, 3).share_memory_()
    ctx = mp.get_context("spawn")  # the child gets pickles, not the parent's pages
    p = ctx.Process(target=_write_from_a_spawned_child, args=(model, t, t[:, 1]))
    p.start()
    p.join()
    assert p.exitcode == 0
    assert (model.weight - before).tolist() == [[1.0, 1.0]]
    # the view and its base arrived as one mapping, written through both
    assert t.tolist() == [[10.0, 10.0, 10.0], [10.0, -1.0, 10.0]]


def _double_what_arrives(inbox, outbox):
    t = inbox.get()
    t *= 2
    outbox.put(t.is_shared())


def test_a_shared_tensor_sent_through_a_queue_is_the_same_memory():
    ctx = mp.get_context("fork")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=_double_what_arrives, args=(inbox, outbox))
    p.start()  # forked before the tensor exists: it can only arrive through the queue
    t = gradiente.arange(3.0).share_memory_()
    plain = gradiente.arange(3.0)
    inbox.put(t)
    assert outbox.get(timeout=120) is True
    p.join()
    assert t.tolist() == [0.0, 2.0, 4.0]
    ctx.Process(target=_double_what_arrives, args=(inbox, outbox)).start()
    inbox.put(plain)
    assert outbox.get(timeout=120) is False  # not shared: the child doubled a copy
    assert plain.tolist() == [0.0, 1.0, 2.0]

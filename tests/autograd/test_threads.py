"""Grad mode is per thread, as in PyTorch: threads that train separate models do not disturb
each other, and give the same bits as running one after the other."""

import threading

import numpy as np

import gradiente as T
from gradiente import nn


def _model_and_data(seed: int):
    T.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    x = T.randn(32, 6)
    y = T.randint(0, 3, (32,))
    return model, x, y


def _train(model, x, y, steps: int, evaluate_every: int = 1) -> list[float]:
    """Full-batch SGD; between steps, evaluate under ``no_grad`` (the switch that used to leak
    into the other thread)."""
    opt = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for step in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if step % evaluate_every == 0:
            with T.no_grad():
                losses.append(nn.functional.cross_entropy(model(x), y).item())
    return losses


def _weights(model) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_two_threads_training_give_the_same_bits_as_sequential_runs():
    setups = [_model_and_data(seed) for seed in (1, 2)]
    sequential = []
    for model, x, y in [_model_and_data(seed) for seed in (1, 2)]:
        losses = _train(model, x, y, steps=60)
        sequential.append((losses, _weights(model)))

    results: dict[int, tuple] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            model, x, y = setups[i]
            results[i] = (_train(model, x, y, steps=60), _weights(model))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i in range(2):
        assert results[i][0] == sequential[i][0]
        for got, want in zip(results[i][1], sequential[i][1]):
            np.testing.assert_array_equal(got, want)


def test_no_grad_in_one_thread_does_not_switch_off_recording_in_another():
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def holder() -> None:
        with T.no_grad():
            seen["holder"] = T.is_grad_enabled()
            entered.set()
            release.wait(10)

    def recorder() -> None:
        x = T.ones(2, requires_grad=True)
        seen["recorder"] = T.is_grad_enabled()
        seen["requires_grad"] = (x * 2).requires_grad

    t = threading.Thread(target=holder)
    t.start()
    entered.wait(10)
    other = threading.Thread(target=recorder)
    other.start()
    other.join()
    release.set()
    t.join()
    assert seen == {"holder": False, "recorder": True, "requires_grad": True}
    assert T.is_grad_enabled()


def test_a_new_thread_starts_with_grad_on_even_inside_no_grad_and_inference_mode():
    seen = {}

    def look() -> None:
        seen["grad"] = T.is_grad_enabled()
        seen["inference"] = T.is_inference_mode_enabled()

    with T.inference_mode():
        t = threading.Thread(target=look)
        t.start()
        t.join()
        assert not T.is_grad_enabled() and T.is_inference_mode_enabled()
    assert seen == {"grad": True, "inference": False}


def test_the_default_generator_is_shared_and_each_draw_is_whole():
    # Two threads drawing from the shared default generator consume one stream between them:
    # together they take exactly the words a single thread would, each draw contiguous.
    T.manual_seed(123)
    reference = T.rand(8 * 500).numpy().reshape(500, 8)
    T.manual_seed(123)
    draws: list[np.ndarray] = []

    def draw() -> None:
        for _ in range(250):
            draws.append(T.rand(8).numpy())

    threads = [threading.Thread(target=draw) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = sorted(map(tuple, draws))
    assert got == sorted(map(tuple, reference))

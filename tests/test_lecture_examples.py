"""The lecture's worked autograd examples, run on gradiente exactly as written for torch."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

import gradiente

torch = pytest.importorskip("torch")


def _linear_regression_step(m):
    """In [41] of the lecture: one squared error, its gradients, and the printed lines."""
    w = m.tensor(1.0, requires_grad=True)
    b = m.tensor(0.5, requires_grad=True)
    x = m.tensor([1.4])
    y = m.tensor([2.1])
    z = m.add(m.mul(w, x), b)
    loss = (y - z).pow(2).sum()  # Erro Quadrático
    loss.backward()
    return w, b, x, y, loss


def test_lecture_gradients_of_squared_error():
    w, b, x, y, loss = _linear_regression_step(gradiente)
    assert w.grad.item() == pytest.approx(-0.56)
    assert b.grad.item() == pytest.approx(-0.4)
    tw, tb, _, _, tloss = _linear_regression_step(torch)
    assert w.grad.item() == tw.grad.item()  # bit-identical float32 results
    assert b.grad.item() == tb.grad.item()
    assert loss.item() == tloss.item()


def test_lecture_printed_output(capsys):
    w, b, x, y, _ = _linear_regression_step(gradiente)
    print("dL/dw : ", w.grad)
    print("dL/db : ", b.grad)
    print(2 * x * ((w * x + b) - y))  # Computando dL/dw
    assert capsys.readouterr().out == (
        "dL/dw :  tensor(-0.5600)\n"
        "dL/db :  tensor(-0.4000)\n"
        "tensor([-0.5600], grad_fn=<MulBackward0>)\n"
    )


def _gradient_descent_step(m, x=2.1, y=4.0):
    """One gradient-descent step on L = (w·x + b − y)², then the loss again."""
    w = m.tensor(1.0, requires_grad=True)
    b = m.tensor(0.0, requires_grad=True)
    loss = (w * x + b - y) ** 2
    loss.backward()
    grads = (w.grad.item(), b.grad.item())
    with m.no_grad():
        w -= 0.01 * w.grad
        b -= 0.01 * b.grad
    new_loss = (w * x + b - y) ** 2
    return grads, (w.item(), b.item()), new_loss


def test_lecture_gradient_descent_step():
    (dw, db), (w, b), new_loss = _gradient_descent_step(gradiente)
    assert dw == pytest.approx(-7.98, abs=1e-5)
    assert db == pytest.approx(-3.8, abs=1e-5)
    assert w == pytest.approx(1.0798) and b == pytest.approx(0.038)
    assert round(new_loss.item(), 2) == 2.87
    (tdw, tdb), (tw, tb), t_new_loss = _gradient_descent_step(torch)
    assert (dw, db, w, b) == (tdw, tdb, tw, tb)  # the exact float32 numbers
    assert new_loss.item() == t_new_loss.item()
    assert repr(new_loss) == repr(t_new_loss)


def test_lecture_gradient_descent_step_with_tensor_data():
    (dw, db), _, new_loss = _gradient_descent_step(
        gradiente, gradiente.tensor(2.1), gradiente.tensor(4.0)
    )
    (tdw, tdb), _, t_new_loss = _gradient_descent_step(torch, torch.tensor(2.1), torch.tensor(4.0))
    assert (dw, db) == (tdw, tdb)
    assert new_loss.item() == t_new_loss.item()


def test_lecture_training_loop_converges_like_torch():
    """Repeating the step: the same trajectory as torch, float32 bit for bit."""

    def run(m):
        w = m.tensor(1.0, requires_grad=True)
        b = m.tensor(0.0, requires_grad=True)
        losses = []
        for _ in range(50):
            loss = (w * 2.1 + b - 4.0) ** 2
            losses.append(loss.item())
            loss.backward()
            with m.no_grad():
                w -= 0.01 * w.grad
                b -= 0.01 * b.grad
                w.grad.zero_()
                b.grad.zero_()
        return losses, w.item(), b.item()

    g_losses, gw, gb = run(gradiente)
    t_losses, tw, tb = run(torch)
    assert g_losses == t_losses and (gw, gb) == (tw, tb)
    assert g_losses[-1] < 1e-3 * g_losses[0]

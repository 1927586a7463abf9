"""gradiente.viz: graphs, backward traces, memory reports, surfaces, paths and landscapes."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import shutil
from functools import partial

import matplotlib.image
import numpy as np
import pytest

import gradiente
from gradiente import nn, optim, viz
from gradiente.autograd.function import AccumulateGrad, _SavedOutput


def _mlp(seed=0):
    """Linear(3, 4) → ReLU → Linear(4, 2) in float64, a batch of 5, and its MSE loss."""
    gradiente.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    x = gradiente.randn(5, 3, dtype=gradiente.float64)
    y = gradiente.randn(5, 2, dtype=gradiente.float64)
    return model, x, y


def _graph_nodes(root):
    """Every node reachable from root.grad_fn (independent of viz), along the edges the
    engine walks (``_edges``; ``next_functions`` shows a fused loss's inputs instead)."""
    seen, stack = set(), [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(n for n, _ in node._edges)
    return seen


def _saved_arrays(node):
    """The arrays a node keeps for backward: save_for_backward items and ctx arrays."""
    arrays = []
    for item in node._saved:
        arrays.append(item.array if isinstance(item, _SavedOutput) else item._data)
    for key, value in node.__dict__.items():
        if key.startswith("_"):
            continue
        values = value if isinstance(value, (tuple, list)) else [value]
        arrays += [v for v in values if isinstance(v, np.ndarray)]
    return arrays


def _nonblank_png(path):
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= 100
    assert image[..., :3].std() > 0.05


# --- draw_graph ---------------------------------------------------------------------------


def test_draw_graph_nodes_edges_and_gradients():
    model, x, y = _mlp()
    loss = nn.functional.mse_loss(model(x), y)
    params = dict(model.named_parameters())
    graph = viz.draw_graph(loss, params)
    nodes = _graph_nodes(loss)
    assert len(graph.nodes) == len(nodes)
    assert len(graph.edges) == sum(1 for n in nodes for nxt, _ in n._edges if nxt is not None)
    leaves = {g.name: g for g in graph.nodes if g.kind == "leaf"}
    assert sorted(leaves) == sorted(params)
    assert sum(g.kind == "output" for g in graph.nodes) == 1
    loss.backward()  # draw_graph left .grad alone and the graph usable
    for name, p in params.items():
        np.testing.assert_allclose(leaves[name].grad, p.grad.numpy(), rtol=1e-12)
        np.testing.assert_array_equal(leaves[name].value, p.detach().numpy())
        assert leaves[name].shape == tuple(p.shape)
    out = next(g for g in graph.nodes if g.kind == "output")
    assert out.grad == 1.0 and out.shape == () and float(out.value) == loss.item()


def test_draw_graph_intermediate_gradients_equal_retained_grads():
    w = gradiente.tensor([1.0, -2.0, 0.5], dtype=gradiente.float64, requires_grad=True)
    h = (w * 3.0).tanh()
    h.retain_grad()
    loss = (h**2).sum()
    graph = viz.draw_graph(loss, {"w": w})
    tanh = next(g for g in graph.nodes if g.op == "TanhBackward0")
    loss.backward()
    np.testing.assert_allclose(tanh.grad, h.grad.numpy(), rtol=1e-12)
    # tanh saves its output, so the graph knows this node's value
    np.testing.assert_allclose(tanh.value, h.detach().numpy())
    assert tanh.shape == (3,)


def test_draw_graph_after_backward_shows_leaf_grads():
    w = gradiente.tensor(1.0, requires_grad=True)
    b = gradiente.tensor(0.5, requires_grad=True)
    loss = ((gradiente.tensor([2.1]) - (w * gradiente.tensor([1.4]) + b)) ** 2).sum()
    loss.backward()
    graph = viz.draw_graph(loss, {"w": w, "b": b})
    leaves = {g.name: g for g in graph.nodes if g.kind == "leaf"}
    assert leaves["w"].grad == pytest.approx(-0.56, abs=1e-6)
    assert leaves["b"].grad == pytest.approx(-0.4, abs=1e-6)


def test_draw_graph_dot_text_and_files(tmp_path):
    model, x, y = _mlp()
    loss = nn.functional.mse_loss(model(x), y)
    graph = viz.draw_graph(loss, dict(model.named_parameters()))
    dot = str(graph)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("->") == len(graph.edges)
    assert all(f"{n.id} [label=" in dot for n in graph.nodes)
    assert "AddmmBackward0" in dot and "0.weight" in dot
    assert graph.save(tmp_path / "g.dot").read_text() == dot
    _nonblank_png(graph.save(tmp_path / "g.png", engine="matplotlib"))
    assert (
        graph.save(tmp_path / "g.svg", engine="matplotlib").read_text().lstrip().startswith("<?xml")
    )


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_draw_graph_through_graphviz(tmp_path):
    loss = (gradiente.tensor([1.0, 2.0], requires_grad=True) ** 2).sum()
    _nonblank_png(viz.draw_graph(loss).save(tmp_path / "g.png", engine="graphviz"))


# --- explain_backward ---------------------------------------------------------------------


def test_explain_backward_lecture_example():
    w = gradiente.tensor(1.0, requires_grad=True)
    b = gradiente.tensor(0.5, requires_grad=True)
    z = gradiente.add(gradiente.mul(w, gradiente.tensor([1.4])), b)
    loss = (gradiente.tensor([2.1]) - z).pow(2).sum()
    trace = viz.explain_backward(loss, {"w": w, "b": b})
    text = str(trace)
    assert [s.op for s in trace.steps] == [
        "SumBackward0",
        "PowBackward0",
        "SubBackward0",
        "AddBackward0",
        "MulBackward0",
    ]
    assert "dL/dw = -0.56" in text and "dL/db = -0.4" in text
    assert w.grad is None and b.grad is None  # nothing accumulated
    # Pow step: upstream 1 × local 2(y − z) = 2·0.2 = 0.4 = downstream
    pow_step = trace.steps[1]
    target, _, local, down = pow_step.inputs[0]
    assert target == "SubBackward0"
    assert local == pytest.approx(0.4, rel=1e-6) and float(down[0]) == pytest.approx(0.4, rel=1e-6)
    loss.backward()  # the graph was retained
    assert w.grad.item() == pytest.approx(-0.56, rel=1e-6)


def test_explain_backward_on_mlp_matches_grad():
    model, x, y = _mlp(1)
    loss = nn.functional.mse_loss(model(x), y)
    params = dict(model.named_parameters())
    trace = viz.explain_backward(loss, params)
    n_ops = sum(not isinstance(n, AccumulateGrad) for n in _graph_nodes(loss))
    assert len(trace.steps) == n_ops
    loss.backward()
    for name, p in params.items():
        np.testing.assert_allclose(trace.leaf_grads[name], p.grad.numpy(), rtol=1e-12)
    # every step: what flows out to a node is what that node receives (summed over edges)
    received = {}
    for step in trace.steps:
        for target, _, _, down in step.inputs:
            if target not in params:
                received.setdefault(target, []).append(down)
    for step in trace.steps[1:]:
        if step.op in received and len(received[step.op]) == 1:
            np.testing.assert_allclose(step.upstream, received[step.op][0])


def test_explain_backward_refuses_a_freed_graph():
    w = gradiente.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed"):
        viz.explain_backward(loss)


# --- memory_report ------------------------------------------------------------------------


def test_memory_report_counts_the_saved_arrays():
    model, x, y = _mlp(2)
    with viz.track_modules(model):
        out = model(x)
    loss = nn.functional.mse_loss(out, y)
    report = viz.memory_report(loss, model)
    nodes = [n for n in _graph_nodes(loss) if not isinstance(n, AccumulateGrad)]
    expected = sum(a.nbytes for n in nodes for a in _saved_arrays(n))
    assert report.total == expected
    assert len(report.rows) == len(nodes)
    assert sum(report.by_op.values()) == report.total
    assert sum(report.by_module.values()) == report.total
    assert report.activations + report.leaves == report.total
    assert report.unique <= report.total
    # Linear(3, 4) on a batch of 5 keeps its input (5×3), for its weight's gradient, in
    # float64; not its weight, since the input needs no gradient (as torch)
    assert report.by_module["0"] == 5 * 3 * 8
    # Linear(4, 2) keeps the ReLU output (5×4) and its weight (2×4)
    assert report.by_module["2"] == (5 * 4 + 2 * 4) * 8
    relu = next(r for r in report.rows if r.op == "ReluBackward0")
    assert relu.module == "1"
    assert relu.nbytes == sum(
        a.nbytes for a in _saved_arrays(next(n for n in nodes if n.name() == "ReluBackward0"))
    )
    text = str(report)
    assert "AddmmBackward0" in text and f"{report.total:,}" in text


def test_memory_report_without_tracking_attributes_by_parameters():
    model, x, y = _mlp(3)
    loss = nn.functional.mse_loss(model(x), y)
    report = viz.memory_report(loss, model)
    assert {r.module for r in report.rows if r.op == "AddmmBackward0"} == {"0", "2"}
    assert sum(report.by_module.values()) == report.total


def test_memory_report_after_backward_is_empty():
    model, x, y = _mlp(4)
    loss = nn.functional.mse_loss(model(x), y)
    assert viz.memory_report(loss).total > 0
    loss.backward()
    after = viz.memory_report(loss)
    # backward released every saved tensor; only arrays an op kept on ctx may remain
    assert all(item.kind == "ctx" for row in after.rows for item in row.items)
    assert after.total < viz.memory_report(loss).total + 1 and after.leaves == 0


# --- surfaces and paths -------------------------------------------------------------------


def bowl(x, y):
    return x**2 + 10 * y**2


def test_trace_follows_gradient_descent_exactly():
    lr = 0.02
    traj = viz.trace(bowl, partial(optim.SGD, lr=lr), (1.0, 1.0), 25)
    t = np.arange(26)
    # x_{t+1} = (1 − 2η) x_t, y_{t+1} = (1 − 20η) y_t
    np.testing.assert_allclose(traj.points[:, 0], (1 - 2 * lr) ** t, rtol=1e-12)
    np.testing.assert_allclose(traj.points[:, 1], (1 - 20 * lr) ** t, rtol=1e-12)
    np.testing.assert_allclose(traj.losses, bowl(traj.points[:, 0], traj.points[:, 1]))
    assert not traj.diverged


def test_trace_flags_divergence():
    traj = viz.trace(bowl, partial(optim.SGD, lr=0.5), (1.0, 1.0), 100)
    assert traj.diverged and len(traj.points) < 101


def test_trace_of_a_model_matches_a_training_loop_and_restores_it():
    gradiente.manual_seed(0)
    x = gradiente.rand(20, 1) * 2
    y = 0.8 + 0.5 * x
    model = nn.Linear(1, 1)
    before = [p.detach().clone() for p in model.parameters()]
    traj = viz.trace(
        model,
        partial(optim.SGD, lr=0.1),
        (0.0, 1.0),
        15,
        loss_fn=nn.MSELoss(),
        data=(x, y),
        params=[model.bias, model.weight],
    )
    for p, p0 in zip(model.parameters(), before, strict=False):
        assert gradiente.equal(p, p0)
    check = nn.Linear(1, 1)
    with gradiente.no_grad():
        check.bias.fill_(0.0)
        check.weight.fill_(1.0)
    opt = optim.SGD(check.parameters(), lr=0.1)
    for _ in range(15):
        opt.zero_grad()
        nn.MSELoss()(check(x), y).backward()
        opt.step()
    np.testing.assert_allclose(traj.points[-1], [check.bias.item(), check.weight.item()], rtol=1e-6)


def test_model_surface_needs_two_numbers():
    with pytest.raises(ValueError, match="two numbers"):
        viz.plot_loss_surface(
            nn.Linear(2, 1),
            loss_fn=nn.MSELoss(),
            data=(gradiente.zeros(3, 2), gradiente.zeros(3, 1)),
        )


def test_plots_write_nonblank_images(tmp_path):
    fig = viz.plot_loss_surface(
        viz.rosenbrock, (-2, 2), (-1, 3), log_scale=True, resolution=30, points={"minimum": (1, 1)}
    )
    assert fig.axes[0].get_xlabel() and len(fig.axes) == 2  # the axes and its colour bar
    fig.savefig(tmp_path / "surface.png")
    _nonblank_png(tmp_path / "surface.png")

    fig = viz.plot_paths(
        bowl,
        {"SGD": partial(optim.SGD, lr=0.05), "Adam": partial(optim.Adam, lr=0.1)},
        (1.5, 1.0),
        20,
        loss_curve=True,
        resolution=30,
    )
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["SGD", "Adam"]
    fig.savefig(tmp_path / "paths.png")
    _nonblank_png(tmp_path / "paths.png")

    fig = viz.lr_sweep(bowl, [0.01, 0.05, 0.11], (1.5, 1.0), 15, resolution=30)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == ["η = 0.01", "η = 0.05", "η = 0.11 — diverges"]
    fig.savefig(tmp_path / "lr.png")
    _nonblank_png(tmp_path / "lr.png")

    fig = viz.compare_optimizers(
        viz.beale, (1.0, 1.5), 30, xlim=(-0.5, 4), ylim=(-1, 2), minimum=(3, 0.5), resolution=30
    )
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert [label.split(" (")[0] for label in legend] == list(viz.default_optimizers())
    fig.savefig(tmp_path / "compare.png")
    _nonblank_png(tmp_path / "compare.png")


def test_animate_paths_writes_a_moving_gif(tmp_path):
    from PIL import Image

    path = viz.animate_paths(
        bowl,
        {"SGD": partial(optim.SGD, lr=0.05)},
        (1.5, 1.0),
        30,
        tmp_path / "race.gif",
        frames=10,
        resolution=30,
    )
    with Image.open(path) as gif:
        assert gif.n_frames == 10
        first = np.asarray(gif.convert("RGB"), dtype=float)
        gif.seek(9)
        last = np.asarray(gif.convert("RGB"), dtype=float)
    assert np.abs(first - last).mean() > 0.1


# --- loss landscape and activation statistics --------------------------------------------


def test_filter_normalized_directions():
    model, _, _ = _mlp(5)
    d = viz.filter_normalized_direction(model, gradiente.Generator().manual_seed(0))
    for p, dp in zip(model.parameters(), d, strict=False):
        assert dp.shape == p.shape
        if p.dim() == 1:
            assert not dp.numpy().any()  # biases: no direction (Li et al.'s reference code)
        else:
            np.testing.assert_allclose(
                np.linalg.norm(dp.numpy(), axis=1),
                np.linalg.norm(p.detach().numpy(), axis=1),
                rtol=1e-6,
            )


def test_loss_landscape_centre_is_the_trained_loss_and_params_are_restored():
    model, x, y = _mlp(6)
    before = [p.detach().clone() for p in model.parameters()]
    land = viz.loss_landscape(model, nn.MSELoss(), (x, y), steps=5, span=0.5)
    assert land.loss.shape == (5, 5)
    assert land.loss[2, 2] == pytest.approx(nn.MSELoss()(model(x), y).item(), rel=1e-10)
    assert np.ptp(land.loss) > 0
    for p, p0 in zip(model.parameters(), before, strict=False):
        assert gradiente.equal(p, p0)
    again = viz.loss_landscape(model, nn.MSELoss(), (x, y), steps=5, span=0.5)
    np.testing.assert_array_equal(land.loss, again.loss)  # seeded directions
    assert land.figure.axes[0].get_xlabel().startswith("$\\alpha$")


def test_activation_stats_match_hooks_and_leave_grads_alone():
    model, x, y = _mlp(7)
    stats = viz.activation_stats(model, (x, y), loss_fn=nn.MSELoss())
    assert [s.kind for s in stats.layers] == ["Linear", "ReLU", "Linear"]
    assert all(p.grad is None for p in model.parameters())
    h1 = model[0](x)
    h2 = model[1](h1)
    out = model[2](h2)
    for h in (h1, h2, out):
        h.retain_grad()
    nn.MSELoss()(out, y).backward()
    for s, h in zip(stats.layers, (h1, h2, out), strict=False):
        assert s.std == pytest.approx(h.detach().numpy().std(), rel=1e-10)
        assert s.grad_mean_abs == pytest.approx(np.abs(h.grad.numpy()).mean(), rel=1e-10)
    assert stats.layers[1].fraction_zero == pytest.approx((h2.detach().numpy() == 0).mean())
    assert "ReLU" in str(stats)

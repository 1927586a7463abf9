"""The lecture reproduced: each section's printed numbers, figures, and the command line.

The whole lecture runs once per test session (module-scoped fixture) into a temporary folder;
the tests then read its printed output and its images.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import contextlib
import io
import pathlib
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

import gradiente
from gradiente import lecture
from gradiente.lecture import adam, mlp_backward, nonconvex

ROOT = pathlib.Path(__file__).resolve().parents[2]
CELLS = ROOT / "examples" / "lecture_cells"

# The lecture's printed output of its gradient-descent cell (In [34]).
GD_LINES = [
    "f = 192.08000000000004;\tw: [9.8 9.8]",
    "f = 184.47363200000004;\tw: [9.604 9.604]",
    "f = 177.1684761728;\tw: [9.41192 9.41192]",
    "f = 170.15260451635714;\tw: [9.2236816 9.2236816]",
    "f = 163.41456137750941;\tw: [9.03920797 9.03920797]",
    "f = 156.94334474696007;\tw: [8.85842381 8.85842381]",
    "f = 150.72838829498042;\tw: [8.68125533 8.68125533]",
    "f = 144.75954411849915;\tw: [8.50763023 8.50763023]",
    "f = 139.0270661714066;\tw: [8.33747762 8.33747762]",
    "f = 133.5215943510189;\tw: [8.17072807 8.17072807]",
]
XAVIER = "tensor([[ 0.4183,  0.1688,  0.0390],\n        [ 0.3930, -0.2858, -0.1051]])"
AUTOGRAD = [
    "dL/dw :  tensor(-0.5600)",
    "dL/db :  tensor(-0.4000)",
    "tensor([-0.5600], grad_fn=<MulBackward0>)",
]


@pytest.fixture(scope="module")
def lecture_run(tmp_path_factory):
    """{section name: (printed text, files written)} for one run of every section."""
    out = tmp_path_factory.mktemp("lecture-figures")
    results = {}
    for section in lecture.SECTIONS:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            files = section.run(out)
        results[section.NAME] = (buf.getvalue(), files)
    return results


def _lines(lecture_run, name):
    return lecture_run[name][0].splitlines()


def test_gd_prints_the_lectures_lines(lecture_run):
    lines = [line for line in _lines(lecture_run, "gd") if line.startswith("f = ")]
    assert lines == GD_LINES


def test_backprop_worked_example_numbers(lecture_run):
    text = lecture_run["backprop"][0]
    assert "L = (s − y)² = (2.1 − 4)² = 3.61" in text
    assert "dL/ds = 2(s − y) = -3.8" in text
    assert "dL/dw = dL/ds · ∂s/∂w = -3.8 · 2.1 = -7.98" in text
    assert "dL/db = dL/ds · ∂s/∂b = -3.8 · 1 = -3.8" in text
    assert "autograd (L.backward()): w.grad = -7.98, b.grad = -3.8" in text
    assert "w := w − η·dL/dw = 1 − 0.01·(-7.98) = 1.0798" in text
    assert "b := b − η·dL/db = 0 − 0.01·(-3.8) = 0.038" in text
    assert "= 2.87  (2.87106), down from 3.61" in text
    note = next(line for line in text.splitlines() if line.startswith("note:"))
    assert "−7.68" in note and "typo" in note and "−7.98" in note


def test_autograd_cell_prints_exactly_three_lines(lecture_run):
    assert _lines(lecture_run, "autograd") == AUTOGRAD


def test_xavier_cell_prints_the_lectures_tensor(lecture_run):
    assert lecture_run["xavier"][0].startswith(XAVIER + "\n")


def test_adam_first_step_by_hand(lecture_run):
    # t = 1: m̂ = g and v̂ = g², so each coordinate moves by η = 0.1 (checked on paper).
    text = lecture_run["adam"][0]
    assert "g_t = ∇L(θ_t−1)                  = [-7.98, -3.8]" in text
    assert "m_t = β₁·m_t−1 + (1 − β₁)·g_t    = [-0.798, -0.38]" in text
    assert "v_t = β₂·v_t−1 + (1 − β₂)·g_t²   = [0.0636804, 0.01444]" in text
    assert "m̂_t = m_t / (1 − β₁^1)           = [-7.98, -3.8]" in text
    assert "v̂_t = v_t / (1 − β₂^1)           = [63.6804, 14.44]" in text
    assert "θ_t = θ_t−1 + Δθ                 = [1.1, 0.1]" in text


def test_adam_steps_match_torch(lecture_run):
    torch = pytest.importorskip("torch")
    text = lecture_run["adam"][0]
    p = torch.tensor(adam.THETA0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=adam.LR, betas=adam.BETAS, eps=adam.EPS)
    beta1, beta2 = adam.BETAS
    for t in range(1, adam.SHOWN_STEPS + 1):
        opt.zero_grad()
        adam.loss(p[0], p[1]).backward()
        g = p.grad.numpy().copy()
        opt.step()
        state = opt.state[p]
        m, v = state["exp_avg"].numpy(), state["exp_avg_sq"].numpy()
        for value in (g, m, v, m / (1 - beta1**t), v / (1 - beta2**t), p.detach().numpy()):
            assert f"= {adam.fmt(value)}" in text, (t, adam.fmt(value))
    assert "max |hand − optim.Adam| = 0.0e+00" in text


def test_mlp_hand_gradients_equal_autograd():
    model = mlp_backward.make_network(seed=3)
    linears = [m for m in model if isinstance(m, gradiente.nn.Linear)]
    Ws = [lin.weight.detach().numpy() for lin in linears]
    bs = [lin.bias.detach().numpy() for lin in linears]
    x, y = np.array([0.3, -0.7, 1.1]), np.array([0.2, 0.9])
    s, xs = mlp_backward.forward_by_hand(Ws, bs, x)
    hand = mlp_backward.backward_by_hand(Ws, s, xs, y)
    auto = mlp_backward.autograd_gradients(model, x, y)
    for key in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(hand[key], auto[key], rtol=1e-10, atol=1e-14)
    # ∂L/∂x⁽⁰⁾ = W⁽¹⁾ᵀ ∂L/∂s⁽¹⁾, against autograd's gradient for the input
    xt = gradiente.tensor(x).reshape(1, -1).requires_grad_()
    ((model(xt) - gradiente.tensor(y).reshape(1, -1)) ** 2).sum().backward()
    np.testing.assert_allclose(hand["x0"], xt.grad.numpy().ravel(), rtol=1e-10, atol=1e-14)


def test_mlp_hand_gradients_equal_torch():
    torch = pytest.importorskip("torch")
    model = mlp_backward.make_network(seed=4)
    linears = [m for m in model if isinstance(m, gradiente.nn.Linear)]
    Ws = [lin.weight.detach().numpy() for lin in linears]
    bs = [lin.bias.detach().numpy() for lin in linears]
    x, y = np.array([1.0, 0.5, -2.0]), np.array([0.0, 1.0])
    s, xs = mlp_backward.forward_by_hand(Ws, bs, x)
    hand = mlp_backward.backward_by_hand(Ws, s, xs, y)
    tW = [torch.from_numpy(W.copy()).requires_grad_() for W in Ws]
    tb = [torch.from_numpy(b.copy()).requires_grad_() for b in bs]
    h = torch.from_numpy(x)
    for W, b in zip(tW, tb, strict=False):
        h = torch.sigmoid(W @ h + b)
    ((h - torch.from_numpy(y)) ** 2).sum().backward()
    for k in range(2):
        np.testing.assert_allclose(hand[f"W{k + 1}"], tW[k].grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(hand[f"b{k + 1}"], tb[k].grad.numpy(), rtol=1e-10)


def test_mlp_section_reports_agreement(lecture_run):
    diffs = [line for line in _lines(lecture_run, "mlp") if "max |hand − autograd|" in line]
    assert len(diffs) == 4
    assert all(float(line.rsplit("=", 1)[1]) < 1e-12 for line in diffs)


def test_nonconvex_critical_points_are_classified_by_the_hessian():
    crit = nonconvex.critical_points()
    kinds = [kind for _, _, kind in crit]
    assert kinds.count("minimum") == 4 and kinds.count("saddle") == 4
    assert kinds.count("maximum") == 1
    for p, eig, _ in crit:
        x, y = p
        # ∇f = (4x(x² − 1) + 0.5, 4y(y² − 1) + 0.25) = 0; H = diag(12x² − 4, 12y² − 4)
        assert abs(4 * x * (x * x - 1) + 0.5) < 1e-9 and abs(4 * y * (y * y - 1) + 0.25) < 1e-9
        np.testing.assert_allclose(sorted(eig), sorted([12 * x * x - 4, 12 * y * y - 4]))


def _check_png(path: pathlib.Path):
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] >= 100 and image.shape[1] >= 100, path
    rgb = image[..., :3].astype(float)
    assert rgb.std() > 0.05, f"{path.name} looks blank (pixel std {rgb.std():.3f})"
    # not one colour with a few specks: several distinct colours cover the picture
    q = (rgb * 15).round().astype(int)
    levels = np.unique(q[..., 0] * 256 + q[..., 1] * 16 + q[..., 2])
    assert len(levels) > 20, f"{path.name} has only {len(levels)} colour levels"


def _check_gif(path: pathlib.Path):
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames > 5
        first = np.asarray(gif.convert("RGB"), dtype=float)
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB"), dtype=float)
    assert first.std() > 0.05 * 255
    assert np.abs(first - last).mean() > 0.1, "the animation does not move"


@pytest.mark.parametrize("name", [s.NAME for s in lecture.SECTIONS])
def test_every_section_writes_valid_nonblank_images(lecture_run, name):
    files = [pathlib.Path(f) for f in lecture_run[name][1]]
    images = [f for f in files if f.suffix in (".png", ".gif")]
    assert images, f"section {name} wrote no image"
    for f in images:
        assert f.exists() and f.stat().st_size > 1000
        (_check_png if f.suffix == ".png" else _check_gif)(f)


def test_lecture_writes_the_race_gif(lecture_run):
    assert any(pathlib.Path(f).suffix == ".gif" for f in lecture_run["optimizers"][1])


def test_main_lists_the_sections(capsys):
    assert lecture.main(["--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 11
    assert [line.split()[1] for line in out] == [s.NAME for s in lecture.SECTIONS]


def test_main_runs_only_the_chosen_sections(tmp_path, capsys):
    assert lecture.main(["--only", "autograd", "backprop", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "=== 8. autograd:" in out and "=== 6. backprop:" in out and "=== 1. gd" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "06-backprop-graph.dot",
        "06-backprop-graph.png",
        "08-autograd-graph.png",
    ]


def test_main_rejects_an_unknown_section(capsys):
    with pytest.raises(SystemExit) as err:
        lecture.main(["--only", "nope"])
    assert err.value.code == 2
    assert "nope" in capsys.readouterr().err


def _expected_output(script: pathlib.Path) -> str:
    """The "Expected output:" block of a cell script's docstring."""
    doc = script.read_text(encoding="utf-8").split('"""')[1]
    return doc.split("Expected output:\n", 1)[1].rstrip() + "\n"


CELL_SCRIPTS = ["xavier.py", "autograd.py", "training_loop.py"]


@pytest.mark.parametrize("name", CELL_SCRIPTS)
def test_lecture_cells_run_unmodified_under_gradiente_run(name):
    pytest.importorskip("gradiente.compat")
    script = CELLS / name
    done = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == _expected_output(script)


def test_lecture_cells_print_the_same_under_torch():
    pytest.importorskip("torch")
    scripts = [str(CELLS / name) for name in CELL_SCRIPTS]
    run_all = "import runpy, sys\nfor p in sys.argv[1:]: runpy.run_path(p, run_name='__main__')"
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    done = subprocess.run(
        [sys.executable, "-c", run_all, *scripts],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "".join(_expected_output(CELLS / name) for name in CELL_SCRIPTS)

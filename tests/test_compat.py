"""The torch import alias (``gradiente.compat``): ``import torch`` resolves to gradiente.

Each check runs in a fresh interpreter, because this test process may have imported the real
torch (the alias refuses to shadow a torch that is already loaded).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import subprocess
import sys

import numpy as np
import pytest

import gradiente
from conftest import run_with_torch_alias
from gradiente.compat import GradScaler, autocast


def test_torch_modules_are_gradientes():
    result = run_with_torch_alias("""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.nn.init as init
        import torch.optim as optim
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader, TensorDataset
        import torch.autograd
        import gradiente
        import gradiente.nn.functional, gradiente.optim, gradiente.data

        assert torch.Tensor is gradiente.Tensor
        assert nn.Linear is gradiente.nn.Linear
        assert F.relu is gradiente.nn.functional.relu
        assert init.kaiming_uniform_ is gradiente.nn.init.kaiming_uniform_
        assert optim.Adam is gradiente.optim.Adam
        assert StepLR is gradiente.optim.lr_scheduler.StepLR
        assert DataLoader is gradiente.data.DataLoader
        assert torch.autograd.grad is gradiente.autograd.grad
        assert torch.save is gradiente.save and torch.load is gradiente.load
        assert torch.nn is nn and torch.nn.functional is F and torch.optim is optim
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_devices_are_the_cpu():
    result = run_with_torch_alias("""
        import torch
        assert torch.cuda.is_available() is False
        assert torch.backends.mps.is_available() is False
        assert torch.accelerator.is_available() is False
        torch.backends.cudnn.deterministic = True
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        x = torch.ones(2).to(device)
        model = torch.nn.Linear(2, 1).to(device)
        print(device, x.device, model(x).shape)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["cpu", "cpu"]


@pytest.mark.parametrize(
    "code,name",
    [
        ("torch.fft.fft(torch.ones(4))", "torch.fft.fft"),
        ("import torch.export", "torch.export"),
        ("torch.cuda.get_device_capability(0)", "torch.cuda.get_device_capability"),
        ("import torchvision.models.detection", "torchvision.models.detection"),
    ],
)
def test_missing_api_is_named(code, name):
    result = run_with_torch_alias("import torch\n" + code)
    assert result.returncode == 1
    assert f"{name} is not supported by gradiente" in result.stderr.splitlines()[-1]


def test_install_refuses_to_shadow_a_loaded_torch():
    pytest.importorskip("torch")
    code = "import torch\nfrom gradiente import compat\ncompat.install()"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1 and "already imported" in result.stderr


def test_uninstall_forgets_the_alias():
    result = run_with_torch_alias("""
        import sys
        import torch
        compat.uninstall()
        assert "torch" not in sys.modules
        assert compat._finder not in sys.meta_path
        print("ok")
    """)
    assert result.returncode == 0, result.stderr


def test_explain_names_what_is_missing():
    result = run_with_torch_alias("""
        import torch
        try:
            from torch.nn import Transformer9
        except ImportError as error:
            print(compat.explain(error))
        try:
            torch.ones(2).no_such_method()
        except AttributeError as error:
            print(compat.explain(error))
        print(compat.explain(ValueError("the script's own")))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "gradiente run: torch.nn.Transformer9 is not supported by gradiente",
        "gradiente run: torch.Tensor.no_such_method is not supported by gradiente",
        "None",
    ]


def test_autocast_and_grad_scalers_are_importable_the_torch_way():
    result = run_with_torch_alias("""
        import torch
        from torch.amp import GradScaler, autocast
        import torch.cuda.amp

        with torch.autocast(device_type="cpu", enabled=False):
            y = torch.ones(2) * 2
        with autocast("cpu"):
            pass
        scaler = torch.cuda.amp.GradScaler(enabled=torch.cuda.is_available())
        assert not scaler.is_enabled() and scaler.scale(y) is y
        with torch.cuda.amp.autocast(enabled=False):
            pass
        print(GradScaler("cpu").get_scale())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["65536.0"]
    assert "full precision" in result.stderr


@pytest.mark.parametrize("poison_step", [None, 1])
def test_grad_scaler_scales_unscales_and_skips_like_torch(poison_step):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0, x = rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal((4, 3))
    results = {}
    for lib, scaler in (
        (gradiente, GradScaler("cpu", init_scale=2.0**10, growth_interval=2)),
        (torch, torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=2)),
    ):
        w = lib.from_numpy(w0.copy()).requires_grad_()
        optimizer = lib.optim.SGD([w], lr=0.1)
        inputs = lib.from_numpy(x.astype(np.float32))
        trace = []
        for step in range(4):
            optimizer.zero_grad()
            loss = (inputs @ w).pow(2).mean()
            scaled = scaler.scale(loss)
            scaled.backward()
            if step == poison_step:
                w.grad[0, 0] = float("inf")
            scaler.unscale_(optimizer)
            grad = w.grad.clone()
            scaler.step(optimizer)
            scaler.update()
            trace.append((scaler.get_scale(), [scaled.item(), *grad.flatten().tolist()]))
            trace.append((w.grad is not None, w.flatten().tolist()))
        results[lib.__name__] = trace
    for ours, theirs in zip(results["gradiente"], results["torch"], strict=True):
        assert ours[0] == theirs[0]  # the scale (or whether a step happened) exactly
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)  # float32 rounding


def test_disabled_grad_scaler_passes_through():
    scaler = GradScaler(enabled=False)
    loss = gradiente.ones(())
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    with autocast("cpu", enabled=False):
        pass


def test_submodule_imports_resolve_under_gradiente_run(tmp_path):
    script = tmp_path / "submodules.py"
    script.write_text(
        "from torch.func import grad\n"
        "from torch.linalg import norm\n"
        "from torch.autograd.function import Function\n"
        "from torch.utils.data.dataset import Dataset\n"
        "import torch.special\n"
        "import torch\n"
        "x = torch.tensor([3.0, 4.0])\n"
        "print(norm(x).item(), torch.special.expit(torch.tensor(0.0)).item())\n"
        "print(grad(lambda t: (t ** 2).sum())(x).tolist())\n"
    )
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines() == ["5.0 0.5", "[6.0, 8.0]"]


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_spawned_children_of_gradiente_run_import_gradiente_as_torch(tmp_path, start_method):
    script = tmp_path / "spawned.py"
    script.write_text(
        "import torch\n"
        "import torch.multiprocessing as mp\n"
        "\n"
        "def work(t):\n"
        "    t += 1\n"
        "    print('child:', torch.__version__.split('+')[-1], flush=True)\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    t = torch.zeros(2).share_memory_()\n"
        f"    p = mp.get_context({start_method!r}).Process(target=work, args=(t,))\n"
        "    p.start()\n"
        "    p.join()\n"
        "    print('parent:', p.exitcode, t.tolist())\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "gradiente", "run", str(script)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines() == ["child: gradiente", "parent: 0 [1.0, 1.0]"]


def test_a_scripts_monkeypatch_reaches_the_code_gradiente_runs():
    """``torch.nn.init.kaiming_uniform_ = f`` changes what ``nn.Linear`` calls, and
    ``F.relu = g`` what ``nn.ReLU`` calls, as in torch; imports still bind submodules to the
    aliases only (``torch.nn.functional`` stays an alias, gradiente's own module untouched)."""
    result = run_with_torch_alias("""
        import torch
        import torch.nn.functional as F
        import gradiente
        torch.nn.init.kaiming_uniform_ = lambda t, **k: t.data.fill_(0.5)
        print(torch.nn.Linear(2, 1).weight.tolist())
        relu = F.relu
        F.relu = lambda x, inplace=False: relu(x) * 2
        print(torch.nn.ReLU()(torch.tensor([1.0, -1.0])).tolist())
        print(type(gradiente.nn.functional).__name__, gradiente.nn.functional.__name__)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "[[0.5, 0.5]]",
        "[2.0, 0.0]",
        "module gradiente.nn.functional",
    ]

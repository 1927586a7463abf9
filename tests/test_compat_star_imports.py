"""``gradiente run``'s torch alias answers torch's module attributes (``__version__``,
``__file__``, ``torch.version``) and star imports as torch does."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest

from conftest import run_with_torch_alias
from gradiente.compat import TORCH_VERSION, TorchVersion


def test_torch_version_attributes_under_gradiente_run():
    result = run_with_torch_alias("""
        import os
        import torch
        import gradiente
        print(torch.__version__, torch.version.__version__ == torch.__version__)
        print(torch.__version__ >= "2.2", torch.__version__ < (2, 14), torch.__version__ > "2.13")
        print(torch.__file__ == gradiente.__file__, os.path.isfile(torch.__file__))
        print(torch.version.cuda, torch.version.git_version, torch.version.hip)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:4] == [
        "2.13.0+gradiente True",
        "True True False",
        "True True",
        "None Unknown None",
    ]


def test_torch_version_parses_as_a_version_and_matches_torchs_release():
    torch = pytest.importorskip("torch")
    packaging_version = pytest.importorskip("packaging.version")
    ours = packaging_version.parse(TORCH_VERSION)
    assert ours.release == packaging_version.parse(torch.__version__).release
    assert ours.local == "gradiente"
    for other in ("1.13", "2.0.1", "2.13", "2.13.0", "2.14", "3"):
        assert (TORCH_VERSION >= other) == (torch.__version__.split("+")[0] >= other)
        assert (TORCH_VERSION < other) == (torch.__version__.split("+")[0] < other)


def test_torch_version_compares_releases_not_characters():
    assert TorchVersion("2.13.0") > "2.2" and TorchVersion("2.13.0") >= (2, 13)
    assert TorchVersion("2.13.0") == (2, 13, 0) and TorchVersion("2.13.0") == "2.13.0"
    with pytest.raises(ValueError, match="Invalid version"):
        TorchVersion("2.13.0") < "latest"  # noqa: B015 - the comparison raises


def _star_import(module: str) -> dict:
    """The names ``from <module> import *`` binds (run with whichever torch is imported)."""
    namespace: dict = {}
    exec(f"from {module} import *", namespace)
    namespace.pop("__builtins__")
    return namespace


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("torch.utils.data", ["TensorDataset", "DataLoader", "random_split", "Subset"]),
        ("torch.nn", ["Linear", "Module", "Parameter", "CrossEntropyLoss", "functional"]),
        ("torch", ["tensor", "float32", "no_grad", "Tensor", "save", "load", "manual_seed", "all"]),
        ("torch.nn.functional", ["relu", "cross_entropy", "softmax", "linear"]),
        ("torch.optim", ["SGD", "Adam", "lr_scheduler"]),
        ("torch.amp", ["GradScaler", "autocast"]),
    ],
)
def test_star_imports_bind_torchs_names(module, names):
    pytest.importorskip("torch")
    theirs = _star_import(module)
    assert set(names) <= set(theirs)  # the names torch's star import binds too
    their_modules = sorted(n for n, v in theirs.items() if isinstance(v, type(pytest)))
    result = run_with_torch_alias(f"""
        import types
        ours = {{}}
        exec("from {module} import *", ours)
        ours.pop("__builtins__")
        print(all(name in ours for name in {names!r}))
        print(sorted(n for n, v in ours.items() if isinstance(v, types.ModuleType)))
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "True"
    # modules come in only where torch's star import brings them too (no gradiente internals)
    assert set(eval(lines[1])) <= set(their_modules)

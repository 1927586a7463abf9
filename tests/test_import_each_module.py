"""Every gradiente module imports on its own, right after ``import gradiente`` (which any import
of a submodule runs first): a module that only imports after some other one (an import cycle
broken by luck of order) fails here, not in a user's script."""

import subprocess
import sys

CHECK = r"""
import importlib, pkgutil, sys
import gradiente
names = sorted(m.name for m in pkgutil.walk_packages(gradiente.__path__, "gradiente."))
base = set(sys.modules)  # what ``import gradiente`` loads, in its own fixed order
failed = []
for name in names:
    if name.endswith("__main__"):
        continue
    for loaded in set(sys.modules) - base:
        del sys.modules[loaded]  # back to a bare ``import gradiente``: this module comes next
    try:
        importlib.import_module(name)
    except Exception as error:  # noqa: BLE001 - reported below, one line each
        failed.append(f"{name}: {type(error).__name__}: {error}")
print("\n".join(failed))
print(len(names), "modules")
"""


def test_each_module_imports_first():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    *failed, count = result.stdout.strip().splitlines()
    assert not failed, "\n".join(failed)
    assert int(count.split()[0]) > 100

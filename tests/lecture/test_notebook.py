"""examples/lecture.ipynb executes top to bottom and shows the lecture's numbers and figures.

Skips cleanly when nbclient, nbformat or a Python kernel (ipykernel) is not installed.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pathlib

import pytest

NOTEBOOK = pathlib.Path(__file__).resolve().parents[2] / "examples" / "lecture.ipynb"


def _kernel_available() -> bool:
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return False
    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return False
    return True


def test_lecture_notebook_executes(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if not _kernel_available():
        pytest.skip("no python3 Jupyter kernel (pip install ipykernel)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "f = 133.5215943510189;\tw: [8.17072807 8.17072807]" in text
    assert "dL/dw :  tensor(-0.5600)\ndL/db :  tensor(-0.4000)\n" in text
    assert "tensor([[ 0.4183,  0.1688,  0.0390],\n        [ 0.3930, -0.2858, -0.1051]])" in text
    assert "w = 1.0798, b = 0.0380, new loss = 2.87" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 9
    assert any("image/gif" in o.get("data", {}) for o in outputs)

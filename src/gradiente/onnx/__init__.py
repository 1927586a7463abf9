"""PyTorch's ``torch.onnx``: ``export`` a model to an ONNX file that onnxruntime can run.

The exporter traces: it runs the model once on example inputs and records every primitive op
(``trace.py``), converting each into ONNX nodes (``convert.py``); ``export.py`` assembles and
checks the ModelProto. Needs the optional ``onnx`` package (``pip install 'gradiente[onnx]'``,
which also installs onnxruntime to run the result); importing this module works without it.

    import gradiente as torch
    torch.onnx.export(model, torch.randn(1, 1, 28, 28), "model.onnx",
                      input_names=["image"], dynamic_axes={"image": {0: "batch"}})
"""

from gradiente.onnx.export import DEFAULT_OPSET, export, require_onnx
from gradiente.onnx.trace import UnsupportedOperatorError


def is_in_onnx_export() -> bool:
    """False: gradiente's exporter runs the model as it is, with no special export mode."""
    return False


__all__ = [
    "DEFAULT_OPSET",
    "UnsupportedOperatorError",
    "export",
    "is_in_onnx_export",
    "require_onnx",
]

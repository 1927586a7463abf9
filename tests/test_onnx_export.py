"""gradiente.onnx.export: each layer and each zoo model, run by onnxruntime, equals gradiente."""

from __future__ import annotations

import io

import numpy as np
import pytest

import gradiente
from gradiente import nn
from gradiente.cli import main
from gradiente.models import get_model
from gradiente.nn import functional as F

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from gradiente.onnx import UnsupportedOperatorError, export  # noqa: E402


def _session(proto):
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def _roundtrip(model, shape, seed=0, batch_sizes=None, **kwargs):
    """Export on one input, then compare onnxruntime with gradiente on *other* inputs (a value
    frozen into the graph by mistake would show); the largest difference."""
    gen = gradiente.Generator().manual_seed(seed)
    proto = export(model, gradiente.randn(*shape, generator=gen), **kwargs)
    onnx.checker.check_model(proto, full_check=True)
    session = _session(proto)
    model.eval()
    worst = 0.0
    for n in batch_sizes or (shape[0],):
        x = gradiente.randn(n, *shape[1:], generator=gen)
        with gradiente.no_grad():
            want = model(x).numpy()
        (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
        assert got.shape == want.shape
        worst = max(worst, float(np.abs(got - want).max()))
    return worst, proto


class Residual(nn.Module):
    """y = relu(x + f(x)): a residual addition between layers."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return F.relu(x + self.bn(self.conv(x)))


class Functional(nn.Module):
    """Tensor ops between layers: view, mean, cat, slicing, transpose, matmul, scalars."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 5)

    def forward(self, x):  # (N, 3, 4, 4)
        pooled = x.mean((2, 3))  # (N, 3)
        corner = x[:, :, 0, 1:3].flatten(1)  # (N, 6)
        both = gradiente.cat([pooled, pooled * 2.0 - 1], dim=1)  # (N, 6)
        h = self.fc(both + corner)  # (N, 5)
        gram = h.unsqueeze(2) @ h.unsqueeze(1)  # (N, 5, 5)
        return gram.transpose(1, 2).sum(-1) / 3 + (1 - h).exp().sqrt()


class Attention(nn.Module):
    """scaled_dot_product_attention on projections of one input, with a mask or causal."""

    def __init__(self, mask=None, causal=False):
        super().__init__()
        self.mask, self.causal = mask, causal

    def forward(self, q):
        return F.scaled_dot_product_attention(
            q, q * 2, q + 1, attn_mask=self.mask, is_causal=self.causal
        )


def _bn(layer):
    """A BatchNorm layer with non-trivial running statistics and affine parameters."""
    g = gradiente.Generator().manual_seed(3)
    n = layer.num_features
    with gradiente.no_grad():
        layer.running_mean.copy_(gradiente.randn(n, generator=g))
        layer.running_var.copy_(gradiente.rand(n, generator=g) + 0.5)
        layer.weight.copy_(gradiente.randn(n, generator=g))
        layer.bias.copy_(gradiente.randn(n, generator=g))
    return layer


LAYERS = [
    ("linear", lambda: nn.Linear(6, 4), (3, 6)),
    ("linear-3d", lambda: nn.Linear(6, 4), (2, 5, 6)),
    ("linear-nobias", lambda: nn.Linear(6, 4, bias=False), (3, 6)),
    ("conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2), (2, 3, 11)),
    ("conv2d", lambda: nn.Conv2d(3, 4, 3), (2, 3, 7, 7)),
    ("conv2d-geometry", lambda: nn.Conv2d(4, 6, (3, 2), (2, 1), (1, 2), (2, 1), 2), (2, 4, 9, 8)),
    ("conv2d-depthwise", lambda: nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), (2, 4, 6, 6)),
    ("conv-transpose2d", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1), (2, 3, 5, 5)),
    (
        "conv-transpose2d-output-padding",
        lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        (2, 4, 4, 5),
    ),
    ("maxpool2d", lambda: nn.MaxPool2d(2), (2, 3, 8, 8)),
    ("maxpool2d-padded", lambda: nn.MaxPool2d(3, 2, padding=1), (2, 3, 9, 9)),
    ("maxpool2d-ceil", lambda: nn.MaxPool2d(2, ceil_mode=True), (2, 3, 7, 7)),
    ("avgpool2d", lambda: nn.AvgPool2d(2), (2, 3, 8, 8)),
    (
        "avgpool2d-pad-excluded",
        lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        (2, 3, 7, 7),
    ),
    ("avgpool2d-divisor", lambda: nn.AvgPool2d(2, divisor_override=3), (2, 3, 6, 6)),
    ("adaptive-avgpool-1", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 6, 6)),
    ("adaptive-avgpool-2", lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 6, 6)),
    ("batchnorm1d", lambda: _bn(nn.BatchNorm1d(5)), (4, 5)),
    ("batchnorm2d", lambda: _bn(nn.BatchNorm2d(3)), (2, 3, 4, 4)),
    ("layernorm", lambda: nn.LayerNorm(6), (2, 3, 6)),
    ("layernorm-2d", lambda: nn.LayerNorm((3, 6), elementwise_affine=False), (2, 3, 6)),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("dropout-eval", lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), (3, 4)),
    ("relu", nn.ReLU, (3, 7)),
    ("leaky-relu", lambda: nn.LeakyReLU(0.2), (3, 7)),
    ("gelu", nn.GELU, (3, 7)),
    ("gelu-tanh", lambda: nn.GELU(approximate="tanh"), (3, 7)),
    ("sigmoid", nn.Sigmoid, (3, 7)),
    ("tanh", nn.Tanh, (3, 7)),
    ("softmax", lambda: nn.Softmax(dim=1), (3, 7)),
    ("log-softmax", lambda: nn.LogSoftmax(dim=-1), (3, 4, 7)),
    ("elu-silu-relu6", lambda: nn.Sequential(nn.ELU(0.5), nn.SiLU(), nn.ReLU6()), (3, 7)),
    ("flatten", lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 2)), (2, 3, 2, 2)),
    ("residual", Residual, (2, 4, 5, 5)),
    ("attention-causal", lambda: Attention(causal=True), (2, 2, 5, 4)),
    (
        "attention-bool-mask",
        lambda: Attention(mask=gradiente.ones(5, 5).tril().bool()),
        (2, 2, 5, 4),
    ),
    ("attention-float-mask", lambda: Attention(mask=gradiente.randn(5, 5)), (2, 2, 5, 4)),
    (
        "transformer-layer",
        lambda: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
        (2, 5, 8),
    ),
    ("functional", Functional, (2, 3, 4, 4)),
]


@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_onnxruntime(name, make, shape):
    gradiente.manual_seed(0)
    worst, _ = _roundtrip(make(), shape)
    assert worst < 1e-5, worst


@pytest.mark.parametrize(
    "name,in_shape",
    [
        ("logistic", (2,)),
        ("mlp", (1, 8, 8)),
        ("cnn", (1, 8, 8)),
        ("lenet5", (1, 28, 28)),
        ("vgg-small", (3, 32, 32)),
        ("vit", (1, 8, 8)),
    ],
)
def test_zoo_model_matches_onnxruntime_for_any_batch(name, in_shape):
    gradiente.manual_seed(0)
    model = get_model(name, in_shape, 10)
    if name == "vgg-small":
        for layer in model.features:
            if isinstance(layer, nn.BatchNorm2d):
                _bn(layer)
    worst, proto = _roundtrip(
        model,
        (2, *in_shape),
        # ViT's class token is expanded to the traced batch size: that size only
        batch_sizes=(2,) if name == "vit" else (1, 2, 5),
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
    )
    assert worst < 1e-5, worst
    assert [i.name for i in proto.graph.input] == ["image"]
    assert [o.name for o in proto.graph.output] == ["logits"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    # the parameters are stored under their state_dict names
    stored = {t.name for t in proto.graph.initializer}
    weights = {k for k in model.state_dict() if k.endswith("weight")}
    assert weights <= stored or name in ("vgg-small", "vit")  # folded into constants


def test_resnet18_matches_onnxruntime():
    models = pytest.importorskip("gradiente.vision.models")
    gradiente.manual_seed(0)
    model = models.resnet18(num_classes=10)
    for layer in model.modules():
        if isinstance(layer, nn.BatchNorm2d):
            _bn(layer)
    worst, proto = _roundtrip(model, (1, 3, 32, 32))
    assert worst < 1e-5, worst
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "MaxPool", "Add", "Relu", "Gemm"} <= ops
    # adaptive_avg_pool2d to 1×1 is a mean over H, W (as in torch), exported as ReduceMean
    assert "ReduceMean" in ops or "AveragePool" in ops


@pytest.mark.parametrize("opset", [17, 18, 20, 21])
def test_opsets(opset):
    gradiente.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.LayerNorm(6))
    worst, proto = _roundtrip(nn.Sequential(model, _MeanLast()), (3, 4), opset_version=opset)
    assert worst < 1e-5 and proto.opset_import[0].version == opset


class _MeanLast(nn.Module):
    def forward(self, x):
        return x.mean(-1, keepdim=True)


def test_file_outputs_and_names(tmp_path):
    gradiente.manual_seed(0)

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(3, 4)

        def forward(self, features):
            return self.a(features), self.b(features)

    model = TwoHeads()
    x = gradiente.randn(5, 3)
    path = tmp_path / "m.onnx"
    export(model, (x,), str(path))
    buffer = io.BytesIO()
    export(model, x, buffer, output_names=["first"])
    for data in (path.read_bytes(), buffer.getvalue()):
        proto = onnx.load_from_string(data)
        assert [i.name for i in proto.graph.input] == ["features"]  # forward's argument
    assert [o.name for o in onnx.load(str(path)).graph.output] == ["output_0", "output_1"]
    assert [o.name for o in proto.graph.output] == ["first", "output_1"]
    got = _session(proto).run(None, {"features": x.numpy()})
    with gradiente.no_grad():
        want = [t.numpy() for t in model(x)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-6)


def test_training_mode_is_restored_and_parameters_untouched():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    export(model, gradiente.randn(2, 3))
    assert model.training and all(p.requires_grad for p in model.parameters())


def test_unsupported_op_is_named():
    class Sorts(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return self.fc(x).sort(dim=1).values

    with pytest.raises(UnsupportedOperatorError, match=r"operation SortValues.* in Sorts") as info:
        export(Sorts(), gradiente.randn(2, 3))
    assert "Gemm" not in str(info.value) and "Linear" in str(info.value)  # the supported list


def test_bad_arguments():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="opset_version 9"):
        export(model, gradiente.randn(1, 2), opset_version=9)
    with pytest.raises(TypeError, match="args"):
        export(model, "not a tensor")


def test_cli_export_runs_in_onnxruntime(tmp_path, capsys):
    run = tmp_path / "run"
    train = ["train", "--dataset", "digits", "--model", "mlp", "--epochs", "1", "--out", str(run)]
    assert main([*train, "--no-progress"]) == 0
    out = tmp_path / "model.onnx"
    assert main(["export", str(run), "--onnx", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "onnxruntime's logits match" in printed
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    images = np.random.default_rng(0).random((7, 1, 8, 8), dtype=np.float32)
    (logits,) = session.run(None, {"input": images})
    assert logits.shape == (7, 10)
    assert main(["export", str(tmp_path / "missing"), "--onnx", str(out)]) != 0

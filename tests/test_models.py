"""The model zoo: shapes, parameter names and counts, numbers against the same nets in PyTorch,
and ``get_model``'s refusal of a model that does not fit the data."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente.models import MODELS, LeNet5, ModelMismatchError, get_model

SHAPES = {
    "logistic": (2,),
    "mlp": (1, 8, 8),
    "cnn": (1, 8, 8),
    "lenet5": (1, 28, 28),
    "vgg-small": (3, 32, 32),
    "vit": (1, 8, 8),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_output_shape(name):
    gradiente.manual_seed(0)
    model = get_model(name, SHAPES[name], 7)
    model.eval()
    out = model(gradiente.randn(3, *SHAPES[name]))
    assert tuple(out.shape) == (3, 7)


@pytest.mark.parametrize("in_shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8), (3, 16, 16)])
def test_cnn_fits_several_image_sizes(in_shape):
    model = get_model("cnn", in_shape, 10)
    assert tuple(model(gradiente.randn(2, *in_shape)).shape) == (2, 10)


def test_lenet5_parameters_are_pytorchs():
    """PyTorch's LeNet-5 for 1×28×28 (padding=2 on conv1): 61,706 parameters, same names."""
    model = LeNet5()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == {
        "conv1.weight": (6, 1, 5, 5),
        "conv1.bias": (6,),
        "conv2.weight": (16, 6, 5, 5),
        "conv2.bias": (16,),
        "fc1.weight": (120, 400),
        "fc1.bias": (120,),
        "fc2.weight": (84, 120),
        "fc2.bias": (84,),
        "fc3.weight": (10, 84),
        "fc3.bias": (10,),
    }
    assert sum(p.numel() for p in model.parameters()) == 61706
    assert model.conv1.padding in ((2, 2), 2)


@pytest.mark.parametrize(
    "name,in_shape,problem",
    [
        ("vgg-small", (1, 8, 8), "at least 32x32"),
        ("cnn", (2,), "expects images"),
        ("lenet5", (1, 8, 8), "28, 28"),
        ("vgg-small", (3, 36, 36), "divisible by 8"),
    ],
)
def test_mismatch_is_a_clear_error(name, in_shape, problem):
    with pytest.raises(ModelMismatchError, match=problem) as info:
        get_model(name, in_shape, 10)
    assert name in str(info.value) and str(tuple(in_shape)) in str(info.value)


def test_unknown_model_lists_the_choices():
    with pytest.raises(ValueError, match="logistic, mlp, cnn, lenet5, vgg-small"):
        get_model("resnet", (1, 8, 8), 10)


# --- the same networks written in PyTorch --------------------------------------------------------


def _torch_twin(name, in_shape, num_classes):
    """The zoo model ``name`` written directly in torch (same layers, same parameter names)."""
    torch = pytest.importorskip("torch")
    nn, F = torch.nn, torch.nn.functional
    c = in_shape[0]
    if name == "logistic":

        class Logistic(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear = nn.Linear(int(np.prod(in_shape)), num_classes)

            def forward(self, x):
                return self.linear(self.flatten(x))

        return Logistic()
    if name == "mlp":

        class Perceptron(nn.Module):
            def __init__(self):
                super().__init__()
                d = int(np.prod(in_shape))
                self.layers = nn.Sequential(
                    nn.Flatten(),
                    nn.Linear(d, 128),
                    nn.ReLU(),
                    nn.Linear(128, 64),
                    nn.ReLU(),
                    nn.Linear(64, num_classes),
                )

            def forward(self, x):
                return self.layers(x)

        return Perceptron()
    if name == "cnn":

        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                h, w = in_shape[1:]
                self.features = nn.Sequential(
                    nn.Conv2d(c, 32, 3, padding=1),
                    nn.ReLU(),
                    nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3, padding=1),
                    nn.ReLU(),
                    nn.MaxPool2d(2),
                )
                self.classifier = nn.Sequential(
                    nn.Flatten(),
                    nn.Linear(64 * (h // 4) * (w // 4), 128),
                    nn.ReLU(),
                    nn.Linear(128, num_classes),
                )

            def forward(self, x):
                return self.classifier(self.features(x))

        return CNN()
    if name == "lenet5":

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(c, 6, 5, padding=2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(400, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, num_classes)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                x = torch.flatten(x, 1)
                return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

        return Net()

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            layers, channels = [], c
            for v in (32, 32, "M", 64, 64, "M", 128, 128, "M"):
                if v == "M":
                    layers.append(nn.MaxPool2d(2))
                else:
                    layers += [nn.Conv2d(channels, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                    channels = v
            self.features = nn.Sequential(*layers)
            self.classifier = nn.Sequential(
                nn.Flatten(),
                nn.Linear(2048, 256),
                nn.ReLU(),
                nn.Dropout(0.5),
                nn.Linear(256, num_classes),
            )

        def forward(self, x):
            return self.classifier(self.features(x))

    return VGG()


# The ViT's torch twin and its checks live in tests/test_models_vit.py.
@pytest.mark.parametrize("name", [name for name in MODELS if name != "vit"])
def test_forward_and_gradients_match_torch(name):
    """Same weights and input in float64: same logits and same gradients as the torch twin."""
    torch = pytest.importorskip("torch")
    in_shape = SHAPES[name]
    twin = _torch_twin(name, in_shape, 5).double()
    model = get_model(name, in_shape, 5).double()
    assert list(model.state_dict()) == list(twin.state_dict())
    model.load_state_dict(
        {k: gradiente.from_numpy(v.detach().numpy().copy()) for k, v in twin.state_dict().items()}
    )
    model.eval()
    twin.eval()
    x = np.random.default_rng(0).standard_normal((4, *in_shape))
    target = np.array([0, 3, 1, 4])
    out = model(gradiente.from_numpy(x))
    t_out = twin(torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-7, atol=1e-10)
    gradiente.nn.functional.cross_entropy(out, gradiente.from_numpy(target)).backward()
    torch.nn.functional.cross_entropy(t_out, torch.from_numpy(target)).backward()
    t_params = dict(twin.named_parameters())
    for key, p in model.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), t_params[key].grad.numpy(), rtol=1e-6, atol=1e-10, err_msg=key
        )

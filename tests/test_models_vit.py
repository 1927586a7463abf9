"""The zoo's vision transformer: shapes per dataset, parameter names and count, outputs and
gradients against the same network written with torch.nn, and a short training run."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from gradiente import nn
from gradiente.models import ModelMismatchError, ViT, get_model
from gradiente.models.vit import default_patch_size

# digits, MNIST-like and CIFAR-10 samples, and the patch size picked for each
DATASET_SHAPES = [((1, 8, 8), 2), ((1, 28, 28), 4), ((3, 32, 32), 4)]


@pytest.mark.parametrize("in_shape, patch", DATASET_SHAPES)
def test_forward_shape_and_default_patch_per_dataset(in_shape, patch):
    gradiente.manual_seed(0)
    model = get_model("vit", in_shape, 10)
    assert model.patch_size == patch
    tokens = (in_shape[1] // patch) * (in_shape[2] // patch) + 1  # patches + class token
    assert tuple(model.pos_embed.shape) == (1, tokens, 64)
    assert tuple(model(gradiente.randn(3, *in_shape)).shape) == (3, 10)


def test_explicit_patch_size_and_size_options():
    model = ViT((1, 28, 28), 10, patch_size=7, dim=32, depth=2, heads=2, mlp_dim=48)
    assert tuple(model.pos_embed.shape) == (1, 17, 32)
    assert len(model.encoder.layers) == 2
    assert tuple(model(gradiente.randn(2, 1, 28, 28)).shape) == (2, 10)
    with pytest.raises(ValueError, match="patch size 3 does not divide"):
        ViT((1, 28, 28), 10, patch_size=3)


@pytest.mark.parametrize(
    "h, w, patch", [(8, 8, 2), (28, 28, 4), (32, 32, 4), (16, 24, 4), (64, 64, 8), (9, 9, 3)]
)
def test_default_patch_size(h, w, patch):
    assert default_patch_size(h, w) == patch


@pytest.mark.parametrize(
    "in_shape, problem", [((2,), "expects images"), ((1, 7, 8), "divides both image sides")]
)
def test_mismatch_is_a_clear_error(in_shape, problem):
    with pytest.raises(ModelMismatchError, match=problem):
        get_model("vit", in_shape, 10)


def test_parameter_names_and_count():
    """Conv patch embedding, class token, positions, 4 pre-norm layers, norm, head: 136,138."""
    model = get_model("vit", (1, 8, 8), 10)
    shapes = {k: tuple(v.shape) for k, v in model.named_parameters()}
    layer0 = {k[len("encoder.layers.0.") :]: v for k, v in shapes.items() if ".layers.0." in k}
    assert layer0 == {
        "self_attn.in_proj_weight": (192, 64),
        "self_attn.in_proj_bias": (192,),
        "self_attn.out_proj.weight": (64, 64),
        "self_attn.out_proj.bias": (64,),
        "linear1.weight": (128, 64),
        "linear1.bias": (128,),
        "linear2.weight": (64, 128),
        "linear2.bias": (64,),
        "norm1.weight": (64,),
        "norm1.bias": (64,),
        "norm2.weight": (64,),
        "norm2.bias": (64,),
    }
    others = {k: v for k, v in shapes.items() if not k.startswith("encoder.layers.")}
    assert others == {
        "cls_token": (1, 1, 64),
        "pos_embed": (1, 17, 64),
        "patch_embed.weight": (64, 1, 2, 2),
        "patch_embed.bias": (64,),
        "norm.weight": (64,),
        "norm.bias": (64,),
        "head.weight": (10, 64),
        "head.bias": (10,),
    }
    assert sum(1 for k in shapes if k.startswith("encoder.layers.")) == 4 * 12
    # per layer: 3·64·64 + 192 + 64·64 + 64 + 128·64 + 128 + 64·128 + 64 + 4·64 = 33,472
    assert sum(p.numel() for p in model.parameters()) == 4 * 33472 + 64 + 17 * 64 + 320 + 128 + 650


# --- the same network in torch.nn -----------------------------------------------------------------


def _torch_vit(in_shape, num_classes, patch, dim, depth, heads, mlp_dim, dropout):
    """The ViT written with torch.nn: same layers, same parameter names and order."""
    torch = pytest.importorskip("torch")

    class TorchViT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            c, h, w = in_shape
            tokens = (h // patch) * (w // patch) + 1
            self.cls_token = torch.nn.Parameter(torch.zeros(1, 1, dim))
            self.pos_embed = torch.nn.Parameter(torch.zeros(1, tokens, dim))
            self.patch_embed = torch.nn.Conv2d(c, dim, kernel_size=patch, stride=patch)
            torch.nn.init.normal_(self.pos_embed, std=0.02)  # drawn after the conv's weights
            layer = torch.nn.TransformerEncoderLayer(
                dim, heads, mlp_dim, dropout, "gelu", batch_first=True, norm_first=True
            )
            self.encoder = torch.nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
            self.norm = torch.nn.LayerNorm(dim)
            self.head = torch.nn.Linear(dim, num_classes)

        def forward(self, x):
            x = self.patch_embed(x).flatten(2).transpose(1, 2)
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
            return self.head(self.norm(self.encoder(x)[:, 0]))

    return TorchViT()


@pytest.mark.parametrize(
    "in_shape, train, dropout",
    [((1, 8, 8), False, 0.1), ((1, 8, 8), True, 0.0), ((3, 16, 16), True, 0.0)],
)
def test_outputs_and_gradients_match_torch(in_shape, train, dropout):
    """float64, copied weights: the same logits (eval mode, or train mode without dropout) and
    the same gradient for every parameter and for the input."""
    torch = pytest.importorskip("torch")
    sizes = dict(dim=16, depth=2, heads=4, mlp_dim=24, dropout=dropout)
    twin = _torch_vit(in_shape, 5, 2, **sizes).double()
    model = ViT(in_shape, 5, patch_size=2, **sizes).double()
    assert list(model.state_dict()) == list(twin.state_dict())
    rng = np.random.default_rng(0)
    weights = {k: rng.standard_normal(tuple(v.shape)) * 0.3 for k, v in twin.state_dict().items()}
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    model.load_state_dict({k: gradiente.from_numpy(v.copy()) for k, v in weights.items()})
    model.train(train)
    twin.train(train)
    x = rng.standard_normal((3, *in_shape))
    target = np.array([0, 3, 4])
    gx, tx = gradiente.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
    out, t_out = model(gx), twin(tx)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-9, atol=1e-12)
    nn.functional.cross_entropy(out, gradiente.from_numpy(target)).backward()
    torch.nn.functional.cross_entropy(t_out, torch.from_numpy(target)).backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    t_params = dict(twin.named_parameters())
    for key, p in model.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), t_params[key].grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=key
        )


def test_same_seed_same_initial_weights_as_torch():
    """Built after the same manual_seed, the zoo ViT and the torch twin start equal."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    twin = _torch_vit((1, 8, 8), 10, 2, 64, 4, 4, 128, 0.0)
    gradiente.manual_seed(3)
    model = get_model("vit", (1, 8, 8), 10)
    reference = twin.state_dict()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), reference[key].numpy(), err_msg=key)


def test_two_epochs_on_digits_beat_chance_by_far():
    """The zoo ViT as ``gradiente train --model vit --dataset digits --epochs 2`` builds it
    (Adam, lr 1e-3, batches of 32): after two epochs the test accuracy is far above 10 %."""
    from gradiente.data import DataLoader
    from gradiente.train import evaluate, fit
    from gradiente.train.data import prepare

    data = prepare("digits", seed=0)
    gradiente.manual_seed(0)
    model = get_model("vit", data.info["in_shape"], data.info["num_classes"])
    optimizer = gradiente.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(
        data.train, batch_size=32, shuffle=True, generator=gradiente.Generator().manual_seed(0)
    )
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, loader, optimizer, loss_fn, 2, progress=False, verbose=False)
    assert history["train_loss"][1] < history["train_loss"][0] < 2.3  # ln 10 ≈ 2.30 at chance
    result = evaluate(model, DataLoader(data.test, batch_size=256), loss_fn)
    assert result["accuracy"] > 0.4

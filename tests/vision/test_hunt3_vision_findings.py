"""Regressions from running torchvision-style scripts under ``gradiente run``.

torchvision cannot be imported beside torch 2.13 here, so the references are torch's own tensor
operations (flips, ``mul(255).byte()``) or torchvision's documented formulas (IoU, GIoU, NMS).
"""

import warnings

import numpy as np
import pytest
from PIL import Image

import gradiente
from conftest import run_with_torch_alias
from gradiente import transforms as T
from gradiente.autograd import gradcheck
from gradiente.vision import functional as TF
from gradiente.vision import models, ops


def _rgb(h=12, w=15):
    return Image.fromarray((np.arange(h * w * 3) % 251).astype(np.uint8).reshape(h, w, 3))


def test_alias_models_alexnet_is_the_builder_and_versions_exist():
    result = run_with_torch_alias(
        """
        import torchvision, torchvision.models as models
        from torchvision.models.alexnet import AlexNet
        m = models.alexnet(num_classes=3)
        print(type(m).__name__, m.classifier[-1].out_features, isinstance(m, AlexNet))
        print(torchvision.__version__.split("+")[0])
        import torchvision.transforms.functional as TF
        from torchvision import ops
        print(TF.hflip.__name__, ops.box_iou.__name__)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["AlexNet 3 True", "0.28.0", "hflip box_iou"]


def test_pretrained_keyword_warns_like_torchvision():
    with pytest.warns(UserWarning, match="'pretrained' is deprecated since 0.13"):
        m = models.resnet18(pretrained=False, num_classes=4)
    assert m.fc.out_features == 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="cannot download pretrained weights"):
            models.vgg11(pretrained=True)


@pytest.mark.parametrize(
    "transform, size",
    [
        (T.Resize((6, 9)), (9, 6)),
        (T.Resize(6), (7, 6)),
        (T.CenterCrop(8), (8, 8)),
        (T.RandomCrop(10, padding=2), (10, 10)),
        (T.RandomHorizontalFlip(p=1.0), (15, 12)),
        (T.ColorJitter(brightness=0.3), (15, 12)),
    ],
)
def test_pil_in_pil_out(transform, size):
    img = _rgb()
    gradiente.manual_seed(0)
    out = transform(img)
    gradiente.manual_seed(0)
    expected = transform(np.asarray(img))
    assert isinstance(out, Image.Image) and out.mode == "RGB" and out.size == size
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_to_pil_image_and_pil_to_tensor_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).uniform(-0.3, 1.2, (3, 5, 4)).astype(np.float32)
    pil = T.ToPILImage()(gradiente.tensor(x))
    expected = torch.tensor(x).mul(255).byte().permute(1, 2, 0).numpy()
    assert pil.mode == "RGB" and pil.size == (4, 5)
    np.testing.assert_array_equal(np.asarray(pil), expected)
    grey = TF.to_pil_image(gradiente.tensor(x[:1]))
    assert grey.mode == "L"
    back = T.PILToTensor()(pil)
    assert back.dtype == gradiente.uint8 and back.shape == (3, 5, 4)
    np.testing.assert_array_equal(back.numpy(), expected.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray"):
        TF.to_pil_image([1, 2])


def test_functional_api_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((3, 6, 7)).astype(np.float32)
    t = gradiente.tensor(x)
    np.testing.assert_array_equal(TF.hflip(t).numpy(), torch.tensor(x).flip(-1).numpy())
    np.testing.assert_array_equal(TF.vflip(t).numpy(), torch.tensor(x).flip(-2).numpy())
    np.testing.assert_array_equal(TF.crop(t, 1, 2, 3, 4).numpy(), x[:, 1:4, 2:6])
    # a window past the border is zero-padded (torchvision's F.crop)
    out = TF.crop(t, 4, 5, 4, 4).numpy()
    expected = np.zeros((3, 4, 4), np.float32)
    expected[:, :2, :2] = x[:, 4:, 5:]
    np.testing.assert_array_equal(out, expected)
    assert TF.pad(t, [1, 2]).shape == (3, 10, 9)
    assert TF.resize(t, [3, 4]).shape == (3, 3, 4)
    assert TF.center_crop(t, [4, 4]).shape == (3, 4, 4)
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.3, 0.4]
    ref = torch.tensor(x).sub(torch.tensor(mean)[:, None, None])
    ref = ref.div(torch.tensor(std)[:, None, None])
    np.testing.assert_allclose(TF.normalize(t, mean, std).numpy(), ref.numpy(), rtol=1e-6)
    img = _rgb()
    flipped = TF.hflip(img)
    assert isinstance(flipped, Image.Image)
    np.testing.assert_array_equal(np.asarray(flipped), np.asarray(img)[:, ::-1])
    np.testing.assert_allclose(TF.to_tensor(img).numpy(), np.asarray(img).transpose(2, 0, 1) / 255)


BOXES1 = [[0.0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 30]]
BOXES2 = [[0.0, 0, 10, 10], [6, 6, 12, 12]]


def test_box_iou_area_giou_values():
    b1, b2 = gradiente.tensor(BOXES1), gradiente.tensor(BOXES2)
    np.testing.assert_allclose(ops.box_area(b1).numpy(), [100, 100, 100])
    # torchvision's printed values for these boxes
    iou = [[1.0, 36 / 270], [25 / 175, 36 / 100], [0, 0]]
    np.testing.assert_allclose(ops.box_iou(b1, b2).numpy(), iou, rtol=1e-6)
    giou = [[1.0, -0.0333333], [-0.0793651, 0.36], [-0.7777778, -0.7638889]]
    np.testing.assert_allclose(ops.generalized_box_iou(b1, b2).numpy(), giou, rtol=1e-5)
    clipped = ops.clip_boxes_to_image(b1, (12, 12)).numpy()
    np.testing.assert_array_equal(clipped, [[0, 0, 10, 10], [5, 5, 12, 12], [12, 12, 12, 12]])
    assert ops.remove_small_boxes(b1, 11).tolist() == []
    assert ops.remove_small_boxes(b1, 10).tolist() == [0, 1, 2]


def test_box_convert_round_trips():
    b = gradiente.tensor(BOXES1)
    cxcywh = ops.box_convert(b, "xyxy", "cxcywh")
    np.testing.assert_allclose(cxcywh.numpy(), [[5, 5, 10, 10], [10, 10, 10, 10], [25, 25, 10, 10]])
    xywh = ops.box_convert(cxcywh, "cxcywh", "xywh")
    np.testing.assert_allclose(xywh.numpy(), [[0, 0, 10, 10], [5, 5, 10, 10], [20, 20, 10, 10]])
    np.testing.assert_allclose(ops.box_convert(xywh, "xywh", "xyxy").numpy(), BOXES1)
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(b, "xyxy", "yxyx")


def _greedy_nms(boxes, scores, threshold):
    """NMS written out from its definition, on NumPy."""
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        rest = []
        for j in order:
            lt = np.maximum(boxes[i, :2], boxes[j, :2])
            rb = np.minimum(boxes[i, 2:], boxes[j, 2:])
            inter = np.prod(np.clip(rb - lt, 0, None))
            area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
            if inter / (area(boxes[i]) + area(boxes[j]) - inter) <= threshold:
                rest.append(j)
        order = rest
    return keep


def test_nms_and_batched_nms():
    rng = np.random.default_rng(0)
    xy = rng.random((60, 2)) * 50
    boxes = np.concatenate([xy, xy + rng.random((60, 2)) * 20 + 1], 1).astype(np.float32)
    scores = rng.random(60).astype(np.float32)
    keep = ops.nms(gradiente.tensor(boxes), gradiente.tensor(scores), 0.3)
    assert keep.dtype == gradiente.int64
    assert keep.tolist() == _greedy_nms(boxes, scores, 0.3)
    labels = rng.integers(0, 3, 60)
    kept = ops.batched_nms(
        gradiente.tensor(boxes), gradiente.tensor(scores), gradiente.tensor(labels), 0.3
    ).tolist()
    expected = []
    for c in range(3):
        idx = np.flatnonzero(labels == c)
        expected += [idx[k] for k in _greedy_nms(boxes[idx], scores[idx], 0.3)]
    assert kept == sorted(expected, key=lambda i: -scores[i])


def test_box_iou_gradcheck():
    rng = np.random.default_rng(2)
    b1 = np.concatenate([rng.random((3, 2)), rng.random((3, 2)) + 1.0], 1)
    b2 = np.concatenate([rng.random((2, 2)) * 0.5, rng.random((2, 2)) + 1.2], 1)
    inputs = [gradiente.tensor(b, dtype=gradiente.float64, requires_grad=True) for b in (b1, b2)]
    assert gradcheck(ops.box_iou, inputs)
    assert gradcheck(ops.generalized_box_iou, inputs)

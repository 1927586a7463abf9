"""super_resolution data pipeline (PIL YCbCr, Resize/CenterCrop), save_image, model registry."""

import os
import tempfile

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.utils as vutils
from PIL import Image
from torchvision import models

torch.manual_seed(33)
arr = (np.random.RandomState(1).rand(20, 20, 3) * 255).astype(np.uint8)
img = Image.fromarray(arr).convert("YCbCr")
y, cb, cr = img.split()
crop_size = 18 - (18 % 3)
input_transform = T.Compose([T.CenterCrop(crop_size), T.Resize(crop_size // 3), T.ToTensor()])
target_transform = T.Compose([T.CenterCrop(crop_size), T.ToTensor()])
inp, tgt = input_transform(y), target_transform(y)
print(inp.shape, tgt.shape, f"{inp.mean().item():.5f}", f"{tgt.mean().item():.5f}")
out_y = (tgt * 255.0).clip(0, 255)
out_img_y = Image.fromarray(np.uint8(out_y[0].detach().numpy()), mode="L")
out_img_cb = cb.resize(out_img_y.size, Image.BICUBIC)
out_img_cr = cr.resize(out_img_y.size, Image.BICUBIC)
out_img = Image.merge("YCbCr", [out_img_y, out_img_cb, out_img_cr]).convert("RGB")
print(out_img.size, np.asarray(out_img).sum())
with tempfile.TemporaryDirectory() as d:
    batch = torch.rand(6, 3, 5, 5)
    vutils.save_image(batch, os.path.join(d, "grid.png"), normalize=True, nrow=3)
    back = np.asarray(Image.open(os.path.join(d, "grid.png")))
    print(back.shape, back.dtype, int(back.sum()))
    vutils.save_image(batch[0], os.path.join(d, "one.jpg"))
    print(Image.open(os.path.join(d, "one.jpg")).size)
names = sorted(
    name
    for name in models.__dict__
    if name.islower() and not name.startswith("__") and callable(models.__dict__[name])
)
print(names[:8], "resnet50" in names)
print(len(models.list_models()) > 10, "vgg16" in models.list_models())
feats = models.squeezenet1_1(weights=None).features
print(feats[:3])
with torch.no_grad():
    f = feats[:4](torch.rand(1, 3, 32, 32))
print(f.shape)
m = models.__dict__["resnet18"]()
print(m.fc.out_features, type(models.get_model("alexnet", num_classes=3)).__name__)
print(T.ToPILImage()(torch.rand(3, 4, 4)).mode, T.functional.pil_to_tensor(img).shape)
print(
    T.Resize(7, interpolation=T.InterpolationMode.BICUBIC)(torch.rand(3, 14, 21)).shape,
    T.Lambda(lambda t: t * 2),
)

"""Module hooks (forward pre-hooks with kwargs, full backward hooks and pre-hooks, prepend)
and Grad-CAM built on them; tensor hooks, post-accumulate-grad hooks, state-dict hooks."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 8, 3, padding=1), nn.ReLU()
        )
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.features(x)
        x = self.pool(x)
        return self.fc(torch.flatten(x, 1))


net = Net()
log = []


def pre_hook(mod, args):
    log.append(("pre", type(mod).__name__, tuple(args[0].shape)))
    return (args[0] * 2,) if isinstance(mod, nn.Linear) else None


def pre_hook_kw(mod, args, kwargs):
    log.append(("prekw", len(args), sorted(kwargs)))
    return None


def fwd_hook(mod, args, out):
    log.append(("fwd", type(mod).__name__, tuple(out.shape)))


def bwd_hook(mod, grad_input, grad_output):
    log.append(
        (
            "bwd",
            type(mod).__name__,
            [None if g is None else tuple(g.shape) for g in grad_input],
            [tuple(g.shape) for g in grad_output],
        )
    )


def bwd_pre_hook(mod, grad_output):
    log.append(("bwdpre", type(mod).__name__))
    return (grad_output[0] * 0.5,)


h1 = net.fc.register_forward_pre_hook(pre_hook)
h2 = net.features.register_forward_pre_hook(pre_hook_kw, with_kwargs=True)
h3 = net.features[0].register_forward_hook(fwd_hook)
h4 = net.fc.register_full_backward_hook(bwd_hook)
h5 = net.features[2].register_full_backward_hook(bwd_hook)
h6 = net.fc.register_full_backward_pre_hook(bwd_pre_hook)
h7 = net.features[1].register_forward_hook(
    lambda m, a, kw, o: log.append(("fwdkw", sorted(kw))), with_kwargs=True
)
h8 = net.register_forward_hook(lambda m, a, o: o + 1, prepend=True)
x = torch.randn(2, 3, 8, 8, requires_grad=True)
out = net(x)
out.sum().backward()
for l in log:
    print(l)
print(
    f"{out.sum().item():.6f} {x.grad.abs().sum().item():.6f} {net.fc.weight.grad.sum().item():.6f}"
)
print(type(h1).__name__, h1.id < h2.id)
for h in (h1, h2, h3, h4, h5, h6, h7, h8):
    h.remove()
print(len(net._forward_hooks), len(net.fc._forward_pre_hooks), len(net.fc._backward_hooks))


# Grad-CAM
class GradCAM:
    def __init__(self, model, layer):
        self.model = model
        self.acts = None
        self.grads = None
        layer.register_forward_hook(self.save_act)
        layer.register_full_backward_hook(self.save_grad)

    def save_act(self, m, i, o):
        self.acts = o.detach()

    def save_grad(self, m, gi, go):
        self.grads = go[0].detach()

    def __call__(self, x, cls=None):
        self.model.zero_grad()
        logits = self.model(x)
        if cls is None:
            cls = logits.argmax(dim=1)
        one_hot = F.one_hot(cls, logits.shape[1]).float()
        (logits * one_hot).sum().backward()
        weights = self.grads.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * self.acts).sum(1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
        cmin = cam.amin(dim=(2, 3), keepdim=True)
        cmax = cam.amax(dim=(2, 3), keepdim=True)
        return (cam - cmin) / (cmax - cmin + 1e-8), cls


torch.manual_seed(4)
net2 = Net()
cam, cls = GradCAM(net2, net2.features[3])(torch.randn(2, 3, 8, 8))
print(cam.shape, cls.tolist(), f"{cam.sum().item():.5f}", f"{cam[0, 0, 3].tolist()}")
# tensor hooks
a = torch.randn(3, requires_grad=True)
b = a * 2
b.register_hook(lambda g: g * 10)
b.retain_grad()
hk = a.register_post_accumulate_grad_hook(lambda p: print("post acc", p.grad.tolist()))
(b**2).sum().backward()
print(b.grad.tolist(), a.grad.tolist())
# module state_dict hooks
m = nn.Linear(2, 2)
m.register_state_dict_post_hook(
    lambda mod, sd, prefix, local: sd.__setitem__(prefix + "extra", torch.tensor(1))
)
print(list(m.state_dict().keys()))
m.register_load_state_dict_post_hook(
    lambda mod, keys: print("loaded", keys.missing_keys, keys.unexpected_keys)
)
r = m.load_state_dict({"weight": torch.zeros(2, 2), "bias": torch.zeros(2)}, strict=False)
print(r)

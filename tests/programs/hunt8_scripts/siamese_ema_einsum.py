"""A siamese network with a contrastive loss and an EMA of its weights kept with
``torch._foreach_lerp_``/``_foreach_mul_``/``_foreach_add_`` (as timm does), then causal
attention written with einsum and einops-style reshapes, checked against SDPA."""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SiameseNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn1 = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(1, 4, kernel_size=3),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(4),
            nn.ReflectionPad2d(1),
            nn.Conv2d(4, 8, kernel_size=3),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(8),
        )
        self.fc1 = nn.Sequential(nn.Linear(8 * 8 * 8, 32), nn.ReLU(inplace=True), nn.Linear(32, 5))

    def forward_once(self, x):
        output = self.cnn1(x)
        output = output.view(output.size()[0], -1)
        return self.fc1(output)

    def forward(self, input1, input2):
        return self.forward_once(input1), self.forward_once(input2)


class ContrastiveLoss(torch.nn.Module):
    def __init__(self, margin=2.0):
        super().__init__()
        self.margin = margin

    def forward(self, output1, output2, label):
        euclidean_distance = F.pairwise_distance(output1, output2, keepdim=True)
        return torch.mean(
            (1 - label) * torch.pow(euclidean_distance, 2)
            + label * torch.pow(torch.clamp(self.margin - euclidean_distance, min=0.0), 2)
        )


net = SiameseNetwork()
ema = copy.deepcopy(net).eval()
for p in ema.parameters():
    p.requires_grad_(False)
criterion = ContrastiveLoss()
optimizer = torch.optim.Adam(net.parameters(), lr=0.0005)
x1 = torch.rand(8, 1, 8, 8)
x2 = torch.rand(8, 1, 8, 8)
label = (torch.rand(8, 1) > 0.5).float()
for epoch in range(5):
    optimizer.zero_grad()
    o1, o2 = net(x1, x2)
    loss = criterion(o1, o2, label)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        ep = [p for p in ema.parameters()]
        mp = [p for p in net.parameters()]
        torch._foreach_lerp_(ep, mp, 0.1)
        eb = [b for b in ema.buffers() if b.is_floating_point()]
        mb = [b for b in net.buffers() if b.is_floating_point()]
        torch._foreach_mul_(eb, 0.9)
        torch._foreach_add_(eb, mb, alpha=0.1)
    print(epoch, f"{loss.item():.6f}", f"{sum(p.sum() for p in ema.parameters()).item():.6f}")
with torch.no_grad():
    d = F.pairwise_distance(*ema(x1, x2))
    print([f"{v:.5f}" for v in d.tolist()])
    print(
        F.triplet_margin_loss(o1, o2, o2.roll(1, 0)).item() > 0, F.cosine_similarity(o1, o2).shape
    )
ts = [torch.ones(2), torch.arange(3.0)]
print(
    torch._foreach_add(ts, 1),
    torch._foreach_mul(ts, [2.0, 3.0]),
    torch._foreach_norm(ts),
    torch._foreach_sqrt(ts),
    torch._foreach_maximum(ts, [torch.zeros(2), torch.ones(3)]),
)
torch._foreach_addcmul_(ts, ts, ts, value=0.5)
print(ts)
torch._foreach_zero_(ts)
print(ts)

# einsum / einops-style reshapes in attention
torch.manual_seed(1)
B, N, H, Dh = 2, 5, 3, 4
x = torch.randn(B, N, H * Dh, requires_grad=True)
Wqkv = (torch.randn(H * Dh, 3 * H * Dh) / 4).requires_grad_()
qkv = (x @ Wqkv).reshape(B, N, 3, H, Dh).permute(2, 0, 3, 1, 4)
q, k, v = qkv.unbind(0)
att = torch.einsum("bhid,bhjd->bhij", q, k) * Dh**-0.5
att = att.masked_fill(torch.triu(torch.ones(N, N, dtype=torch.bool), 1), float("-inf")).softmax(-1)
out = torch.einsum("bhij,bhjd->bhid", att, v)
out = out.transpose(1, 2).reshape(B, N, H * Dh)
ref = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).flatten(2)
print(torch.allclose(out, ref, atol=1e-5), f"{out.sum().item():.6f}")
out.pow(2).sum().backward()
print(f"{x.grad.sum().item():.6f} {Wqkv.grad.abs().sum().item():.6f}")
a = torch.randn(3, 4)
b = torch.randn(4, 5)
c = torch.randn(5)
print(
    torch.einsum("ij,jk,k->i", a, b, c),
    torch.einsum("ii->i", torch.eye(3) * 2),
    torch.einsum("ij->", a),
    torch.einsum("i,j->ij", c, c).shape,
)
print(
    torch.einsum("...ij,...jk->...ik", torch.randn(2, 3, 4), torch.randn(2, 4, 1)).shape,
    torch.einsum("bn,anm,bm->ba", torch.randn(2, 3), torch.randn(4, 3, 5), torch.randn(2, 5)).shape,
)
print(
    torch.einsum(a, [0, 1], b, [1, 2], [0, 2]).shape,
    torch.einsum("i i", torch.eye(2)),
    torch.einsum("ij,ij->i", a, a),
)
print(
    torch.tensordot(a, b, dims=([1], [0])).shape,
    torch.tensordot(torch.randn(2, 3, 4), torch.randn(3, 4, 5), dims=2).shape,
    torch.inner(c, c).item() > 0,
    torch.outer(c, c).shape,
    torch.kron(torch.eye(2), torch.ones(2, 2)),
)
patches = torch.arange(2 * 3 * 4 * 4.0).view(2, 3, 4, 4)
p = patches.unfold(2, 2, 2).unfold(3, 2, 2).permute(0, 2, 3, 1, 4, 5).reshape(2, 4, 12)
p2 = patches.reshape(2, 3, 2, 2, 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(2, 4, 12)
print(torch.equal(p, p2), p[0, 1, :5])

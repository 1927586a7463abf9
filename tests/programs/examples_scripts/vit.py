"""ViT-style classifier: patch embedding + class token + nn.TransformerEncoder."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(12)


class PatchEmbed(nn.Module):
    def __init__(self, img=8, patch=4, cin=3, dim=16):
        super().__init__()
        self.proj = nn.Conv2d(cin, dim, kernel_size=patch, stride=patch)
        self.n = (img // patch) ** 2

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self, dim=16, depth=2, heads=4, classes=3):
        super().__init__()
        self.patch = PatchEmbed(dim=dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, self.patch.n + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim,
            heads,
            dim_feedforward=32,
            dropout=0.1,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x, mask=None):
        x = self.patch(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos
        x = self.encoder(x, src_key_padding_mask=mask)
        return self.head(self.norm(x[:, 0]))


X = torch.randn(24, 3, 8, 8)
Y = torch.randint(0, 3, (24,))
model = ViT()
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=9)
crit = nn.CrossEntropyLoss(label_smoothing=0.1)
for epoch in range(3):
    model.train()
    for i in range(0, 24, 8):
        opt.zero_grad()
        out = model(X[i : i + 8])
        loss = crit(out, Y[i : i + 8])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        logits = model(X)
        acc = (logits.argmax(-1) == Y).float().mean()
    print(
        f"epoch {epoch} loss {loss.item():.5f} acc {acc.item():.4f} lr {sched.get_last_lr()[0]:.6f}"
    )
mask = torch.zeros(2, 5, dtype=torch.bool)
mask[:, -1] = True
with torch.no_grad():
    print(model(X[:2], mask=mask).shape)
q = torch.randn(2, 5, 16)
scores = torch.einsum("bqd,bkd->bqk", q, q) / 4.0
causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
scores = scores.masked_fill(causal, float("-inf"))
att = scores.softmax(-1)
print(att[0, :3, :3])
print(nn.Transformer.generate_square_subsequent_mask(3))
sdpa = F.scaled_dot_product_attention(q, q, q, is_causal=True)
print(torch.allclose(sdpa, att @ q, atol=1e-6))
mha = nn.MultiheadAttention(16, 4, batch_first=True)
o, w = mha(q, q, q, need_weights=True)
print(o.shape, w.shape, f"{w.sum().item():.4f}")

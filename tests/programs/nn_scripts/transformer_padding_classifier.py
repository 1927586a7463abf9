"""A Transformer-encoder classifier (pre-norm, GELU) over padded token sequences: learned
positional embeddings, a padding mask, masked mean pooling, weight-decay groups chosen from
named_parameters, AdamW with a warmup/cosine LambdaLR and gradient clipping; then
MultiheadAttention's per-head weights and a causal mask."""

import math

import torch
import torch.nn as nn

torch.manual_seed(0)
VOCAB, D, MAXLEN, NCLS = 30, 32, 12, 3


class TransformerClassifier(nn.Module):
    def __init__(self, vocab_size, d_model, nhead, num_layers, num_classes, max_len, pad_idx=0):
        super().__init__()
        self.pad_idx = pad_idx
        self.tok = nn.Embedding(vocab_size, d_model, padding_idx=pad_idx)
        self.pos = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model,
            nhead,
            dim_feedforward=64,
            dropout=0.1,
            batch_first=True,
            norm_first=True,
            activation="gelu",
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.cls = nn.Linear(d_model, num_classes)

    def forward(self, x):
        mask = x == self.pad_idx
        pos = torch.arange(x.size(1), device=x.device).unsqueeze(0).expand_as(x)
        h = self.tok(x) * math.sqrt(self.tok.embedding_dim) + self.pos(pos)
        h = self.encoder(h, src_key_padding_mask=mask)
        h = self.norm(h)
        keep = (~mask).unsqueeze(-1).float()
        pooled = (h * keep).sum(1) / keep.sum(1).clamp(min=1)
        return self.cls(pooled)


def make_batch(n):
    lengths = torch.randint(3, MAXLEN + 1, (n,))
    x = torch.randint(1, VOCAB, (n, MAXLEN))
    ar = torch.arange(MAXLEN).unsqueeze(0)
    x = x.masked_fill(ar >= lengths.unsqueeze(1), 0)
    y = x.sum(1) % NCLS
    return x, y


model = TransformerClassifier(VOCAB, D, 4, 2, NCLS, MAXLEN)
print(model)
decay, no_decay = [], []
for name, p in model.named_parameters():
    if p.ndim < 2 or "norm" in name or name.endswith(".bias") or "pos" in name:
        no_decay.append(name)
    else:
        decay.append(name)
print("decay", decay)
print("no_decay", no_decay)
params = dict(model.named_parameters())
opt = torch.optim.AdamW(
    [
        {"params": [params[n] for n in decay], "weight_decay": 0.05},
        {"params": [params[n] for n in no_decay], "weight_decay": 0.0},
    ],
    lr=3e-3,
    betas=(0.9, 0.98),
)
warmup, total = 5, 20
sched = torch.optim.lr_scheduler.LambdaLR(
    opt, lambda s: min((s + 1) / warmup, 0.5 * (1 + math.cos(math.pi * s / total)))
)
crit = nn.CrossEntropyLoss()
for step in range(total):
    model.train()
    x, y = make_batch(16)
    logits = model(x)
    loss = crit(logits, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    opt.step()
    sched.step()
    if step % 4 == 0:
        acc = (logits.argmax(-1) == y).float().mean()
        print(
            f"step {step:2d} loss {loss.item():.5f} acc {acc.item():.4f} "
            f"norm {norm.item():.5f} lr {sched.get_last_lr()}"
        )

model.eval()
with torch.no_grad():
    x, y = make_batch(32)
    logits = model(x)
    print("eval loss", round(crit(logits, y).item(), 5), logits.shape)
    print(logits[:2])
print(
    opt.param_groups[0]["lr"],
    opt.param_groups[1]["weight_decay"],
    len(opt.param_groups[0]["params"]),
)
print(sched.last_epoch, sched.state_dict().keys())
mha = nn.MultiheadAttention(8, 2, batch_first=True)
q = torch.randn(2, 5, 8)
out, w = mha(
    q,
    q,
    q,
    key_padding_mask=torch.tensor([[False] * 5, [False] * 3 + [True] * 2]),
    need_weights=True,
    average_attn_weights=False,
)
print(out.shape, w.shape, w[1, 0, 0])
causal = nn.Transformer.generate_square_subsequent_mask(4)
print(causal)

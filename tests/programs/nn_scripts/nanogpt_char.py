"""A nanoGPT-style character model, tiny: token + position embeddings, pre-norm blocks of causal
self-attention (F.scaled_dot_product_attention with is_causal=True, or --attention manual: the
masked softmax written out) and a GELU MLP, weight tying between the token embedding and the LM
head, AdamW with weight decay on 2-D parameters only, gradient accumulation and clipping, a
warm-up + cosine learning rate written by hand, train/val loss estimated under no_grad, a
checkpoint saved and loaded back as sample.py loads it, and samples drawn with torch.multinomial
from a seeded generator.

The ideas follow Karpathy's nanoGPT (model.py, train.py, sample.py); the code is written anew.
"""

import argparse
import inspect
import math
import os
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

CORPUS = """\
Gradient descent is a patient walker in the fog. It cannot see the valley, only the slope under
its feet, so it takes a small step downhill, looks again, and takes another. The learning rate
is the length of the stride: too short and the walk never ends, too long and the walker leaps
over the valley and lands higher on the other side. Backpropagation is how the walker feels the
slope of a very large hill at once. The network is one long composed function, and the chain
rule passes the blame for the loss backwards, layer by layer, from the output to every weight.

A character model reads text one letter at a time and guesses the next. At first its guesses
are uniform: every letter as likely as any other, and the loss is the logarithm of the number of
letters. Soon it learns that a space follows a word, that a capital follows a full stop, that
the letter q wants a u. Later it learns short words, then the shapes of sentences. It never
learns what the words mean; it only learns what tends to come next.

Attention lets every position look back at the positions before it. Each letter makes a query,
a key and a value. The query of one letter is compared with the keys of the letters before it;
the scores, softened into weights that sum to one, mix the values. A mask hides the future, so
the model cannot peek at the letter it must predict. Many heads look in different directions at
once, and their findings are joined and projected back into the stream.

The residual stream carries the running summary of each position through the blocks. Each block
reads from the stream through a layer norm, computes something, and adds the result back. The
feed forward part widens the vector, bends it through a smooth gate, and narrows it again. Weight
decay pulls the matrices gently towards zero, but the biases and the norms are left alone.

The learning rate rises during the warm up, while the moments of the optimiser are still
unreliable, then falls along a cosine towards a small floor. Clipping the gradient norm keeps a
single unlucky batch from throwing the weights far away. Every so often the walker stops to
measure the loss on text it has not trained on, and writes both numbers in its notebook.

When the training ends, the model is asked to write. It is given a single newline and asked for
the next letter; a letter is drawn from its distribution, appended, and the model is asked again.
The temperature sharpens or flattens the distribution, and keeping only the most likely letters
removes the rare mistakes. What comes out is not wisdom, but it has the rhythm of the text.
"""


@dataclass
class GPTConfig:
    block_size: int = 32
    vocab_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 32
    dropout: float = 0.0
    bias: bool = True
    attention: str = "sdpa"


class LayerNorm(nn.Module):
    """LayerNorm with an optional bias (F.layer_norm takes bias=None)."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout
        self.flash = config.attention == "sdpa"
        if not self.flash:
            # lower-triangular mask: position t sees positions 0..t
            mask = torch.tril(torch.ones(config.block_size, config.block_size))
            self.register_buffer("bias", mask.view(1, 1, config.block_size, config.block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hs = C // self.n_head
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        if self.flash:
            y = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=None,
                dropout_p=self.dropout if self.training else 0,
                is_causal=True,
            )
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            att = self.attn_dropout(att)
            y = att @ v  # (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # weight tying: the output layer reads logits off the token embedding table
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        # residual projections get a smaller init, std 0.02 / sqrt(2 · n_layer)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def get_num_params(self, non_embedding=True):
        n_params = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n_params -= self.transformer.wpe.weight.numel()
        return n_params

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        device = idx.device
        b, t = idx.size()
        assert t <= self.config.block_size, f"sequence of {t} > block size"
        pos = torch.arange(0, t, dtype=torch.long, device=device)
        tok_emb = self.transformer.wte(idx)  # (b, t, n_embd)
        pos_emb = self.transformer.wpe(pos)  # (t, n_embd)
        x = self.transformer.drop(tok_emb + pos_emb)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            loss = F.cross_entropy(
                logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
            )
        else:
            logits = self.lm_head(x[:, [-1], :])  # only the last position is needed
            loss = None
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
        param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
        # matrices (and the embeddings) decay; biases and norm gains do not
        decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {"params": decay_params, "weight_decay": weight_decay},
            {"params": nodecay_params, "weight_decay": 0.0},
        ]
        num_decay = sum(p.numel() for p in decay_params)
        num_nodecay = sum(p.numel() for p in nodecay_params)
        print(f"decayed parameter tensors: {len(decay_params)}, with {num_decay:,} parameters")
        print(
            f"non-decayed parameter tensors: {len(nodecay_params)}, with {num_nodecay:,} parameters"
        )
        fused_available = "fused" in inspect.signature(torch.optim.AdamW).parameters
        use_fused = fused_available and device_type == "cuda"
        extra_args = dict(fused=True) if use_fused else dict()
        optimizer = torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)
        print(f"using fused AdamW: {use_fused}")
        return optimizer

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        for _ in range(max_new_tokens):
            idx_cond = (
                idx if idx.size(1) <= self.config.block_size else idx[:, -self.config.block_size :]
            )
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


def main():
    parser = argparse.ArgumentParser(description="a tiny character GPT")
    parser.add_argument("--attention", choices=["sdpa", "manual"], default="sdpa")
    parser.add_argument("--max-iters", type=int, default=100)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--bias", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()

    # -- settings, as nanoGPT's config files set them --------------------------------------------
    batch_size = 8
    block_size = 32
    gradient_accumulation_steps = 2
    eval_interval = 10
    eval_iters = 4
    learning_rate = args.lr
    max_iters = args.max_iters
    weight_decay = 1e-1
    beta1, beta2 = 0.9, 0.95
    grad_clip = 1.0
    warmup_iters = 10
    lr_decay_iters = max_iters
    min_lr = learning_rate / 10
    out_dir = "out-chars"
    device = "cpu"  # the comparison with torch runs on the CPU
    device_type = "cuda" if "cuda" in device else "cpu"
    dtype = "float32"

    torch.manual_seed(1337)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
        dtype
    ]
    ctx = nullcontext() if device_type == "cpu" else torch.amp.autocast(device_type, ptdtype)

    # -- data: characters → integers, 90 % train / 10 % val (as nanoGPT's prepare.py) ---------
    chars = sorted(set(CORPUS))
    vocab_size = len(chars)
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for i, ch in enumerate(chars)}

    def encode(s):
        return [stoi[c] for c in s]

    def decode(ids):
        return "".join(itos[i] for i in ids)

    n = len(CORPUS)
    train_ids = np.array(encode(CORPUS[: int(n * 0.9)]), dtype=np.uint16)
    val_ids = np.array(encode(CORPUS[int(n * 0.9) :]), dtype=np.uint16)
    print(f"length of dataset in characters: {n:,}")
    print(f"vocab size: {vocab_size:,}")
    print(f"train has {len(train_ids):,} tokens, val has {len(val_ids):,} tokens")
    data_dir = "data-chars"
    os.makedirs(data_dir, exist_ok=True)
    train_ids.tofile(os.path.join(data_dir, "train.bin"))
    val_ids.tofile(os.path.join(data_dir, "val.bin"))

    def get_batch(split):
        # a fresh memmap per batch, as nanoGPT does (it avoids a memory leak there)
        data = np.memmap(os.path.join(data_dir, f"{split}.bin"), dtype=np.uint16, mode="r")
        ix = torch.randint(len(data) - block_size, (batch_size,))
        x = torch.stack([torch.from_numpy(data[i : i + block_size].astype(np.int64)) for i in ix])
        y = torch.stack(
            [torch.from_numpy(data[i + 1 : i + 1 + block_size].astype(np.int64)) for i in ix]
        )
        return x.to(device), y.to(device)

    # -- model and optimiser ---------------------------------------------------------------------
    config = GPTConfig(
        block_size=block_size,
        vocab_size=vocab_size,
        n_layer=2,
        n_head=4,
        n_embd=32,
        dropout=args.dropout,
        bias=args.bias,
        attention=args.attention,
    )
    model = GPT(config)
    model.to(device)
    print(f"number of parameters: {model.get_num_params():,}")
    scaler = torch.amp.GradScaler(device_type, enabled=(dtype == "float16"))
    optimizer = model.configure_optimizers(weight_decay, learning_rate, (beta1, beta2), device_type)

    @torch.no_grad()
    def estimate_loss():
        out = {}
        model.eval()
        for split in ["train", "val"]:
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                X, Y = get_batch(split)
                with ctx:
                    _, loss = model(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean()
        model.train()
        return out

    def get_lr(it):
        # linear warm-up, then a cosine from learning_rate down to min_lr
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        if it > lr_decay_iters:
            return min_lr
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 → 0
        return min_lr + coeff * (learning_rate - min_lr)

    # -- training --------------------------------------------------------------------------------
    X, Y = get_batch("train")
    iter_num = 0
    best_val_loss = 1e9
    while True:
        lr = get_lr(iter_num)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        if iter_num % eval_interval == 0:
            losses = estimate_loss()
            print(
                f"step {iter_num}: train loss {losses['train']:.4f}, "
                f"val loss {losses['val']:.4f}, lr {lr:.6f}"
            )
            best_val_loss = min(best_val_loss, losses["val"])
        for _micro_step in range(gradient_accumulation_steps):
            with ctx:
                logits, loss = model(X, Y)
                loss = loss / gradient_accumulation_steps
            X, Y = get_batch("train")  # the next batch, fetched while the backward would run
            scaler.scale(loss).backward()
        if grad_clip != 0.0:
            scaler.unscale_(optimizer)
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if iter_num % 5 == 0:
            lossf = loss.item() * gradient_accumulation_steps
            print(f"iter {iter_num}: loss {lossf:.4f}, grad norm {norm.item():.4f}")
        iter_num += 1
        if iter_num > max_iters:
            break
    print(f"best val loss {best_val_loss:.4f}")
    os.makedirs(out_dir, exist_ok=True)
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "model_args": vars(config),
        "iter_num": iter_num,
        "best_val_loss": best_val_loss,
    }
    torch.save(checkpoint, os.path.join(out_dir, "ckpt.pt"))

    # -- sampling (as sample.py: load the checkpoint; temperature, top-k, a seeded generator) ----
    checkpoint = torch.load(os.path.join(out_dir, "ckpt.pt"), map_location=device)
    model = GPT(GPTConfig(**checkpoint["model_args"]))
    state_dict = checkpoint["model"]
    unwanted_prefix = "_orig_mod."  # what torch.compile adds to the keys
    for k in list(state_dict.keys()):
        if k.startswith(unwanted_prefix):
            state_dict[k[len(unwanted_prefix) :]] = state_dict.pop(k)
    model.load_state_dict(state_dict)
    print(
        f"loaded checkpoint from iter {checkpoint['iter_num']}, "
        f"best val loss {checkpoint['best_val_loss']:.4f}, "
        f"{len(checkpoint['optimizer']['state'])} optimizer states"
    )
    model.eval()
    model.to(device)
    g = torch.Generator(device=device).manual_seed(42)
    start_ids = encode("\n")
    x = torch.tensor(start_ids, dtype=torch.long, device=device)[None, ...]
    for k in range(2):
        with torch.no_grad():
            with ctx:
                y = model.generate(x, 60, temperature=0.8, top_k=20, generator=g)
        print(f"sample {k}: {decode(y[0].tolist())!r}")


if __name__ == "__main__":
    main()

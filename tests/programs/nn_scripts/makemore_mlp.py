"""karpathy/makemore's MLP (Bengio et al. 2003) on a short list of names: a character-level
language model that embeds the last few characters, concatenates the embeddings and predicts the
next character through a tanh hidden layer.

As in makemore: each name is one example (x shifted right by one, y padded with -1, ignored by
cross_entropy), batches come from an "infinite" DataLoader over
``RandomSampler(replacement=True, num_samples=int(1e10))`` (indices drawn lazily), AdamW, the
loss logged with TensorBoard's ``SummaryWriter`` (skipped when tensorboard is not installed),
and new names sampled with ``torch.multinomial`` from a seeded Generator.
"""

import argparse
import os
import shutil
import tempfile

import torch
import torch.nn as nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

parser = argparse.ArgumentParser()
parser.add_argument("--max-steps", type=int, default=40)
parser.add_argument("--batch-size", type=int, default=16)
parser.add_argument("--learning-rate", type=float, default=5e-3)
parser.add_argument("--weight-decay", type=float, default=0.01)
parser.add_argument("--seed", type=int, default=3407)
parser.add_argument("--n-embd", type=int, default=12)
parser.add_argument("--n-embd2", type=int, default=32)
parser.add_argument("--block-size", type=int, default=3, help="characters of context")
parser.add_argument("--top-k", type=int, default=-1, help="sample from the top k; -1: all")
args = parser.parse_args()
torch.manual_seed(args.seed)

NAMES = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily
elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe penelope
layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella natalie zoe leah
hazel violet aurora savannah audrey brooklyn bella claire skylar lucy paisley everly anna
caroline nova genesis emilia kennedy samantha maya willow kinsley naomi aaliyah elena sarah
ariana allison gabriella alice madelyn cora ruby eva serenity autumn adeline hailey gianna
valentina isla eliana quinn nevaeh ivy sadie piper lydia alexa josephine emery julia delilah
arianna vivian kaylee sophie brielle madeline liam noah william james oliver benjamin elijah
lucas mason logan alexander ethan jacob michael daniel henry jackson sebastian aiden matthew
samuel david joseph carter owen wyatt john jack luke jayden dylan grayson levi isaac gabriel
julian mateo anthony jaxon lincoln joshua christopher andrew theodore caleb ryan asher nathan
thomas leo isaiah charles josiah hudson christian hunter connor eli ezra aaron landon adrian
jonathan nolan jeremiah easton elias colton cameron carson robert angel maverick nicholas
dominic jaxson greyson adam ian austin santiago jordan cooper brayden roman evan ezekiel xavier
jose jace jameson leonardo bryson axel everett parker kayden miles sawyer jason""".split()


class CharDataset(Dataset):
    """Names as (x, y) pairs: x = <start> + name, y = name + <end>, -1 where nothing is left."""

    def __init__(self, words, chars, max_word_length):
        self.words = words
        self.chars = chars
        self.max_word_length = max_word_length
        self.stoi = {ch: i + 1 for i, ch in enumerate(chars)}  # 0 is the <start>/<end> token
        self.itos = {i: s for s, i in self.stoi.items()}

    def __len__(self):
        return len(self.words)

    def get_vocab_size(self):
        return len(self.chars) + 1

    def get_output_length(self):
        return self.max_word_length + 1

    def encode(self, word):
        return torch.tensor([self.stoi[w] for w in word], dtype=torch.long)

    def decode(self, ix):
        return "".join(self.itos[i] for i in ix)

    def __getitem__(self, idx):
        ix = self.encode(self.words[idx])
        x = torch.zeros(self.max_word_length + 1, dtype=torch.long)
        y = torch.zeros(self.max_word_length + 1, dtype=torch.long)
        x[1 : 1 + len(ix)] = ix
        y[: len(ix)] = ix
        y[len(ix) + 1 :] = -1  # index -1 masks the loss where there is no character
        return x, y


class InfiniteDataLoader:
    """Batches forever: the sampler draws 1e10 indices with replacement, lazily."""

    def __init__(self, dataset, **kwargs):
        train_sampler = torch.utils.data.RandomSampler(
            dataset, replacement=True, num_samples=int(1e10)
        )
        self.train_loader = DataLoader(dataset, sampler=train_sampler, **kwargs)
        self.data_iter = iter(self.train_loader)

    def next(self):
        try:
            batch = next(self.data_iter)
        except StopIteration:  # never happens in practice
            self.data_iter = iter(self.train_loader)
            batch = next(self.data_iter)
        return batch


class MLP(nn.Module):
    """Embed the previous block_size characters, concatenate, tanh layer, logits."""

    def __init__(self, block_size, vocab_size, n_embd, n_embd2):
        super().__init__()
        self.block_size = block_size
        self.vocab_size = vocab_size
        # one extra embedding (index vocab_size) stands for "before the start of the name"
        self.wte = nn.Embedding(vocab_size + 1, n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(self.block_size * n_embd, n_embd2),
            nn.Tanh(),
            nn.Linear(n_embd2, self.vocab_size),
        )

    def get_block_size(self):
        return self.block_size

    def forward(self, idx, targets=None):
        embs = []
        for _k in range(self.block_size):
            tok_emb = self.wte(idx)  # (b, t, n_embd): the character k steps back
            idx = torch.roll(idx, 1, 1)
            idx[:, 0] = self.vocab_size  # the special "blank" token
            embs.append(tok_emb)
        x = torch.cat(embs, -1)  # (b, t, n_embd * block_size)
        logits = self.mlp(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
            )
        return logits, loss


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
    """Extend idx (b, t) one sampled character at a time."""
    block_size = model.get_block_size()
    for _ in range(max_new_tokens):
        idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
        logits, _ = model(idx_cond)
        logits = logits[:, -1, :] / temperature
        if top_k is not None:
            v, _ = torch.topk(logits, top_k)
            logits[logits < v[:, [-1]]] = -float("Inf")
        probs = F.softmax(logits, dim=-1)
        idx_next = torch.multinomial(probs, num_samples=1, generator=generator)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


@torch.inference_mode()
def evaluate(model, dataset, batch_size=50):
    model.eval()
    loader = DataLoader(dataset, shuffle=False, batch_size=batch_size)
    losses = [model(X, Y)[1].item() for X, Y in loader]
    model.train()
    return sum(losses) / len(losses)


chars = sorted(set("".join(NAMES)))
max_word_length = max(len(w) for w in NAMES)
perm = torch.randperm(len(NAMES)).tolist()
test_words = [NAMES[i] for i in perm[:20]]
train_words = [NAMES[i] for i in perm[20:]]
train_dataset = CharDataset(train_words, chars, max_word_length)
test_dataset = CharDataset(test_words, chars, max_word_length)
vocab_size = train_dataset.get_vocab_size()
print(f"{len(train_words)} training and {len(test_words)} test names, vocabulary {vocab_size}")
print("first example:", *train_dataset[0])

model = MLP(args.block_size, vocab_size, args.n_embd, args.n_embd2)
print(f"model #params: {sum(p.numel() for p in model.parameters())}")
optimizer = torch.optim.AdamW(
    model.parameters(),
    lr=args.learning_rate,
    weight_decay=args.weight_decay,
    betas=(0.9, 0.99),
    eps=1e-8,
)
batch_loader = InfiniteDataLoader(train_dataset, batch_size=args.batch_size, num_workers=0)

work_dir = tempfile.mkdtemp()
try:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(log_dir=work_dir)
except ImportError:  # tensorboard not installed: train without logging
    writer = None

for step in range(args.max_steps):
    X, Y = batch_loader.next()
    logits, loss = model(X, Y)
    model.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if writer is not None:
        writer.add_scalar("Loss/train", loss.item(), step)
    if step % 10 == 0 or step == args.max_steps - 1:
        print(f"step {step} | loss {loss.item():.4f}")

train_loss = evaluate(model, train_dataset)
test_loss = evaluate(model, test_dataset)
print(f"step {args.max_steps} train loss: {train_loss:.4f} test loss: {test_loss:.4f}")
if writer is not None:
    writer.add_scalar("Loss/test", test_loss, args.max_steps)
    writer.close()
    print("event files written:", len([f for f in os.listdir(work_dir) if "tfevents" in f]))
    # read the scalars back with TensorBoard's own reader
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(work_dir)
    events.Reload()
    logged = events.Scalars("Loss/train")
    print(f"logged {len(logged)} train losses, the last at step {logged[-1].step}:", end=" ")
    print(f"{logged[-1].value:.4f}; test loss {events.Scalars('Loss/test')[0].value:.4f}")
shutil.rmtree(work_dir)

g = torch.Generator().manual_seed(42)
X_init = torch.zeros(5, 1, dtype=torch.long)
top_k = args.top_k if args.top_k != -1 else None
X_samp = generate(model, X_init, max_word_length, top_k=top_k, generator=g).tolist()
for row in X_samp:
    row = row[1:]  # drop the <start> token
    crop = row.index(0) if 0 in row else len(row)  # up to the <end> token
    print("sample:", train_dataset.decode(row[:crop]))

"""PPO-style clipped policy update with a Gaussian policy, plus a tiny normalizing flow."""

import torch
import torch.distributions as D
import torch.nn as nn
from torch.utils.data import BatchSampler, SubsetRandomSampler

torch.manual_seed(37)


class ActorCritic(nn.Module):
    def __init__(self, obs=3, act=2):
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(obs, 16), nn.Tanh(), nn.Linear(16, act), nn.Tanh())
        self.critic = nn.Sequential(nn.Linear(obs, 16), nn.Tanh(), nn.Linear(16, 1))
        self.action_var = torch.full((act,), 0.36)

    def act(self, state):
        mean = self.actor(state)
        dist = D.MultivariateNormal(mean, torch.diag(self.action_var).unsqueeze(0))
        action = dist.sample()
        return action.detach(), dist.log_prob(action).detach(), self.critic(state).detach()

    def evaluate(self, state, action):
        mean = self.actor(state)
        cov = torch.diag_embed(self.action_var.expand_as(mean))
        dist = D.MultivariateNormal(mean, cov)
        return dist.log_prob(action), self.critic(state), dist.entropy()


policy = ActorCritic()
opt = torch.optim.Adam(
    [
        {"params": policy.actor.parameters(), "lr": 3e-4},
        {"params": policy.critic.parameters(), "lr": 1e-3},
    ]
)
states = torch.randn(32, 3)
actions, logprobs, values = policy.act(states)
rewards = -(actions**2).sum(-1)
returns = []
disc = 0
for r in reversed(rewards.tolist()):
    disc = r + 0.99 * disc
    returns.insert(0, disc)
returns = torch.tensor(returns, dtype=torch.float32)
returns = (returns - returns.mean()) / (returns.std() + 1e-7)
adv = returns - values.squeeze()
mse = nn.MSELoss()
for epoch in range(3):
    for idx in BatchSampler(SubsetRandomSampler(range(32)), 8, False):
        idx = torch.tensor(idx)
        lp, v, ent = policy.evaluate(states[idx], actions[idx])
        ratios = torch.exp(lp - logprobs[idx])
        surr1 = ratios * adv[idx]
        surr2 = torch.clamp(ratios, 0.8, 1.2) * adv[idx]
        loss = -torch.min(surr1, surr2) + 0.5 * mse(v.squeeze(-1), returns[idx]) - 0.01 * ent
        opt.zero_grad()
        loss.mean().backward()
        opt.step()
    print(
        f"epoch {epoch} loss {loss.mean().item():.5f} ratio {ratios.mean().item():.5f}",
        f"ent {ent.mean().item():.5f}",
    )
base = D.Independent(D.Normal(torch.zeros(2), torch.ones(2)), 1)
loc = nn.Parameter(torch.zeros(2))
log_scale = nn.Parameter(torch.zeros(2))
data = torch.randn(64, 2) * torch.tensor([0.5, 2.0]) + torch.tensor([1.0, -1.0])
fopt = torch.optim.Adam([loc, log_scale], lr=0.1)
for step in range(30):
    flow = D.TransformedDistribution(base, [D.transforms.AffineTransform(loc, log_scale.exp())])
    nll = -flow.log_prob(data).mean()
    fopt.zero_grad()
    nll.backward()
    fopt.step()
    if step % 10 == 9:
        print(f"flow step {step} nll {nll.item():.5f} loc {[round(v, 4) for v in loc.tolist()]}")
mix = D.MixtureSameFamily(
    D.Categorical(torch.tensor([0.3, 0.7])),
    D.Normal(torch.tensor([-1.0, 2.0]), torch.tensor([0.5, 1.0])),
)
print(
    f"{mix.log_prob(torch.tensor(0.5)).item():.5f}",
    f"{mix.mean.item():.4f}",
    f"{mix.variance.item():.4f}",
    mix.sample((4,)),
)
p, q = D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)
print(
    f"{D.kl_divergence(p, q).item():.5f}",
    f"{p.cdf(torch.tensor(0.5)).item():.5f}",
    f"{p.icdf(torch.tensor(0.9)).item():.5f}",
    p.has_rsample,
    D.Categorical(probs=torch.ones(3)).has_rsample,
)
sq = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.SigmoidTransform()])
x = sq.sample((3,))
print(x, sq.log_prob(x))
b = D.Bernoulli(logits=torch.tensor([0.0, 2.0]))
print(b.probs, b.log_prob(torch.tensor([1.0, 0.0])), b.entropy(), D.Beta(2.0, 2.0).mean)
tanh_n = D.TransformedDistribution(
    D.Normal(torch.zeros(2), torch.ones(2)), [D.transforms.TanhTransform(cache_size=1)]
)
a = tanh_n.rsample()
print(a, tanh_n.log_prob(a))
print(
    D.Normal(torch.zeros(2), 1.0).expand((3, 2)).batch_shape,
    D.Independent(D.Normal(torch.zeros(3, 2), 1.0), 1),
)

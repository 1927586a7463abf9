"""WGAN-GP: the gradient penalty differentiates the critic's input gradient (double backward
through conv, InstanceNorm, LayerNorm, ELU, pooling); then double backward through more layers
in float64."""

import torch
import torch.autograd as autograd
import torch.nn as nn

torch.manual_seed(0)


class Generator(nn.Module):
    def __init__(self, latent_dim=8):
        super().__init__()

        def block(in_feat, out_feat, normalize=True):
            layers = [nn.Linear(in_feat, out_feat)]
            if normalize:
                layers.append(nn.BatchNorm1d(out_feat, 0.8))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers

        self.model = nn.Sequential(
            *block(latent_dim, 16, normalize=False), *block(16, 32), nn.Linear(32, 64), nn.Tanh()
        )

    def forward(self, z):
        return self.model(z).view(z.size(0), 1, 8, 8)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 4, 3, 2, 1),
            nn.InstanceNorm2d(4, affine=True),
            nn.LeakyReLU(0.2),
            nn.Conv2d(4, 8, 3, 2, 1),
            nn.LayerNorm([8, 2, 2]),
            nn.ELU(),
            nn.AvgPool2d(2),
        )
        self.fc = nn.Linear(8, 1)

    def forward(self, img):
        return self.fc(self.conv(img).flatten(1))


def compute_gradient_penalty(D, real_samples, fake_samples):
    alpha = torch.rand(real_samples.size(0), 1, 1, 1)
    interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
    d_interpolates = D(interpolates)
    fake = torch.ones(real_samples.shape[0], 1, requires_grad=False)
    gradients = autograd.grad(
        outputs=d_interpolates,
        inputs=interpolates,
        grad_outputs=fake,
        create_graph=True,
        retain_graph=True,
        only_inputs=True,
    )[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


G, D = Generator(), Critic()
print(G.model[2])
optimizer_G = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
real = torch.randn(16, 1, 8, 8).tanh()
lambda_gp = 10
for i in range(6):
    imgs = real[(i % 2) * 8 : (i % 2) * 8 + 8]
    optimizer_D.zero_grad()
    z = torch.randn(imgs.shape[0], 8)
    fake_imgs = G(z)
    real_validity = D(imgs)
    fake_validity = D(fake_imgs)
    gp = compute_gradient_penalty(D, imgs.data, fake_imgs.data)
    d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + lambda_gp * gp
    d_loss.backward()
    optimizer_D.step()
    gsum = sum(p.grad.abs().sum().item() for p in D.parameters())
    optimizer_G.zero_grad()
    if i % 2 == 0:
        fake_imgs = G(z)
        g_loss = -torch.mean(D(fake_imgs))
        g_loss.backward()
        optimizer_G.step()
    print(i, f"{d_loss.item():.6f} {gp.item():.6f} {g_loss.item():.6f} {gsum:.5f}")
# double backward through more layers
torch.manual_seed(1)
for layer in [
    nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.Softplus()),
    nn.Sequential(nn.ConvTranspose2d(2, 3, 2, stride=2), nn.GroupNorm(1, 3), nn.GELU()),
    nn.Sequential(nn.Conv2d(2, 2, 3), nn.MaxPool2d(2), nn.SiLU()),
    nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(2, 1, 1), nn.Sigmoid()),
    nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(8, 2), nn.LogSoftmax(1)),
]:
    x = torch.randn(2, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    layer = layer.double()
    out = layer(x)
    (g,) = autograd.grad(out.pow(2).sum(), x, create_graph=True)
    pen = g.pow(2).sum()
    pen.backward()
    print(
        type(layer[0]).__name__,
        f"{pen.item():.10f}",
        f"{x.grad.sum().item():.10f}",
        [f"{p.grad.sum().item():.10f}" for p in layer.parameters() if p.grad is not None][:3],
    )

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


class EMATarget(nn.Module):
    """BYOL-like target network that is trainable but only ever detached."""

    def __init__(self, dim=256):
        super().__init__()
        self.online = mlp(dim, 512, dim)
        self.target = mlp(dim, 512, dim)  # expect: DDP102(target)

    def forward(self, x):
        online = self.online(x)
        target = self.target(x).detach()  # expect-note: DDP102
        return F.mse_loss(online, target)


class DetachedParameter(nn.Module):
    """A learned temperature that is detached before use never gets a gradient."""

    def __init__(self, dim=256):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.logit_scale = nn.Parameter(torch.tensor(2.659))  # expect: DDP102(logit_scale)

    def forward(self, a, b):
        a = F.normalize(self.proj(a), dim=-1)
        b = F.normalize(self.proj(b), dim=-1)
        scale = self.logit_scale.detach().exp()  # expect-note: DDP102
        return scale * a @ b.t()


class LinearProbe(nn.Module):
    """Detaching the *input* of a head is fine: the probe still gets its gradient, and the
    backbone gets one through the projection."""

    def __init__(self, dim=256, classes=10):
        super().__init__()
        self.backbone = mlp(dim, 512, dim)
        self.proj = nn.Linear(dim, 128)
        self.probe = nn.Linear(dim, classes)

    def forward(self, x):
        feats = self.backbone(x)
        return self.proj(feats), self.probe(feats.detach())

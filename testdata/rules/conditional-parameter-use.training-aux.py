import torch
import torch.nn as nn
import torch.nn.functional as F


class InceptionLikeNet(nn.Module):
    """Auxiliary heads that run only in training: `self.training` is True under DDP
    training, so they get a gradient on every training step. Clean."""

    def __init__(self, dim=256, classes=1000):
        super().__init__()
        self.stem = nn.Linear(dim, dim)
        self.mid = nn.Linear(dim, dim)
        self.aux_head = nn.Linear(dim, classes)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        aux = None
        if self.training:
            aux = self.aux_head(x)
        x = F.relu(self.mid(x))
        logits = self.head(x)
        if self.training:
            return logits, aux
        return logits


class DeepSupervision(nn.Module):
    """Optional auxiliary head (built only when asked for) that runs only in training."""

    def __init__(self, dim=256, classes=21, aux_loss=True):
        super().__init__()
        self.encoder = nn.Linear(dim, dim)
        self.decoder = nn.Linear(dim, classes)
        self.aux_head = nn.Linear(dim, classes) if aux_loss else None

    def forward(self, x):
        f = F.relu(self.encoder(x))
        out = {"out": self.decoder(f)}
        if self.aux_head is not None and self.training:
            out["aux"] = self.aux_head(f)
        return out


class EvalShortcut(nn.Module):
    """Eval mode returns early with fewer outputs; training runs everything."""

    def __init__(self, dim=256, classes=10):
        super().__init__()
        self.backbone = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, classes)
        self.proj = nn.Linear(dim, 128)

    def forward(self, x):
        f = F.relu(self.backbone(x))
        logits = self.head(f)
        if not self.training:
            return logits
        return logits, F.normalize(self.proj(f), dim=-1)

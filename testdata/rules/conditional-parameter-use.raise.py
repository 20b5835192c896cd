import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchEmbedding(nn.Module):
    """A `raise` branch ends the step with an error: it does not make the rest conditional."""

    def __init__(self, in_chans=3, dim=384, patch=16, img_size=224):
        super().__init__()
        self.img_size = img_size
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        if x.shape[-1] != self.img_size or x.shape[-2] != self.img_size:
            raise ValueError(f"expected {self.img_size}x{self.img_size} input, got {tuple(x.shape[-2:])}")
        x = self.proj(x).flatten(2).transpose(1, 2)
        return self.norm(x)


class PoolingHead(nn.Module):
    """Each branch either uses `fc` or raises."""

    def __init__(self, dim=384, classes=1000):
        super().__init__()
        self.fc = nn.Linear(dim, classes)

    def forward(self, x, pool: str = "mean"):
        if pool == "mean":
            h = x.mean(1)
        elif pool == "cls":
            h = x[:, 0]
        else:
            raise NotImplementedError(pool)
        return self.fc(h)


class MaskedHead(nn.Module):
    """The `raise` guards a shape check; the early `return` on a missing mask is the real risk."""

    def __init__(self, dim=384):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.mask_proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        if x.dim() != 3:
            raise ValueError("expected (B, N, C)")
        h = self.proj(x)
        if mask is None:  # expect-note: DDP101
            return h
        if mask.shape != x.shape[:2]:
            raise ValueError("mask must be (B, N)")
        return h + self.mask_proj(x * mask.unsqueeze(-1))  # expect: DDP101(mask_proj)

import random

import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchEmbed(nn.Module):
    def __init__(self, in_chans: int, dim: int, patch: int = 16):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        x = self.proj(x).flatten(2).transpose(1, 2)
        return self.norm(x)


class DepthEmbed(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.patch_embed = PatchEmbed(1, dim)


class RGBDEncoder(nn.Module):
    """Modality dropout: the depth branch is dropped for some batches."""

    def __init__(self, dim: int = 384, depth_drop: float = 0.3):
        super().__init__()
        self.depth_drop = depth_drop
        self.rgb_embed = PatchEmbed(3, dim)
        self.depth_embed = DepthEmbed(dim)
        self.norm = nn.LayerNorm(dim)

    def sample_modalities(self):
        return 0 if random.random() < self.depth_drop else 1

    def forward(self, rgb, depth):
        n_i = self.sample_modalities() if self.training else 1
        tokens = self.rgb_embed(rgb)
        if n_i > 0:  # expect-note: DDP101
            tokens = tokens + self.depth_embed.patch_embed(depth)  # expect: DDP101(depth_embed.patch_embed)
        return self.norm(tokens)


class PeriodicAuxLoss(nn.Module):
    """A counter mutated in forward is not a configuration constant."""

    def __init__(self, dim=256, every=4):
        super().__init__()
        self.every = every
        self.num_updates = 0
        self.body = nn.Linear(dim, dim)
        self.aux = nn.Linear(dim, dim)

    def forward(self, x):
        self.num_updates += 1
        h = self.body(x)
        loss = h.pow(2).mean()
        if self.num_updates % self.every == 0:  # expect-note: DDP101
            loss = loss + F.mse_loss(self.aux(h), x)  # expect: DDP101(aux)
        return loss


class HardExampleHead(nn.Module):
    """Runs the refinement head only when the batch has hard examples."""

    def __init__(self, dim=256, classes=10):
        super().__init__()
        self.head = nn.Linear(dim, classes)
        self.refine = nn.Linear(dim, classes)

    def forward(self, x):
        logits = self.head(x)
        hard = logits.softmax(-1).amax(-1) < 0.5
        if hard.any():  # expect-note: DDP101
            logits = logits + self.refine(x) * hard.unsqueeze(-1)  # expect: DDP101(refine)
        return logits

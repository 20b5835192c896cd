"""Patterns a review of the analysis found mishandled once."""
import random

import torch.nn as nn
from omegaconf import OmegaConf


class OptionalMask(nn.Module):
    """A dict lookup may give None: the test varies per batch."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 8)
        self.mask_proj = nn.Linear(8, 8)

    def forward(self, batch):
        x = self.body(batch["x"])
        mask = batch.get("mask")
        if mask is not None:  # expect-note: DDP101
            x = x * self.mask_proj(mask)  # expect: DDP101(mask_proj)
        return x


class MaybeHead(nn.Module):
    """A module chosen or None at random: calling it later is still conditional."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 8)
        self.head = nn.Linear(8, 8)

    def forward(self, x):
        x = self.body(x)
        h = self.head if random.random() < 0.5 else None  # expect-note: DDP101
        if h is not None:
            x = h(x)  # expect: DDP101(head)
        return x


class ReversedLayerDrop(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(4)])

    def forward(self, x):
        for blk in reversed(self.blocks):
            if random.random() < 0.1:  # expect-note: DDP101
                continue
            x = blk(x)  # expect: DDP101(blocks)
        return x


class ConfiguredFlag(nn.Module):
    """A flag read from a config library is configuration, not a module."""

    def __init__(self, cfg):
        super().__init__()
        self.use_aux = OmegaConf.select(cfg, "model.use_aux")
        self.body = nn.Linear(8, 8)
        self.aux = nn.Linear(8, 8)

    def forward(self, x):
        x = self.body(x)
        if self.use_aux:
            x = x + self.aux(x)  # expect: DDP103(aux)
        return x


class IndexedChild(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8))

    def forward(self, x):
        x = self.trunk[0](x)
        if random.random() < 0.5:  # expect-note: DDP101
            x = self.trunk[1](x)  # expect: DDP101(trunk.1)
        return x

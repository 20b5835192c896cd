"""A decoder block with an inference-only cache argument, used two ways.

`CachedAttention` runs `self.key` only when no cache is given. `Decoder` never passes
a cache in forward (the cache belongs to incremental decoding), so in this model the
branch never varies and nothing is reported in `CachedAttention`. `Fusion` gates an
optional input that its user really passes or not per batch: reported, in the class
that holds the condition.
"""
from typing import Optional

import torch
import torch.nn as nn


class CachedAttention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)

    def forward(self, x, kv_cache: Optional[dict] = None):
        q = self.query(x)
        if kv_cache is None:
            k = self.key(x)
        else:
            k = kv_cache["k"]
        return torch.softmax(q @ k.transpose(-2, -1), dim=-1) @ x


class Decoder(nn.Module):
    def __init__(self, dim=64, depth=2):
        super().__init__()
        self.blocks = nn.ModuleList([CachedAttention(dim) for _ in range(depth)])

    def forward(self, x):
        for blk in self.blocks:
            x = x + blk(x)
        return x


class Fusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.img = nn.Linear(dim, dim)
        self.txt = nn.Linear(dim, dim)

    def forward(self, img, txt=None):
        out = self.img(img)
        if txt is not None:  # expect-note: DDP101
            out = out + self.txt(txt)  # expect: DDP101(txt)
        return out


class Captioner(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.fusion = Fusion(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, img, txt=None):
        return self.head(self.fusion(img, txt))

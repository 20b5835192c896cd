from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiTaskNet(nn.Module):
    """One shared trunk, one head per dataset; each batch comes from a single dataset."""

    def __init__(self, tasks: Dict[str, int], dim: int = 768):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.LayerNorm(dim))
        self.heads = nn.ModuleDict({name: nn.Linear(dim, n) for name, n in tasks.items()})

    def forward(self, x: torch.Tensor, task: str) -> torch.Tensor:
        return self.heads[task](self.trunk(x))  # expect: DDP101(heads)


class LevelDecoder(nn.Module):
    """The pyramid level is picked per batch: only that decoder runs."""

    def __init__(self, dim=256, levels=4):
        super().__init__()
        self.decoders = nn.ModuleList([nn.Conv2d(dim, dim, 3, padding=1) for _ in range(levels)])
        self.predict = nn.Conv2d(dim, 1, 1)

    def forward(self, feats, level: int):
        x = self.decoders[level](feats)  # expect: DDP101(decoders)
        return self.predict(F.relu(x))


class ConstantKeyHeads(nn.Module):
    """Constant keys name every head of the dict: all of them run on every step."""

    def __init__(self, dim=256):
        super().__init__()
        self.trunk = nn.Linear(dim, dim)
        self.heads = nn.ModuleDict({"cls": nn.Linear(dim, 10), "box": nn.Linear(dim, 4)})

    def forward(self, x):
        h = F.relu(self.trunk(x))
        return self.heads["cls"](h), self.heads["box"](h)


class AllHeadsNet(nn.Module):
    """Every head runs on every batch, so nothing is ever unused."""

    def __init__(self, tasks: Dict[str, int], dim: int = 768):
        super().__init__()
        self.trunk = nn.Linear(dim, dim)
        self.heads = nn.ModuleDict({name: nn.Linear(dim, n) for name, n in tasks.items()})

    def forward(self, x):
        h = self.trunk(x)
        return {name: head(h) for name, head in self.heads.items()}


class AllHeadsLoop(nn.Module):
    """Same with an explicit loop over `.items()` filling a dict."""

    def __init__(self, tasks: Dict[str, int], dim: int = 768):
        super().__init__()
        self.trunk = nn.Linear(dim, dim)
        self.heads = nn.ModuleDict({name: nn.Linear(dim, n) for name, n in tasks.items()})

    def forward(self, x):
        h = self.trunk(x)
        out = {}
        for name, head in self.heads.items():
            out[name] = head(h)
        return out

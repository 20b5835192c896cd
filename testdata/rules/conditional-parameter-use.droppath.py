import torch
import torch.nn as nn
import torch.nn.functional as F


def drop_path(x, drop_prob: float = 0.0, training: bool = False):
    """timm-style stochastic depth: zeroes whole samples with a mask, the branch always runs."""
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    mask = x.new_empty(shape).bernoulli_(keep_prob)
    return x * mask / keep_prob


class DropPath(nn.Module):
    def __init__(self, drop_prob: float = 0.0):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training)


class MaskedDropPathBlock(nn.Module):
    """Mask-based DropPath: the MLP runs on every step, so every parameter gets a gradient."""

    def __init__(self, dim=384, drop_path_rate=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.drop_path = DropPath(drop_path_rate)

    def forward(self, x):
        return x + self.drop_path(self.mlp(self.norm(x)))


class SkipBranchBlock(nn.Module):
    """Stochastic depth done by skipping the branch: the branch's parameters get no gradient
    on the steps where it is skipped."""

    def __init__(self, dim=384, survival=0.9):
        super().__init__()
        self.survival = survival
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        if self.training and torch.rand(()) > self.survival:  # expect-note: DDP101
            return x
        return x + self.mlp(self.norm(x))  # expect: DDP101(mlp), DDP101(norm)

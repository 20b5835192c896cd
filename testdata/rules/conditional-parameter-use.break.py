import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        return x + self.mlp(self.norm(x))


class HaltingEncoder(nn.Module):
    """Adaptive depth: stops as soon as the halting score says the input is easy."""

    def __init__(self, dim=256, depth=8, threshold=0.99):
        super().__init__()
        self.halt = nn.Linear(dim, 1)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.threshold = threshold
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        p = torch.sigmoid(self.halt(x.mean(1)))
        for blk in self.blocks:
            if p.mean() > self.threshold:  # expect-note: DDP101
                break
            x = blk(x)  # expect: DDP101(blocks)
            p = p + torch.sigmoid(self.halt(x.mean(1)))
        return self.head(x.mean(1)), p


class BreakAfterAllLayers(nn.Module):
    """The `break` ends a parameter-free refinement loop; the head after it always runs."""

    def __init__(self, dim=256, depth=4):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.head = nn.Linear(dim, 10)

    def forward(self, x, max_iters: int = 5):
        for blk in self.blocks:
            x = blk(x)
        for _ in range(max_iters):
            x = F.normalize(x, dim=-1)
            if x.abs().max() < 1.0:
                break
        return self.head(x.mean(1))

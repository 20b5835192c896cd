import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return x + self.fc(self.norm(x))


class ModuleListLoop(nn.Module):
    """A loop over a ModuleList visits every element: all used."""

    def __init__(self, dim=128, depth=6):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


class EnumerateLoop(nn.Module):
    """`enumerate` over a ModuleList, collecting some stages for an FPN; the last stage
    still reaches the output through `x`."""

    def __init__(self, dim=128, depth=4, out_indices=(1, 3)):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.out_indices = out_indices
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        feats = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if i in self.out_indices:
                feats.append(x)
        return self.norm(x), feats


class SequentialCall(nn.Module):
    """Calling or iterating an nn.Sequential runs every child."""

    def __init__(self, dim=128):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.body = nn.Sequential(*[Block(dim) for _ in range(3)])

    def forward(self, x):
        x = self.stem(x)
        for layer in self.body:
            x = layer(x)
        return x


class ZippedLists(nn.Module):
    """U-Net-like decoder: `zip` of two ModuleLists with reversed skips."""

    def __init__(self, dim=64, levels=3):
        super().__init__()
        self.downs = nn.ModuleList([nn.Conv2d(dim, dim, 3, padding=1) for _ in range(levels)])
        self.ups = nn.ModuleList([nn.Conv2d(2 * dim, dim, 3, padding=1) for _ in range(levels)])
        self.fuse = nn.ModuleList([nn.BatchNorm2d(dim) for _ in range(levels)])

    def forward(self, x):
        skips = []
        for down in self.downs:
            x = F.relu(down(x))
            skips.append(x)
        for up, norm, skip in zip(self.ups, self.fuse, reversed(skips)):
            x = F.relu(norm(up(torch.cat([x, skip], dim=1))))
        return x


class ValuesLoop(nn.Module):
    """Summing every head of a ModuleDict through `.values()`."""

    def __init__(self, dim=128):
        super().__init__()
        self.heads = nn.ModuleDict({"a": nn.Linear(dim, 1), "b": nn.Linear(dim, 1), "c": nn.Linear(dim, 1)})

    def forward(self, x):
        total = 0
        for head in self.heads.values():
            total = total + head(x)
        return total

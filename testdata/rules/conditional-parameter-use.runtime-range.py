import torch
import torch.nn as nn
import torch.nn.functional as F


class IterativeRefiner(nn.Module):
    """The number of refinement steps comes from the caller and may be 0."""

    def __init__(self, dim=512):
        super().__init__()
        self.encoder = nn.Linear(2048, dim)
        self.refiner = nn.GRUCell(dim, dim)
        self.decoder = nn.Linear(dim, dim)

    def forward(self, feats, steps: int = 0):
        h = self.encoder(feats)
        for _ in range(steps):  # expect-note: DDP101
            h = self.refiner(h, h)  # expect: DDP101(refiner)
        return self.decoder(h)


class RecurrentDepth(nn.Module):
    """The depth is sampled per batch."""

    def __init__(self, dim=256, max_depth=4):
        super().__init__()
        self.max_depth = max_depth
        self.stem = nn.Linear(dim, dim)
        self.core = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))

    def forward(self, x):
        n = int(torch.randint(0, self.max_depth + 1, ()).item())
        x = self.stem(x)
        for _ in range(n):  # expect-note: DDP101
            x = x + self.core(x)  # expect: DDP101(core)
        return x


class ConfiguredDepth(nn.Module):
    """The trip count is a configuration constant: the same on every step."""

    def __init__(self, dim=256, num_layers=3):
        super().__init__()
        self.num_layers = num_layers
        self.core = nn.Linear(dim, dim)
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range(num_layers)])

    def forward(self, x):
        for _ in range(self.num_layers):
            x = F.relu(self.core(x))
        for i in range(len(self.layers)):
            x = self.layers[i](x)
        return x


class FixedPointSolver(nn.Module):
    """DEQ-style solver: the `while` condition depends on tensor values and may be false at once."""

    def __init__(self, dim=256, max_iter=30, tol=1e-3):
        super().__init__()
        self.max_iter = max_iter
        self.tol = tol
        self.f = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):
        z = torch.zeros_like(x)
        i = 0
        while i < self.max_iter and (torch.tanh(x) - z).abs().max() > self.tol:  # expect-note: DDP101
            z = torch.tanh(self.f(z) + x)  # expect: DDP101(f)
            i += 1
        return self.out(z)

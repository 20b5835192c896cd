import torch
import torch.nn as nn
import torch.nn.functional as F


class AdapterLayer(nn.Module):
    """The adapter runs only when the caller asks for it."""

    def __init__(self, dim=768, bottleneck=64):
        super().__init__()
        self.ffn = nn.Linear(dim, dim)
        self.adapter = nn.Sequential(nn.Linear(dim, bottleneck), nn.ReLU(), nn.Linear(bottleneck, dim))

    def forward(self, x, use_adapter: bool = False):
        x = self.ffn(x)
        x = x + self.adapter(x) if use_adapter else x  # expect: DDP101(adapter)
        return x


class SplitTernary(nn.Module):
    """The same pattern written over several lines."""

    def __init__(self, dim=256):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.refine = nn.Linear(dim, dim)

    def forward(self, x, refine=None):
        x = self.proj(x)
        y = (
            self.refine(x)  # expect: DDP101(refine)
            if refine is not None  # expect-note: DDP101
            else x
        )
        return F.gelu(y)


class TernaryOnScalars(nn.Module):
    """The conditional expression picks a scale, not a module: clean."""

    def __init__(self, dim=256):
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, half: bool = False):
        scale = 0.5 if half else 1.0
        return self.proj(x) * scale


class TernaryBothSides(nn.Module):
    """Both arms call the same layer: clean."""

    def __init__(self, dim=256):
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, flat: bool = False):
        return self.proj(x.flatten(1)) if flat else self.proj(x)

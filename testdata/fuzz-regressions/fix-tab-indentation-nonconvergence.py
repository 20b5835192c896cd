import torch
import torch.nn as nn
import torch.nn.functional as F


class FiLMBlock(nn.Module):
    """The condition is here: `film` runs only when a conditioning vector is passed."""

    def __init__(self, dim, con_ddim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.film = nn.Linear(cond_dim, 2 * dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, cond=None):
        h = self.norm(x)
        if cond is not None:  # expect-note: DDP101
            scale, shift = self.film(cond).unsqueeze(1).chunk(2, dim=-1)  # expect: DDP101(film)
            h = h * (1 + scale) + shift
        return x + self.mlp(h)


class Stage(nn.Module):
    """Contains FiLM blocks and calls them on every step: nothing new to report here."""

    def __init__(self, dim, cond_dim, depth):
        super().__init__()
        self.blocks = nn.ModuleList([FiLMBlock(dim, cond_dim) for _ in range(depth)])
        self.downsample = nn.Linear(dim, dim)

    def forward(self, x, cond=None):
        for blk in self.blocks:
            x = blk(x, cond)
        return self.downsample(x)


class ConditionalBackbone(nn.Module):
    """Two levels above the condition: still reported only once, in FiLMBlock."""

    def __init__(self, dim=256, cond_dim=64, depths=(2, 2)):
        super().__init__()
        self.stem = nn.Linear(dim, dim)
        self.stages = nn.ModuleList([Stage(dim, cond_dim, d) for d in depths])
        self.head = nn.Linear(dim, 10)

    def forward(self, x, cond=None):
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x, cond)
        return self.head(x.mean(1))


class RefinedBackbone(nn.Module):
    """This class holds a condition of its own, on a different submodule: reported here."""

    def __init__(self, dim=256, cond_dim=64):
        super().__init__()
        self.backbone = ConditionalBackbone(dim, cond_dim)
        self.post = nn.Linear(10, 10)

    def forward(self, x, cond=None, refine: bool = False):
        logits = self.backbone(x, cond)
																																																																																																																		        if refine:  # expect-note: DDP101
            logits = logits + self.post(logits)  # expect: DDP101(post)
        return logits

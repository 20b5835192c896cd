# RUN-FIXES: --unsafe-fixes
"""DDP101's unsafe model-side fix on each explicit skipping path: the path that skips
touches the parameters with a zero-valued term, so find_unused_parameters can stay False."""
import random

import torch
import torch.nn as nn


class MissingElse(nn.Module):
    def __init__(self):
        super().__init__()
        self.rgb = nn.Linear(8, 8)
        self.depth = nn.Linear(8, 8)

    def forward(self, rgb, depth):
        tokens = self.rgb(rgb)
        if random.random() > 0.3:
            tokens = tokens + self.depth(depth)
        # CHECK-FIXES: else:
        # CHECK-FIXES: tokens = tokens + 0.0 * sum(p.sum() for p in self.depth.parameters())
        return tokens


class LayerDrop(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(4)])

    def forward(self, x):
        for layer in self.layers:
            if random.random() < 0.1:
                continue
            # CHECK-FIXES: x = x + 0.0 * sum(p.sum() for p in self.layers.parameters())
            # CHECK-FIXES: continue
            x = layer(x)
        return x


class EarlyReturn(nn.Module):
    def __init__(self):
        super().__init__()
        self.img = nn.Linear(8, 8)
        self.txt = nn.Linear(8, 8)

    def forward(self, img, txt=None):
        img = self.img(img)
        if txt is None:
            return img
        # CHECK-FIXES: return img + 0.0 * sum(p.sum() for p in self.txt.parameters())
        return img + self.txt(txt)


class TwoGroupsOneBranch(nn.Module):
    """Two findings on one `if`: the first adds the else, the second joins it."""

    def __init__(self):
        super().__init__()
        self.rgb = nn.Linear(8, 8)
        self.depth = nn.Linear(8, 8)
        self.depth_token = nn.Parameter(torch.zeros(8))

    def forward(self, rgb, depth):
        tokens = self.rgb(rgb)
        if random.random() > 0.3:
            tokens = tokens + self.depth(depth) + self.depth_token
        # CHECK-FIXES: else:
        # CHECK-FIXES: tokens = tokens + 0.0 * sum(p.sum() for p in self.depth.parameters())
        # CHECK-FIXES: tokens = tokens + 0.0 * self.depth_token.sum()
        return tokens


class ElseOfItsOwn(nn.Module):
    def __init__(self):
        super().__init__()
        self.rgb = nn.Linear(8, 8)
        self.depth = nn.Linear(8, 8)

    def forward(self, rgb, depth):
        tokens = self.rgb(rgb)
        if random.random() > 0.3:
            tokens = tokens + self.depth(depth)
        else:
            tokens = tokens * 2
        # CHECK-FIXES: tokens = tokens * 2
        # CHECK-FIXES: tokens = tokens + 0.0 * sum(p.sum() for p in self.depth.parameters())
        return tokens

"""A model whose auxiliary branch runs only on some iterations (modality dropout)."""
import random

import torch
import torch.nn as nn


class Branchy(nn.Module):
    def __init__(self, dim: int = 16, p_drop: float = 0.5):
        super().__init__()
        self.p_drop = p_drop
        self.encoder = nn.Linear(dim, dim)
        self.aux = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, 4)

    def forward(self, x, extra):
        h = torch.relu(self.encoder(x))
        keep = random.random() >= self.p_drop
        if keep:
            h = h + self.aux(extra)
        return self.head(h)

import torch
import torch.nn as nn
import torch.nn.functional as F


class Fusion(nn.Module):
    """Every fusion variant is built; the configured mode picks one."""

    def __init__(self, dim=256, mode="concat"):
        super().__init__()
        self.mode = mode  # expect-note: DDP103
        self.concat_proj = nn.Linear(2 * dim, dim)
        self.gate = nn.Linear(dim, dim)

    def forward(self, a, b):
        if self.mode == "concat":
            return self.concat_proj(torch.cat([a, b], dim=-1))  # expect: DDP103(concat_proj)
        elif self.mode == "gated":
            g = torch.sigmoid(self.gate(a))  # expect: DDP103(gate)
            return g * a + (1 - g) * b
        return a + b


class PoolingChoice(nn.Module):
    """A configuration string that only picks parameter-free operations: clean."""

    def __init__(self, dim=256, classes=10, pool="avg"):
        super().__init__()
        self.pool = pool
        self.fc = nn.Linear(dim, classes)

    def forward(self, x):
        if self.pool == "avg":
            h = x.mean(1)
        elif self.pool == "max":
            h = x.amax(1)
        else:
            h = x[:, 0]
        return self.fc(h)

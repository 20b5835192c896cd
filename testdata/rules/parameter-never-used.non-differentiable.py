import torch
import torch.nn as nn
import torch.nn.functional as F


class TokenPruner(nn.Module):
    """The scorer's output is used only through argmax/topk indices: no gradient."""

    def __init__(self, dim=384, keep=64):
        super().__init__()
        self.keep = keep
        self.scorer = nn.Linear(dim, 1)  # expect: DDP102(scorer)
        self.selector = nn.Linear(dim, 1)  # expect: DDP102(selector)
        self.block = nn.TransformerEncoderLayer(dim, 6, batch_first=True)

    def forward(self, x):
        best = self.selector(x).squeeze(-1).argmax(dim=-1)  # expect-note: DDP102
        idx = self.scorer(x).squeeze(-1).topk(self.keep, dim=-1).indices  # expect-note: DDP102
        idx = torch.cat([idx, best.unsqueeze(-1)], dim=-1)
        x = torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        return self.block(x)


class ThresholdedGate(nn.Module):
    """A comparison turns the gate into a boolean mask: no gradient reaches `gate`."""

    def __init__(self, dim=256):
        super().__init__()
        self.gate = nn.Linear(dim, 1)  # expect: DDP102(gate)
        self.body = nn.Linear(dim, dim)

    def forward(self, x):
        keep = self.gate(x) > 0  # expect-note: DDP102
        return self.body(x) * keep


class ItemScale(nn.Module):
    """`.item()` turns a tensor into a Python number."""

    def __init__(self, dim=256):
        super().__init__()
        self.temperature = nn.Linear(dim, 1)  # expect: DDP102(temperature)
        self.body = nn.Linear(dim, dim)

    def forward(self, x):
        t = self.temperature(x.mean(0)).sigmoid().item()  # expect-note: DDP102
        return self.body(x) / (t + 1e-3)


class SoftSelection(nn.Module):
    """Differentiable look-alikes: softmax weights and topk *values* carry gradients: clean."""

    def __init__(self, dim=256, k=4):
        super().__init__()
        self.k = k
        self.scorer = nn.Linear(dim, 1)
        self.gate = nn.Linear(dim, 1)

    def forward(self, x):
        w = torch.softmax(self.scorer(x).squeeze(-1), dim=-1)
        vals, idx = self.gate(x).squeeze(-1).topk(self.k, dim=-1)
        pooled = (x * w.unsqueeze(-1)).sum(1)
        return pooled * vals.mean(-1, keepdim=True)

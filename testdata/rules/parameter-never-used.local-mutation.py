import torch
import torch.nn as nn
import torch.nn.functional as F


class ScatterExperts(nn.Module):
    """`out[sel] = f(x)`: the indexed assignment carries the gradient into `out`."""

    def __init__(self, dim=128):
        super().__init__()
        self.pos_fn = nn.Linear(dim, dim)
        self.neg_fn = nn.Linear(dim, dim)

    def forward(self, x, sign):
        out = torch.zeros_like(x)
        pos = sign > 0
        out[pos] = self.pos_fn(x[pos])
        out[~pos] = self.neg_fn(x[~pos])
        return out


class ListThenCat(nn.Module):
    """`feats.append(y)` then `torch.cat(feats)`."""

    def __init__(self, dim=64, branches=3):
        super().__init__()
        self.branches = nn.ModuleList([nn.Conv2d(dim, dim, 3, padding=d, dilation=d) for d in range(1, branches + 1)])
        self.pool_proj = nn.Conv2d(dim, dim, 1)
        self.fuse = nn.Conv2d(dim * (branches + 1), dim, 1)

    def forward(self, x):
        feats = []
        for branch in self.branches:
            feats.append(F.relu(branch(x)))
        pooled = self.pool_proj(F.adaptive_avg_pool2d(x, 1))
        feats.append(pooled.expand_as(x))
        return self.fuse(torch.cat(feats, dim=1))


class DictOutputs(nn.Module):
    """`d["k"] = y` and returning the dict."""

    def __init__(self, dim=128):
        super().__init__()
        self.cls = nn.Linear(dim, 10)
        self.box = nn.Linear(dim, 4)

    def forward(self, x):
        out = {}
        out["logits"] = self.cls(x)
        out["boxes"] = self.box(x).sigmoid()
        return out


class InPlaceAccumulate(nn.Module):
    """`h += y` and `h = h + y` accumulate into the returned value."""

    def __init__(self, dim=128):
        super().__init__()
        self.a = nn.Linear(dim, dim)
        self.b = nn.Linear(dim, dim)
        self.c = nn.Linear(dim, dim)

    def forward(self, x):
        h = self.a(x)
        h += self.b(x)
        h = h + self.c(x)
        return h


class DictNeverReturned(nn.Module):
    """Outputs written into a dict that is then dropped."""

    def __init__(self, dim=128):
        super().__init__()
        self.cls = nn.Linear(dim, 10)
        self.aux = nn.Linear(dim, 10)  # expect: DDP102(aux)

    def forward(self, x):
        logs = {}
        logs["aux"] = self.aux(x)  # expect-note: DDP102
        return self.cls(x)

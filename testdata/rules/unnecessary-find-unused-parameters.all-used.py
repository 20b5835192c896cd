"""find_unused_parameters=True on a model that uses every parameter on every path."""
import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Mlp(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


class Gated(nn.Module):
    """Conditional, so the flag is needed: no DDP201 for it."""

    def __init__(self, dim=16):
        super().__init__()
        self.a = nn.Linear(dim, dim)
        self.b = nn.Linear(dim, dim)

    def forward(self, x, extra=None):
        x = self.a(x)
        if extra is not None:  # expect-note: DDP101
            x = x + self.b(extra)  # expect: DDP101(b)
        return x


def setup(rank, cfg):
    model = Mlp().cuda(rank)
    model = DDP(model, device_ids=[rank], find_unused_parameters=True)  # expect: DDP201(Mlp)
    gated = DDP(Gated().cuda(rank), device_ids=[rank], find_unused_parameters=True)
    unknown = DDP(Mlp().cuda(rank), find_unused_parameters=cfg.find_unused)
    return model, gated, unknown


if __name__ == "__main__":
    net = DDP(Mlp(), find_unused_parameters=True)  # expect: DDP201

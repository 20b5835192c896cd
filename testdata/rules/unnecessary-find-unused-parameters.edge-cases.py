"""Calls ddplint must not judge wrongly: positional flags, **kwargs, static_graph, factories."""
import random

import timm
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Used(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)


class Skips(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if random.random() < 0.5:  # expect-note: DDP101
            return x
        return self.fc(x)  # expect: DDP101(fc)


class WithBackbone(nn.Module):
    """A timm backbone ddplint cannot see into: DDP201 is offered, its fix unsafe."""

    def __init__(self):
        super().__init__()
        self.backbone = timm.create_model("resnet18", num_classes=0)
        self.head = nn.Linear(512, 10)

    def forward(self, x):
        return self.head(self.backbone(x))


def wrap(rank, ddp_kwargs):
    a = DDP(Used(), [rank], rank, 0, True, None, 25, True)  # expect: DDP201
    b = DDP(Skips(), **ddp_kwargs)
    c = DDP(Used(), find_unused_parameters=True, static_graph=True)
    d = DDP(WithBackbone(), find_unused_parameters=True)  # expect: DDP201(WithBackbone)
    e = DDP(Skips(), [rank], rank, 0, True, None, 25, False)  # expect: DDP202
    return a, b, c, d, e

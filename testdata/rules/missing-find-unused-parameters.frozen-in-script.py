"""Freezing in the training script, before the wrap: DDP leaves those parameters out."""
import random

import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class FineTune(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(8, 8)
        self.aux = nn.Linear(8, 8)  # expect: DDP102(aux)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.backbone(x))


class Drop(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(8, 8)
        self.extra = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        x = self.backbone(x)
        if random.random() < 0.5:  # expect-note: DDP101
            x = self.extra(x)  # expect: DDP101(extra)
        return self.head(x)


def frozen_unused(rank):
    model = FineTune().cuda(rank)
    model.aux.requires_grad_(False)
    return DDP(model, device_ids=[rank])


def frozen_by_loop(rank):
    model = Drop().cuda(rank)
    for p in model.extra.parameters():
        p.requires_grad = False
    return DDP(model, device_ids=[rank])


def frozen_after_the_wrap(rank):
    model = FineTune().cuda(rank)
    ddp = DDP(model, device_ids=[rank])  # expect: DDP202(aux)
    model.aux.requires_grad_(False)
    return ddp

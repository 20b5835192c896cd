"""Every import form of DistributedDataParallel, a model that skips a layer at random."""
import random

import torch
import torch.nn as nn
from torch import nn as tnn
from torch.nn.parallel import DistributedDataParallel as DDP
import torch.nn.parallel.distributed as dist_mod


class SkipNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 8)

    def forward(self, x):
        x = self.a(x)
        if random.random() < 0.5:  # expect-note: DDP101
            x = self.b(x)  # expect: DDP101(b)
        return x


def build(rank):
    model = SkipNet().cuda(rank)
    return model


def wrap_all(rank):
    m1 = DDP(SkipNet().to(rank), device_ids=[rank])  # expect: DDP202(b)
    m2 = nn.parallel.DistributedDataParallel(build(rank), device_ids=[rank])  # expect: DDP202
    m3 = tnn.parallel.DistributedDataParallel(module=build(rank))  # expect: DDP202
    m4 = torch.nn.parallel.distributed.DistributedDataParallel(build(rank), find_unused_parameters=False)  # expect: DDP202
    m5 = dist_mod.DistributedDataParallel(build(rank), find_unused_parameters=True)
    return m1, m2, m3, m4, m5


def literal_forms(rank):
    zero = DDP(SkipNet(), find_unused_parameters=0)  # expect: DDP202
    none = DDP(SkipNet(), find_unused_parameters=None)  # expect: DDP202
    one = DDP(SkipNet(), find_unused_parameters=1)
    return zero, none, one

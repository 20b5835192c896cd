"""DDP202's fix in each call layout: the keyword goes where the call's style puts it."""
import random

import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Drop(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)

    def forward(self, x):
        if random.random() < 0.1:
            return x
        return self.a(x)


def one_line(rank):
    return DDP(Drop().cuda(rank), device_ids=[rank])
    # CHECK-FIXES: return DDP(Drop().cuda(rank), device_ids=[rank], find_unused_parameters=True)


def trailing_comma(rank):
    return DDP(
        Drop().cuda(rank),
        device_ids=[rank],
    )
    # CHECK-FIXES: device_ids=[rank],
    # CHECK-FIXES: find_unused_parameters=True,
    # CHECK-FIXES: )


def per_line_no_comma(rank):
    return DDP(
        Drop().cuda(rank),
        device_ids=[rank]
    )
    # CHECK-FIXES: device_ids=[rank],
    # CHECK-FIXES: find_unused_parameters=True
    # CHECK-FIXES: )


def hanging(rank):
    return DDP(Drop().cuda(rank), device_ids=[rank],
               output_device=rank)
    # CHECK-FIXES: output_device=rank, find_unused_parameters=True)


def explicit_false(rank):
    return DDP(Drop().cuda(rank), find_unused_parameters=False)
    # CHECK-FIXES: return DDP(Drop().cuda(rank), find_unused_parameters=True)

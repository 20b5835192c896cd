"""DDP301's fix: the conversion moves into the wrap's argument."""
import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3)

    def forward(self, x):
        return self.conv(x)


def setup(rank):
    model = Net().cuda(rank)
    model = DDP(model, device_ids=[rank])
    # CHECK-FIXES: model = DDP(model.to(memory_format=torch.channels_last), device_ids=[rank])
    model = model.to(memory_format=torch.channels_last)
    # CHECK-FIXES: return model
    return model


def setup_on_device(rank):
    model = Net()
    model = DDP(model, device_ids=[rank])
    # CHECK-FIXES: model = DDP(model.to(rank, memory_format=torch.channels_last), device_ids=[rank])
    model = model.to(rank, memory_format=torch.channels_last)
    return model


def only_statement_of_block(rank, flag):
    model = DDP(Net(), device_ids=[rank])
    # CHECK-FIXES: model = DDP(Net(), device_ids=[rank])
    if flag:
        model = model.to(memory_format=torch.channels_last)
        # CHECK-FIXES: model = model.to(memory_format=torch.channels_last)
    return model

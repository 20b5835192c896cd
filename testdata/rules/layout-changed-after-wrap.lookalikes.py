"""DDP301 look-alikes and awkward layouts."""
import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return self.conv(x)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(x)


def exclusive(args, rank):
    model = ConvNet().cuda(rank)
    if args.distributed:
        model = DDP(model, device_ids=[rank])
    else:
        model = model.to(memory_format=torch.channels_last)
    return model


def mlp_only(rank):
    model = DDP(Mlp().cuda(rank))
    model = model.to(memory_format=torch.channels_last)  # Linear weights are 2-D: nothing changes
    return model


def no_op(rank):
    model = DDP(ConvNet().cuda(rank))
    model = model.to(memory_format=torch.preserve_format)
    return model


def conditional_conversion(args, rank):
    model = DDP(ConvNet().cuda(rank))  # expect-note: DDP301
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)  # expect: DDP301
    return model


def chained(rank):
    model = DDP(ConvNet().cuda(rank))  # expect-note: DDP301
    model.half().to(memory_format=torch.channels_last)  # expect: DDP301
    return model

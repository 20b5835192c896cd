"""Converting the model's memory format after the DDP wrap, and the right order."""
import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


def late(rank):
    model = Net().cuda(rank)
    model = DDP(model, device_ids=[rank])  # expect-note: DDP301
    model = model.to(memory_format=torch.channels_last)  # expect: DDP301(Net)
    return model


def late_in_place(rank):
    net = Net().cuda(rank)
    ddp = DDP(net, device_ids=[rank])  # expect-note: DDP301
    net.to(memory_format=torch.channels_last)  # expect: DDP301
    return ddp


def early(rank):
    model = Net().cuda(rank).to(memory_format=torch.channels_last)
    return DDP(model, device_ids=[rank])

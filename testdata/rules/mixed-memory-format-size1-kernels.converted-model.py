"""The model is converted to channels-last before the wrap: weights and activations agree."""
import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 3, padding=1)
        self.proj = nn.Conv2d(32, 64, 1)

    def forward(self, x):
        x = x.contiguous(memory_format=torch.channels_last)
        return self.proj(torch.relu(self.stem(x)))


def setup(rank):
    model = Net().cuda(rank).to(memory_format=torch.channels_last)
    return DDP(model, device_ids=[rank])

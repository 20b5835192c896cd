"""A small CNN converted to channels-last after the DDP wrap; the entry builds the DDP
model itself, the way its training script does."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


class SmallCnn(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        return self.head(x.mean(dim=(2, 3)))


def make(ctx):
    model = DDP(SmallCnn().to(ctx.device))
    model = model.to(memory_format=torch.channels_last)
    gen = torch.Generator().manual_seed(ctx.rank)

    def batch(step):
        x = torch.randn(4, 3, 16, 16, generator=gen).to(memory_format=torch.channels_last)
        return x, torch.randint(0, 10, (4,), generator=gen)

    return model, batch, F.cross_entropy

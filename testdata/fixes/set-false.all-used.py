"""DDP201's fix: the flag turns False when every parameter was proven used."""
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        return self.body(x)


def wrap(rank):
    model = Net().to(rank)
    ddp = DistributedDataParallel(model, device_ids=[rank], find_unused_parameters=True)
    # CHECK-FIXES: ddp = DistributedDataParallel(model, device_ids=[rank], find_unused_parameters=False)
    return ddp

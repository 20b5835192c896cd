# RUN-FIXES: --unsafe-fixes
"""DDP201 with a submodule ddplint cannot see into: its fix is unsafe, applied only on request."""
import timm
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = timm.create_model("resnet18")
        self.head = nn.Linear(512, 10)

    def forward(self, x):
        return self.head(self.backbone(x))


def wrap(rank):
    return DistributedDataParallel(Classifier().cuda(rank), find_unused_parameters=True)
    # CHECK-FIXES: return DistributedDataParallel(Classifier().cuda(rank), find_unused_parameters=False)

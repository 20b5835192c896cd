import torch
import torch.nn as nn
import torch.nn.functional as F


class Student(nn.Module):
    def __init__(self, dim=256, classes=100):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(dim, 512), nn.ReLU(), nn.Linear(512, dim))
        self.classifier = nn.Linear(dim, classes)
        self.aux_proj = nn.Linear(dim, dim)  # expect: DDP102(aux_proj)
        self.rel_pos_bias = nn.Parameter(torch.zeros(8, 16, 16))  # expect: DDP102(rel_pos_bias)

    def forward(self, x):
        return self.classifier(self.backbone(x))


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return F.gelu(self.fc(x))


class LeftoverStage(nn.Module):
    """A whole submodule of a project class and a buffer: only the submodule is reported."""

    def __init__(self, dim=128):
        super().__init__()
        self.block = Block(dim)
        self.old_block = Block(dim)  # expect: DDP102(old_block)
        self.register_buffer("running_scale", torch.ones(dim))

    def forward(self, x):
        return self.block(x) * self.running_scale

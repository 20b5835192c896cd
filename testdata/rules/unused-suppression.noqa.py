"""Suppressions: used ones silence, unused ddplint codes are reported, other tools' codes are left alone."""
import random

import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)
        self.probe = nn.Linear(4, 4)  # noqa: DDP102
        self.c = nn.Linear(4, 4)  # noqa: DDP101  # expect: DDP902

    def forward(self, x):
        if random.random() < 0.5:
            x = self.b(x)  # noqa
        y = self.a(
            x
        )  # noqa: E501
        return y + self.c(x)  # noqa: DDP103, E501  # expect: DDP902

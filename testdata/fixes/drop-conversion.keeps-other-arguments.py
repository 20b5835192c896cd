# RUN-FIXES: --unsafe-fixes
"""DDP303's fix removes only the memory format: the device and dtype stay."""
import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(64, 32, 1)

    def forward(self, x):
        x = x.to(torch.float16, memory_format=torch.channels_last)
        # CHECK-FIXES: x = x.to(torch.float16)
        return self.proj(x)

"""Channels-last activations made in forward, weights left contiguous."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self, c=64, classes=10):
        super().__init__()
        self.reduce = nn.Conv2d(c, c // 2, kernel_size=1)
        self.dw = nn.Conv2d(c // 2, c // 2, kernel_size=3, padding=1, groups=c // 2)
        self.out = nn.Conv2d(c // 2, classes, 1)

    def forward(self, x):
        x = x.contiguous(memory_format=torch.channels_last)  # expect: DDP303(reduce)
        x = F.relu(self.reduce(x))  # expect-note: DDP303
        return self.out(self.dw(x))


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_dw = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.pw = nn.Conv2d(dim, dim, kernel_size=1)

    def forward(self, x):
        return x + self.pw(F.gelu(self.conv_dw(x)))


class Stage(nn.Module):
    """The conversion is in Stage; the size-1 kernels are in Block: reported at the conversion."""

    def __init__(self, cin, dim):
        super().__init__()
        self.down = nn.Conv2d(cin, dim, kernel_size=2, stride=2)
        self.blocks = nn.Sequential(Block(dim), Block(dim))

    def forward(self, x):
        x = self.down(x).to(memory_format=torch.channels_last)  # expect: DDP303(blocks)
        return self.blocks(x)


class ThreeByThreeOnly(nn.Module):
    """Channels-last into 3x3 convolutions only: autograd clones the grad, DDP does not warn."""

    def __init__(self, c=16):
        super().__init__()
        self.a = nn.Conv2d(c, c, 3, padding=1)
        self.b = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        x = x.to(memory_format=torch.channels_last)
        return self.b(torch.relu(self.a(x)))


class BackToContiguous(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.a = nn.Conv2d(c, c, 3, padding=1)
        self.pw = nn.Conv2d(c, c, 1)

    def forward(self, x):
        x = self.a(x.to(memory_format=torch.channels_last))
        return self.pw(x.contiguous())


class TransposedWeight(nn.Module):
    """F.linear with a transposed weight: non-contiguous but dense, no DDP problem."""

    def __init__(self, d=8):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d, d))

    def forward(self, x):
        return F.linear(x, self.weight.t())

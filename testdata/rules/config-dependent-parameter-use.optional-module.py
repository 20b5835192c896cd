import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """torchvision-style residual block: `downsample` is None or a module, fixed per instance."""

    def __init__(self, cin, cout, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return F.relu(out + identity)


class ResNetStage(nn.Module):
    def __init__(self, cin=64, cout=128):
        super().__init__()
        down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False), nn.BatchNorm2d(cout))
        self.block1 = BasicBlock(cin, cout, stride=2, downsample=down)
        self.block2 = BasicBlock(cout, cout)

    def forward(self, x):
        return self.block2(self.block1(x))


class OptionalAux(nn.Module):
    """`self.aux = Head() if aux else None` and `if self.aux is not None:`."""

    def __init__(self, dim=256, classes=10, aux=True):
        super().__init__()
        self.body = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, classes)
        self.aux = nn.Linear(dim, classes) if aux else None

    def forward(self, x):
        h = F.relu(self.body(x))
        out = self.head(h)
        if self.aux is not None:
            out = out + 0.4 * self.aux(h)
        return out


class FlagGuardedConstruction(nn.Module):
    """`if use_aux: self.aux_head = ...` in __init__, `if self.use_aux:` in forward."""

    def __init__(self, dim=256, classes=10, use_aux=False):
        super().__init__()
        self.use_aux = use_aux
        self.body = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, classes)
        if use_aux:
            self.aux_head = nn.Linear(dim, classes)

    def forward(self, x):
        h = F.relu(self.body(x))
        out = {"logits": self.head(h)}
        if self.use_aux:
            out["aux"] = self.aux_head(h)
        return out


class OptionalNorm(nn.Module):
    """An optional norm layer replaced by nn.Identity when disabled: always called."""

    def __init__(self, dim=256, use_norm=True):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim) if use_norm else nn.Identity()

    def forward(self, x):
        return self.norm(self.fc(x))

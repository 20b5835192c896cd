import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self, c, n):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.out = nn.Conv2d(c, n, 1)

    def forward(self, x):
        return self.out(torch.relu(self.conv(x)))


class Detector(nn.Module):
    """The mask head is built either way but used only when `use_mask` holds."""

    def __init__(self, c=256, classes=80, use_mask=False):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 7, stride=4, padding=3)
        self.cls_head = Head(c, classes)
        self.box_head = Head(c, 4)
        self.mask_head = Head(c, classes)
        self.use_mask = use_mask  # expect-note: DDP103

    def forward(self, images):
        f = torch.relu(self.stem(images))
        out = {"cls": self.cls_head(f), "box": self.box_head(f)}
        if self.use_mask:
            out["mask"] = self.mask_head(f)  # expect: DDP103(mask_head)
        return out


class NegatedFlag(nn.Module):
    """`if not self.linear_only:` with an else branch: each side calls a module that is
    built either way."""

    def __init__(self, dim=256, linear_only=False):
        super().__init__()
        self.linear_only = linear_only  # expect-note: DDP103
        self.linear = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        if not self.linear_only:
            return self.mlp(x)  # expect: DDP103(mlp)
        else:
            return self.linear(x)  # expect: DDP103(linear)


class BuiltOnlyWhenUsed(nn.Module):
    """The same flag controls construction and use: nothing unused in either configuration."""

    def __init__(self, c=256, classes=80, use_mask=False):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 7, stride=4, padding=3)
        self.cls_head = Head(c, classes)
        self.use_mask = use_mask
        if use_mask:
            self.mask_head = Head(c, classes)

    def forward(self, images):
        f = torch.relu(self.stem(images))
        out = {"cls": self.cls_head(f)}
        if self.use_mask:
            out["mask"] = self.mask_head(f)
        return out

"""Auxiliary classifier heads, written the way torchvision's GoogLeNet / Inception3 and
segmentation models write them: the heads are built only when `aux_loss` is requested, set to None
otherwise, and run only in training, where the model returns their logits for the loss."""
from collections import namedtuple
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

ModelOutputs = namedtuple("ModelOutputs", ["logits", "aux_logits"])


class BasicConv2d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        x = self.bn(x)
        return F.relu(x, inplace=True)


class InceptionAux(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7) -> None:
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # aux1: N x 512 x 14 x 14, aux2: N x 528 x 14 x 14
        x = F.adaptive_avg_pool2d(x, (4, 4))
        x = self.conv(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x), inplace=True)
        x = self.dropout(x)
        x = self.fc2(x)
        return x


class Stage(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 2) -> None:
        super().__init__()
        self.conv1 = BasicConv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1)
        self.conv2 = BasicConv2d(out_channels, out_channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class AuxNet(nn.Module):
    def __init__(self, num_classes: int = 1000, aux_loss: bool = True,
                 widths: List[int] = [64, 128, 256, 512], aux_stages: List[int] = [1, 2]) -> None:
        super().__init__()
        self.aux_stages = aux_stages
        self.stem = BasicConv2d(3, widths[0], kernel_size=7, stride=2, padding=3)
        self.stages = nn.ModuleList()
        in_ch = widths[0]
        for w in widths:
            self.stages.append(Stage(in_ch, w))
            in_ch = w

        if aux_loss:
            self.aux_heads: Optional[nn.ModuleList] = nn.ModuleList(
                [InceptionAux(widths[i], num_classes) for i in aux_stages])
        else:
            self.aux_heads = None

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=0.2)
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor):
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)

        aux_logits: List[torch.Tensor] = []
        if self.aux_heads is not None and self.training:
            for idx, head in zip(self.aux_stages, self.aux_heads):
                aux_logits.append(head(feats[idx]))

        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.dropout(x)
        x = self.fc(x)
        if self.training and self.aux_heads is not None:
            return ModelOutputs(x, aux_logits)
        return x


def aux_criterion(outputs, target: torch.Tensor, aux_weight: float = 0.3) -> torch.Tensor:
    if isinstance(outputs, ModelOutputs):
        loss = F.cross_entropy(outputs.logits, target)
        for aux in outputs.aux_logits:
            loss = loss + aux_weight * F.cross_entropy(aux, target)
        return loss
    return F.cross_entropy(outputs, target)

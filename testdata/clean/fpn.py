"""A feature pyramid network on a small ResNet-style backbone, written the way torchvision's
FeaturePyramidNetwork / detectron2's FPN write it: lateral 1x1 convs and 3x3 output convs held in
ModuleLists and zipped with the backbone's feature maps, a top-down pathway with nearest
upsampling, and an extra max-pooled level."""
from collections import OrderedDict
from typing import Dict, List

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class Backbone(nn.Module):
    """Returns the feature maps of its last stages (C2..C5), finest first."""

    def __init__(self, widths: List[int] = [64, 128, 256, 512]):
        super().__init__()
        self.stem = nn.Sequential(ConvBlock(3, widths[0], stride=2), nn.MaxPool2d(3, stride=2, padding=1))
        self.stages = nn.ModuleList()
        in_ch = widths[0]
        for i, w in enumerate(widths):
            self.stages.append(nn.Sequential(ConvBlock(in_ch, w, stride=1 if i == 0 else 2), ConvBlock(w, w)))
            in_ch = w
        self.out_channels = widths

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


class FPN(nn.Module):
    def __init__(self, in_channels_list: List[int], out_channels: int = 256):
        super().__init__()
        self.lateral_convs = nn.ModuleList()
        self.output_convs = nn.ModuleList()
        for in_channels in in_channels_list:
            self.lateral_convs.append(nn.Conv2d(in_channels, out_channels, kernel_size=1))
            self.output_convs.append(nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.constant_(m.bias, 0)

    def forward(self, feats: List[torch.Tensor]) -> List[torch.Tensor]:
        # lateral connections, finest first
        laterals = []
        for feat, lateral in zip(feats, self.lateral_convs):
            laterals.append(lateral(feat))

        # top-down pathway: start from the coarsest level
        merged = [laterals[-1]]
        for lat in reversed(laterals[:-1]):
            top_down = F.interpolate(merged[0], size=lat.shape[-2:], mode="nearest")
            merged.insert(0, lat + top_down)

        results = [output_conv(m) for m, output_conv in zip(merged, self.output_convs)]
        # LastLevelMaxPool: an extra, coarser P6 level
        results.append(F.max_pool2d(results[-1], kernel_size=1, stride=2, padding=0))
        return results


class FPNClassifierDetectorHead(nn.Module):
    """A shared head applied to every pyramid level (as RetinaNet's heads are)."""

    def __init__(self, channels: int, num_classes: int, num_anchors: int = 9, num_convs: int = 2):
        super().__init__()
        tower = []
        for _ in range(num_convs):
            tower.append(nn.Conv2d(channels, channels, kernel_size=3, padding=1))
            tower.append(nn.ReLU(inplace=True))
        self.tower = nn.Sequential(*tower)
        self.cls_logits = nn.Conv2d(channels, num_anchors * num_classes, kernel_size=3, padding=1)
        self.bbox_pred = nn.Conv2d(channels, num_anchors * 4, kernel_size=3, padding=1)

    def forward(self, features: List[torch.Tensor]) -> Dict[str, List[torch.Tensor]]:
        logits, bbox_reg = [], []
        for feature in features:
            t = self.tower(feature)
            logits.append(self.cls_logits(t))
            bbox_reg.append(self.bbox_pred(t))
        return {"cls_logits": logits, "bbox_regression": bbox_reg}


class FPNDetector(nn.Module):
    def __init__(self, num_classes: int = 80, fpn_channels: int = 256):
        super().__init__()
        self.backbone = Backbone()
        self.fpn = FPN(self.backbone.out_channels, fpn_channels)
        self.head = FPNClassifierDetectorHead(fpn_channels, num_classes)

    def forward(self, images: torch.Tensor) -> Dict[str, List[torch.Tensor]]:
        feats = self.backbone(images)
        pyramid = self.fpn(feats)
        names = ["p2", "p3", "p4", "p5", "p6"]
        features = OrderedDict((k, v) for k, v in zip(names, pyramid))
        return self.head(list(features.values()))

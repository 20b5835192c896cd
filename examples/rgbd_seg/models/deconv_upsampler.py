"""Segmentation decoder: a 1x1 projection, then transposed convolutions back to pixels."""
import torch
import torch.nn as nn


class DeconvUpsampler(nn.Module):
    def __init__(self, in_dim: int = 1280, classes: int = 40):
        super().__init__()
        self.first_conv = nn.Conv2d(in_dim, in_dim // 2, kernel_size=1)
        self.up1 = nn.ConvTranspose2d(in_dim // 2, in_dim // 4, kernel_size=4, stride=4)
        self.bn1 = nn.BatchNorm2d(in_dim // 4)
        self.up2 = nn.ConvTranspose2d(in_dim // 4, in_dim // 8, kernel_size=4, stride=4)
        self.bn2 = nn.BatchNorm2d(in_dim // 8)
        self.classifier = nn.Conv2d(in_dim // 8, classes, kernel_size=1)

    def forward(self, fmap):
        # cuDNN prefers NHWC: the activations go channels-last, the weights stay NCHW.
        fmap = fmap.contiguous(memory_format=torch.channels_last)
        x = self.first_conv(fmap)
        x = torch.relu(self.bn1(self.up1(x)))
        x = torch.relu(self.bn2(self.up2(x)))
        return self.classifier(x)

"""Test models for the TorchScript frontend: each is linted from this source and from its
scripted archive (make_archives.py), and the findings are compared."""
import random
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchEmbed(nn.Module):
    def __init__(self, in_chans: int, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=4, stride=4)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


class ModalityEmbed(nn.Module):
    def __init__(self, in_chans: int, dim: int):
        super().__init__()
        self.patch_embed = PatchEmbed(in_chans, dim)
        self.modality_token = nn.Parameter(torch.zeros(1, 1, dim))


class Block(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return x + F.gelu(self.fc(x))


class RGBDNet(nn.Module):
    """The seed's pattern: the depth branch runs only when depth images survive dropout."""

    def __init__(self, dim: int = 16, depth: int = 2, use_aux: bool = False):
        super().__init__()
        self.use_aux = use_aux
        self.rgb_embed = ModalityEmbed(3, dim)
        self.depth_embed = ModalityEmbed(1, dim)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.aux_head = nn.Linear(dim, 4)
        self.proj = nn.Conv2d(dim, dim, kernel_size=1)
        self.head = nn.Conv2d(dim, 8, kernel_size=1)
        self.teacher = nn.Linear(dim, dim)

    def pool(self, tokens):
        return tokens.mean(dim=1)

    def forward(self, rgb, depth, n_i: int):
        tokens = self.rgb_embed.patch_embed(rgb) + self.rgb_embed.modality_token
        if n_i > 0:
            tokens = tokens + self.depth_embed.patch_embed(depth) + self.depth_embed.modality_token
        for blk in self.blocks:
            tokens = blk(tokens)
        pooled = self.pool(tokens)
        if self.use_aux:
            pooled = pooled + self.aux_head(pooled).sum()
        soft = self.teacher(pooled).detach()
        b, n, c = tokens.shape
        fmap = tokens.transpose(1, 2).reshape(b, c, 2, 2)
        # cuDNN prefers NHWC: the activations go channels-last; proj's weight stays NCHW.
        fmap = fmap.contiguous(memory_format=torch.channels_last)
        fmap = self.proj(fmap)
        return self.head(fmap).flatten(1) + soft.sum() + pooled.sum()


class AllUsed(nn.Module):
    def __init__(self, dim: int = 8):
        super().__init__()
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(x + self.fc2(F.relu(self.fc1(x))))


class LayerDrop(nn.Module):
    def __init__(self, dim: int = 8, p: float = 0.1):
        super().__init__()
        self.p = p
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range(3)])

    def forward(self, x, drop: List[bool]):
        for i, layer in enumerate(self.layers):
            if not drop[i]:
                x = layer(x)
        return x

"""An RGB-D segmenter with modality dropout: for some batches the depth images are dropped,
and the depth branch is skipped entirely."""
import random

import torch
import torch.nn as nn

from .deconv_upsampler import DeconvUpsampler


class PatchEmbed(nn.Module):
    def __init__(self, in_chans: int, dim: int, patch: int = 16):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


class ModalityEmbed(nn.Module):
    """Holds the per-modality patch embedding; the segmenter calls its parts directly."""

    def __init__(self, in_chans: int, dim: int):
        super().__init__()
        self.patch_embed = PatchEmbed(in_chans, dim)
        self.modality_token = nn.Parameter(torch.zeros(1, 1, dim))


class MlpBlock(nn.Module):
    def __init__(self, dim: int, ratio: int = 4):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, ratio * dim)
        self.fc2 = nn.Linear(ratio * dim, dim)

    def forward(self, x):
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.norm(x))))


class RGBDSegmenter(nn.Module):
    def __init__(self, dim: int = 1280, depth: int = 6, p_drop_depth: float = 0.25, classes: int = 40):
        super().__init__()
        self.p_drop_depth = p_drop_depth
        self.rgb_embed = ModalityEmbed(3, dim)
        self.depth_embed = ModalityEmbed(1, dim)
        self.blocks = nn.ModuleList([MlpBlock(dim) for _ in range(depth)])
        self.decoder = DeconvUpsampler(dim, classes)

    def n_depth_images(self, batch: int) -> int:
        # How many depth images survive modality dropout in this batch (0 or all).
        return 0 if random.random() < self.p_drop_depth else batch

    def forward(self, rgb, depth):
        n_i = self.n_depth_images(rgb.shape[0]) if self.training else rgb.shape[0]
        tokens = self.rgb_embed.patch_embed(rgb) + self.rgb_embed.modality_token
        if n_i > 0:
            depth_tokens = self.depth_embed.patch_embed(depth) + self.depth_embed.modality_token
            tokens = tokens + depth_tokens
        for blk in self.blocks:
            tokens = blk(tokens)
        b, n, c = tokens.shape
        side = int(n ** 0.5)
        return self.decoder(tokens.transpose(1, 2).reshape(b, c, side, side))

"""Activation checkpointing, written the way timm and HuggingFace transformers write it: a
`grad_checkpointing` flag (toggled by `set_grad_checkpointing`) chooses between calling each block
through torch.utils.checkpoint.checkpoint and calling it directly; both paths run the same block."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint


class MLPBlock(nn.Module):
    def __init__(self, dim: int, mlp_ratio: float = 4.0, dropout: float = 0.0):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop(self.fc2(F.gelu(self.fc1(self.norm(x)))))


class AttentionBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int = 8, dropout: float = 0.0):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.norm(x)
        return x + self.attn(h, h, h, attn_mask=attn_mask, need_weights=False)[0]


class Layer(nn.Module):
    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.attn_block = AttentionBlock(dim, num_heads)
        self.mlp_block = MLPBlock(dim)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.mlp_block(self.attn_block(x, attn_mask))


class CheckpointedEncoder(nn.Module):
    """HuggingFace style: the flag is tested per layer, inside the loop."""

    def __init__(self, dim: int = 256, depth: int = 6, num_heads: int = 8):
        super().__init__()
        self.layers = nn.ModuleList([Layer(dim, num_heads) for _ in range(depth)])
        self.gradient_checkpointing = False

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        for layer in self.layers:
            if self.gradient_checkpointing and self.training:
                x = torch.utils.checkpoint.checkpoint(layer, x, attn_mask, use_reentrant=False)
            else:
                x = layer(x, attn_mask)
        return x


class CheckpointedModel(nn.Module):
    """timm style: `set_grad_checkpointing` flips the flag; a single block (the stem MLP) is
    checkpointed as `checkpoint(self.block, x)`."""

    def __init__(self, in_dim: int = 64, dim: int = 256, depth: int = 6, num_heads: int = 8,
                 num_classes: int = 1000, grad_checkpointing: bool = False):
        super().__init__()
        self.embed = nn.Linear(in_dim, dim)
        self.block = MLPBlock(dim)
        self.encoder = CheckpointedEncoder(dim, depth, num_heads)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        self.grad_checkpointing = grad_checkpointing
        self.encoder.gradient_checkpointing = grad_checkpointing

    @torch.jit.ignore
    def set_grad_checkpointing(self, enable: bool = True):
        self.grad_checkpointing = enable
        self.encoder.gradient_checkpointing = enable

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        if self.grad_checkpointing and self.training:
            x = torch.utils.checkpoint.checkpoint(self.block, x, use_reentrant=False)
        else:
            x = self.block(x)
        x = self.encoder(x)
        return self.norm(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.forward_features(x)
        return self.head(x.mean(dim=1))

import random

import torch
import torch.nn as nn
import torch.nn.functional as F


class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, ffn_dim, dropout=0.1):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.attn_norm = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, ffn_dim)
        self.fc2 = nn.Linear(ffn_dim, d_model)
        self.ffn_norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, padding_mask=None):
        residual = x
        x, _ = self.self_attn(x, x, x, key_padding_mask=padding_mask, need_weights=False)
        x = self.attn_norm(residual + self.dropout(x))
        residual = x
        x = self.fc2(self.dropout(F.relu(self.fc1(x))))
        return self.ffn_norm(residual + self.dropout(x))


class LayerDropEncoder(nn.Module):
    """fairseq-style LayerDrop: whole layers are skipped at random while training."""

    def __init__(self, vocab=32000, d_model=512, nhead=8, ffn_dim=2048, num_layers=12, layerdrop=0.1):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d_model, padding_idx=0)
        self.layers = nn.ModuleList([EncoderLayer(d_model, nhead, ffn_dim) for _ in range(num_layers)])
        self.layerdrop = layerdrop
        self.final_norm = nn.LayerNorm(d_model)

    def forward(self, tokens):
        padding_mask = tokens.eq(0)
        x = self.embed_tokens(tokens)
        for layer in self.layers:
            dropout_probability = random.uniform(0, 1)
            if self.training and dropout_probability < self.layerdrop:  # expect-note: DDP101
                continue
            x = layer(x, padding_mask)  # expect: DDP101(layers)
        return self.final_norm(x)


class TorchLayerDropDecoder(nn.Module):
    """Same idea with an enumerate loop and a torch RNG draw."""

    def __init__(self, d_model=256, num_layers=6, p=0.2):
        super().__init__()
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(d_model, 4, batch_first=True) for _ in range(num_layers)])
        self.p = p
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x):
        for i, blk in enumerate(self.blocks):
            if i > 0 and torch.rand(()) < self.p:  # expect-note: DDP101
                continue
            x = blk(x)  # expect: DDP101(blocks)
        return self.out(x)


class LayerDropWithZeroTerm(nn.Module):
    """The skipping path adds a zero-valued term of the skipped layer, so every
    parameter joins the autograd graph on every step."""

    def __init__(self, d_model=256, num_layers=6, p=0.2):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(d_model, d_model) for _ in range(num_layers)])
        self.p = p

    def forward(self, x):
        for blk in self.blocks:
            if self.training and random.random() < self.p:
                x = x + 0.0 * sum(p.sum() for p in blk.parameters())
                continue
            x = x + F.gelu(blk(x))
        return x


class ContinueWithoutModules(nn.Module):
    """`continue` skips only bookkeeping; every block still runs."""

    def __init__(self, dim=128, depth=4):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])
        self.out_indices = (1, 3)

    def forward(self, x):
        outs = []
        for i, blk in enumerate(self.blocks):
            x = F.relu(blk(x))
            if i not in self.out_indices:
                continue
            outs.append(x)
        outs.append(x)
        return torch.stack(outs, dim=0)

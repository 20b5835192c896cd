"""Dense (soft) mixtures of experts, written the way lucidrains' soft-moe-pytorch and
dense-gated MoE layers write them: every expert runs on every step, and the outputs are mixed
with einsum, so every expert's parameters get a gradient on every step."""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.scale = dim ** 0.5
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return F.normalize(x, dim=-1) * self.scale * self.gamma


class FeedForward(nn.Module):
    def __init__(self, dim: int, mult: int = 4, dropout: float = 0.0):
        super().__init__()
        dim_hidden = int(dim * mult)
        self.net = nn.Sequential(
            nn.Linear(dim, dim_hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(dim_hidden, dim),
        )

    def forward(self, x):
        return self.net(x)


class Experts(nn.Module):
    def __init__(self, experts: nn.ModuleList):
        super().__init__()
        self.num_experts = len(experts)
        self.experts = experts

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (b, e, s, d): slot tokens for each expert
        outs = []
        for expert, expert_input in zip(self.experts, x.unbind(dim=1)):
            outs.append(expert(expert_input))
        return torch.stack(outs, dim=1)


class SoftMoE(nn.Module):
    """Soft MoE (Puigcerver et al. 2023): tokens are softly dispatched to slots, each expert
    processes its slots, and slot outputs are softly combined back to tokens."""

    def __init__(self, dim: int, seq_len: Optional[int] = None, num_experts: int = 4, num_slots: Optional[int] = None,
                 expert_mult: int = 4, dropout: float = 0.0):
        super().__init__()
        assert seq_len is not None or num_slots is not None, "either seq_len or num_slots must be given"
        if num_slots is None:
            num_slots = seq_len // num_experts
        self.norm = RMSNorm(dim)
        self.slot_norm = RMSNorm(dim)
        self.slot_embeds = nn.Parameter(torch.randn(num_experts, num_slots, dim))
        self.experts = Experts(nn.ModuleList([FeedForward(dim, expert_mult, dropout) for _ in range(num_experts)]))

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, n, d = x.shape
        x = self.norm(x)
        slot_embeds = self.slot_norm(self.slot_embeds)
        logits = torch.einsum('bnd,esd->bnes', x, slot_embeds)

        if mask is not None:
            logits = logits.masked_fill(~mask[:, :, None, None], -torch.finfo(logits.dtype).max)

        # dispatch: softmax over tokens; combine: softmax over all slots
        dispatch_weights = logits.softmax(dim=1)
        e, s = logits.shape[2], logits.shape[3]
        combine_weights = logits.reshape(b, n, e * s).softmax(dim=-1)

        slots = torch.einsum('bnd,bnes->besd', x, dispatch_weights)
        out = self.experts(slots)  # (b, e, s, d)
        out = out.reshape(b, e * s, d)
        return torch.einsum('bsd,bns->bnd', out, combine_weights)


class DenseGatedMoE(nn.Module):
    """Dense gating: every expert runs on every token; a softmax gate mixes them."""

    def __init__(self, dim: int, num_experts: int = 4, expert_mult: int = 2):
        super().__init__()
        self.gate = nn.Linear(dim, num_experts, bias=False)
        self.w1 = nn.Parameter(torch.randn(num_experts, dim, dim * expert_mult) / math.sqrt(dim))
        self.w2 = nn.Parameter(torch.randn(num_experts, dim * expert_mult, dim) / math.sqrt(dim * expert_mult))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gates = self.gate(x).softmax(dim=-1)  # (b, n, e)
        hidden = F.gelu(torch.einsum('bnd,edh->bneh', x, self.w1))
        expert_out = torch.einsum('bneh,ehd->bned', hidden, self.w2)
        return torch.einsum('bned,bne->bnd', expert_out, gates)


class MoETransformer(nn.Module):
    def __init__(self, num_tokens: int = 256, dim: int = 128, depth: int = 4, heads: int = 4, seq_len: int = 64,
                 num_experts: int = 4):
        super().__init__()
        self.token_emb = nn.Embedding(num_tokens, dim)
        self.pos_emb = nn.Parameter(torch.zeros(1, seq_len, dim))
        self.layers = nn.ModuleList([])
        for i in range(depth):
            moe = SoftMoE(dim, seq_len=seq_len, num_experts=num_experts) if i % 2 == 0 else \
                DenseGatedMoE(dim, num_experts=num_experts)
            self.layers.append(nn.ModuleList([
                nn.LayerNorm(dim),
                nn.MultiheadAttention(dim, heads, batch_first=True),
                moe,
            ]))
        self.norm = nn.LayerNorm(dim)
        self.to_logits = nn.Linear(dim, num_tokens)

    def forward(self, tokens: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = self.token_emb(tokens) + self.pos_emb[:, :tokens.shape[1]]
        key_padding_mask = ~mask if mask is not None else None
        for norm, attn, moe in self.layers:
            h = norm(x)
            x = x + attn(h, h, h, key_padding_mask=key_padding_mask, need_weights=False)[0]
            x = x + moe(x)
        return self.to_logits(self.norm(x))

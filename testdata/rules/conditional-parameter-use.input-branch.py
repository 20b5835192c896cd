import torch
import torch.nn as nn
import torch.nn.functional as F


class PromptedEncoder(nn.Module):
    """Prompt tokens are prepended only for batches that carry prompt ids."""

    def __init__(self, vocab=32000, dim=256, num_prompts=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.prompt_embed = nn.Embedding(num_prompts, dim)
        self.encoder = nn.TransformerEncoderLayer(dim, 8, batch_first=True)

    def forward(self, tokens, prompt_ids=None):
        x = self.embed(tokens)
        if prompt_ids is not None:  # expect-note: DDP101
            x = torch.cat([self.prompt_embed(prompt_ids), x], dim=1)  # expect: DDP101(prompt_embed)
        return self.encoder(x)


class TwoStreamHead(nn.Module):
    """Video batches and image batches go through different projections."""

    def __init__(self, dim=512, classes=400):
        super().__init__()
        self.video_proj = nn.Linear(dim, dim)
        self.image_proj = nn.Linear(dim, dim)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, feats):
        if feats.dim() == 3:  # expect-note: DDP101
            h = self.video_proj(feats.mean(1))  # expect: DDP101(video_proj)
        else:
            h = self.image_proj(feats)  # expect: DDP101(image_proj)
        return self.classifier(F.relu(h))


class ReshapeOnly(nn.Module):
    """Branches that only reshape, or that call the same layer on both sides, are harmless."""

    def __init__(self, dim=64):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x, pool: bool = True):
        if x.dim() == 4:
            x = x.flatten(2).transpose(1, 2)
        if pool:
            y = self.proj(x.mean(1))
        else:
            y = self.proj(x)
        return self.norm(y)


class UsedOnBothPaths(nn.Module):
    """`proj` runs unconditionally and again under the condition: always used, clean."""

    def __init__(self, dim=128):
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, extra=None):
        h = self.proj(x)
        if extra is not None:
            h = h + self.proj(extra)
        return h


class TwoConditionalUses(nn.Module):
    """Used under the same runtime condition twice: one finding, at the first use."""

    def __init__(self, dim=128):
        super().__init__()
        self.base = nn.Linear(dim, dim)
        self.ctx = nn.Linear(dim, dim)

    def forward(self, x, ctx=None):
        h = self.base(x)
        if ctx is not None:  # expect-note: DDP101
            h = h + self.ctx(ctx)  # expect: DDP101(ctx)
        h = F.gelu(h)
        if ctx is not None:
            h = h * torch.sigmoid(self.ctx(ctx))
        return h


class SharedCrossAttention(nn.Module):
    """One cross-attention shared by two optional memories: both may be absent in a batch."""

    def __init__(self, dim=128):
        super().__init__()
        self.self_proj = nn.Linear(dim, dim)
        self.cross = nn.MultiheadAttention(dim, 4, batch_first=True)

    def forward(self, x, text=None, image=None):
        h = self.self_proj(x)
        if text is not None:  # expect-note: DDP101
            h = h + self.cross(h, text, text, need_weights=False)[0]  # expect: DDP101(cross)
        if image is not None:
            h = h + self.cross(h, image, image, need_weights=False)[0]
        return h

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        return x + self.mlp(self.norm(x))


class MaskedImageModel(nn.Module):
    """SimMIM-style: masked patches are replaced by a learned token, but only when a mask is given.
    The condition lives in the helper, so it is reported there."""

    def __init__(self, patch_dim=768, dim=384, depth=4):
        super().__init__()
        self.patch_embed = nn.Linear(patch_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, patch_dim)

    def _forward_features(self, x, mask=None):
        x = self.patch_embed(x)
        if mask is not None:  # expect-note: DDP101
            w = mask.unsqueeze(-1).type_as(x)
            x = x * (1 - w) + self.mask_token * w  # expect: DDP101(mask_token)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)

    def forward(self, x, mask=None):
        return self.head(self._forward_features(x, mask))


class EarlyExitClassifier(nn.Module):
    """The condition lives in `forward`; the skipped layers are used inside a helper, so the
    finding is at the helper's call in `forward`."""

    def __init__(self, dim=256, depth=4, classes=10):
        super().__init__()
        self.stem = nn.Linear(dim, dim)
        self.shallow_head = nn.Linear(dim, classes)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.head = nn.Linear(dim, classes)

    def _deep_features(self, h):
        for blk in self.blocks:
            h = blk(h)
        return h

    def forward(self, x, shallow: bool = False):
        h = F.relu(self.stem(x))
        if shallow:  # expect-note: DDP101
            return self.shallow_head(h)  # expect: DDP101(shallow_head)
        return self.head(self._deep_features(h))  # expect: DDP101(blocks), DDP101(head)


class CleanHelper(nn.Module):
    """A helper that is always called, with no condition inside: clean."""

    def __init__(self, dim=256, depth=2):
        super().__init__()
        self.embed = nn.Linear(dim, dim)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.head = nn.Linear(dim, 10)

    def _features(self, x):
        x = self.embed(x)
        for blk in self.blocks:
            x = blk(x)
        return x

    def forward(self, x):
        return self.head(self._features(x).mean(1))

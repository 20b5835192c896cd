import torch
import torch.nn as nn
import torch.nn.functional as F


class PosEmbedModel(nn.Module):
    """The flag is tested inside a helper method; the finding is at the use in the helper."""

    def __init__(self, dim=192, num_patches=196, use_abs_pos=False):
        super().__init__()
        self.use_abs_pos = use_abs_pos  # expect-note: DDP103
        self.patch_embed = nn.Linear(768, dim)
        self.abs_pos = nn.Parameter(torch.zeros(1, num_patches, dim))
        self.head = nn.Linear(dim, 1000)

    def _embed(self, x):
        x = self.patch_embed(x)
        if self.use_abs_pos:
            x = x + self.abs_pos  # expect: DDP103(abs_pos)
        return x

    def forward(self, x):
        return self.head(self._embed(x).mean(1))


class TrainingAndFlag(nn.Module):
    """`self.training and self.use_aux`: in training only the configuration flag decides."""

    def __init__(self, dim=256, classes=10, use_aux=False):
        super().__init__()
        self.use_aux = use_aux  # expect-note: DDP103
        self.body = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, classes)
        self.aux_head = nn.Linear(dim, classes)

    def forward(self, x):
        h = F.relu(self.body(x))
        logits = self.head(h)
        if self.training and self.use_aux:
            return logits, self.aux_head(h)  # expect: DDP103(aux_head)
        return logits

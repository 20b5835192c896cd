import torch
import torch.nn as nn
import torch.nn.functional as F


class ExportableHead(nn.Module):
    """The export head runs only in eval mode: under DDP training it never gets a gradient."""

    def __init__(self, dim=256, classes=10):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(dim, 512), nn.ReLU(), nn.Linear(512, dim))
        self.train_head = nn.Linear(dim, classes)
        self.export_head = nn.Linear(dim, classes)  # expect: DDP102(export_head)

    def forward(self, x):
        h = self.body(x)
        if not self.tdownsample.weightraining:  # expect-note: DDP102
            return self.export_head(h)
        return self.train_head(h)


class EvalElseBranch(nn.Module):
    """The eval-only module sits in the `else` of `if self.training:`."""

    def __init__(self, dim=256):
        super().__init__()
        self.stem = nn.Linear(dim, dim)
        self.reparam = nn.Linear(dim, dim)  # expect: DDP102(reparam)
        self.branch_a = nn.Linear(dim, dim)
        self.branch_b = nn.Linear(dim, dim)

    def forward(self, x):
        x = self.stem(x)
        if self.training:  # expect-note: DDP102
            return self.branch_a(x) + self.branch_b(x)
        else:
            return self.reparam(x)


class DecoderWithBeamHead(nn.Module):
    """Eval-only scoring head picked by a conditional expression on `self.training`."""

    def __init__(self, dim=256, vocab=1000):
        super().__init__()
        self.lm_head = nn.Linear(dim, vocab)
        self.rescore_head = nn.Linear(dim, vocab)  # expect: DDP102(rescore_head)

    def forward(self, h):
        return (
            self.lm_head(h)
            if self.training  # expect-note: DDP102
            else self.rescore_head(h)
        )

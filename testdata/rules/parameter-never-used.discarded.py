import torch
import torch.nn as nn
import torch.nn.functional as F


class ProbedNet(nn.Module):
    def __init__(self, dim=256, classes=100):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(dim, 512), nn.ReLU(), nn.Linear(512, dim))
        self.classifier = nn.Linear(dim, classes)
        self.feature_probe = nn.Linear(dim, 16)  # expect: DDP102(feature_probe)
        self.debug_head = nn.Linear(dim, classes)  # expect: DDP102(debug_head)

    def forward(self, x):
        feats = self.backbone(x)
        probe = self.feature_probe(feats)  # expect-note: DDP102
        self.debug_head(feats)  # expect-note: DDP102
        return self.classifier(feats)


class OverwrittenLocal(nn.Module):
    """`h` from `first` is overwritten before anything reads it."""

    def __init__(self, dim=128):
        super().__init__()
        self.first = nn.Linear(dim, dim)  # expect: DDP102(first)
        self.second = nn.Linear(dim, dim)

    def forward(self, x):
        h = self.first(x)  # expect-note: DDP102
        h = self.second(x)
        return h


class UnusedList(nn.Module):
    """Side features are collected in a list that never reaches the output."""

    def __init__(self, dim=128):
        super().__init__()
        self.main = nn.Linear(dim, dim)
        self.side = nn.Linear(dim, dim)  # expect: DDP102(side)

    def forward(self, x):
        extras = []
        extras.append(self.side(x))  # expect-note: DDP102
        return self.main(x)


class UsedThroughLoss(nn.Module):
    """Looks discarded at a glance, but the probe's output feeds the returned loss: clean."""

    def __init__(self, dim=128):
        super().__init__()
        self.enc = nn.Linear(dim, dim)
        self.probe = nn.Linear(dim, 1)

    def forward(self, x, y):
        h = self.enc(x)
        probe = self.probe(h)
        loss = F.mse_loss(h, x)
        loss = loss + 0.1 * F.binary_cross_entropy_with_logits(probe.squeeze(-1), y)
        return loss

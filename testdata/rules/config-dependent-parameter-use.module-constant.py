import os

import torch
import torch.nn as nn
import torch.nn.functional as F

USE_REFINER = os.environ.get("USE_REFINER", "0") == "1"  # expect-note: DDP103


class Segmenter(nn.Module):
    """A module-level constant decides whether the refiner runs; it is built either way."""

    def __init__(self, dim=64, classes=21):
        super().__init__()
        self.encoder = nn.Conv2d(3, dim, 3, padding=1)
        self.classifier = nn.Conv2d(dim, classes, 1)
        self.refiner = nn.Conv2d(classes, classes, 3, padding=1)

    def forward(self, x):
        logits = self.classifier(F.relu(self.encoder(x)))
        if USE_REFINER:
            logits = logits + self.refiner(logits)  # expect: DDP103(refiner)
        return logits

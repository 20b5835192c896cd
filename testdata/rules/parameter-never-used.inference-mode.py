import torch
import torch.nn as nn
import torch.nn.functional as F


class PseudoLabeler(nn.Module):
    """Pseudo-labels from a trainable labeler computed under inference_mode."""

    def __init__(self, dim=256, classes=10):
        super().__init__()
        self.labeler = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, classes))  # expect: DDP102(labeler)
        self.student = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, classes))

    def forward(self, x_weak, x_strong):
        with torch.inference_mode():  # expect-note: DDP102
            pseudo = F.softmax(self.labeler(x_weak), dim=-1)
        return F.cross_entropy(self.student(x_strong), pseudo.clone())


class InferenceModeHelper(nn.Module):
    """The inference_mode region is a nested `with` inside a helper."""

    def __init__(self, dim=256):
        super().__init__()
        self.backbone = nn.Linear(dim, dim)
        self.scorer = nn.Linear(dim, 1)  # expect: DDP102(scorer)

    def _scores(self, h):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            with torch.inference_mode():  # expect-note: DDP102
                return self.scorer(h).squeeze(-1)

    def forward(self, x):
        h = self.backbone(x)
        w = torch.softmax(self._scores(h).float(), dim=-1).clone()
        return (h * w.unsqueeze(-1)).sum(1)

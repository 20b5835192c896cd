import torch
import torch.nn as nn
import torch.nn.functional as F


class GatedFusion(nn.Module):
    """Fuses an optional text feature into the image feature."""

    def __init__(self, dim):
        super().__init__()
        self.img_proj = nn.Linear(dim, dim)
        self.txt_proj = nn.Linear(dim, dim)
        self.gate = nn.Linear(2 * dim, dim)

    def forward(self, img, txt=None):
        img = self.img_proj(img)
        if txt is None:  # expect-note: DDP101
            return img
        txt = self.txt_proj(txt)  # expect: DDP101(txt_proj)
        g = torch.sigmoid(self.gate(torch.cat([img, txt], dim=-1)))  # expect: DDP101(gate)
        return g * img + (1 - g) * txt


class RoIBoxHead(nn.Module):
    """Images without proposals return empty predictions before touching any layer."""

    def __init__(self, in_dim=256 * 7 * 7, hidden=1024, num_classes=81):
        super().__init__()
        self.num_classes = num_classes
        self.fc = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.cls_score = nn.Linear(hidden, num_classes)
        self.bbox_pred = nn.Linear(hidden, num_classes * 4)

    def forward(self, roi_feats):
        if roi_feats.shape[0] == 0:  # expect-note: DDP101
            empty = roi_feats.new_zeros((0, self.num_classes))
            return empty, empty.repeat(1, 4)
        x = self.fc(roi_feats.flatten(1))  # expect: DDP101(fc)
        return self.cls_score(x), self.bbox_pred(x)  # expect: DDP101(cls_score), DDP101(bbox_pred)


class OptionalContext(nn.Module):
    """A missing context is replaced by zeros, so ctx_proj runs on every path."""

    def __init__(self, dim=128):
        super().__init__()
        self.x_proj = nn.Linear(dim, dim)
        self.ctx_proj = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, ctx=None):
        if ctx is None:
            ctx = torch.zeros_like(x)
        return self.out(F.gelu(self.x_proj(x) + self.ctx_proj(ctx)))


class FeaturesOrLogits(nn.Module):
    """Both returns have gone through every layer: the early return is harmless."""

    def __init__(self, dim=128, classes=10):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.head = nn.Linear(dim, classes)

    def forward(self, x, return_features: bool = False):
        feats = self.backbone(x)
        logits = self.head(feats)
        if return_features:
            return feats, logits
        return logits

"""Knowledge distillation with a frozen teacher, written the way DeiT / torchdistill-style
wrappers write it: the teacher's parameters are frozen with requires_grad_(False), it stays in eval
mode, and it runs under torch.no_grad(); only the student is trained."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(in_ch: int, out_ch: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class SmallCNN(nn.Module):
    def __init__(self, num_classes: int = 100, width: int = 32, depth: int = 3):
        super().__init__()
        layers = [conv_bn(3, width)]
        ch = width
        for _ in range(depth - 1):
            layers.append(conv_bn(ch, ch * 2, stride=2))
            ch *= 2
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(ch, num_classes)
        self.out_channels = ch

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.features(x)), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x))


class DistillationLoss(nn.Module):
    """Hinton KD: KL(student/T || teacher/T) * T^2 mixed with the hard-label loss, plus a feature
    regression term. Computed outside the model, on the dict the model returns."""

    def __init__(self, alpha: float = 0.5, tau: float = 4.0, feat_weight: float = 1.0):
        super().__init__()
        self.alpha = alpha
        self.tau = tau
        self.feat_weight = feat_weight

    def forward(self, outputs: Dict[str, torch.Tensor], labels: torch.Tensor) -> torch.Tensor:
        student_logits, teacher_logits = outputs["logits"], outputs["teacher_logits"]
        base_loss = F.cross_entropy(student_logits, labels)
        T = self.tau
        distillation_loss = F.kl_div(
            F.log_softmax(student_logits / T, dim=1),
            F.log_softmax(teacher_logits / T, dim=1),
            reduction="batchmean",
            log_target=True,
        ) * (T * T)
        feat_loss = F.mse_loss(outputs["proj_feats"], outputs["teacher_feats"])
        return base_loss * (1 - self.alpha) + distillation_loss * self.alpha + self.feat_weight * feat_loss


class DistillModel(nn.Module):
    def __init__(self, num_classes: int = 100):
        super().__init__()
        self.student = SmallCNN(num_classes, width=16, depth=3)
        self.teacher = SmallCNN(num_classes, width=64, depth=4)
        # The teacher was trained before; it only provides soft targets.
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        # Feature distillation: project student features to the teacher's width.
        self.feat_proj = nn.Linear(self.student.out_channels, self.teacher.out_channels)

    def train(self, mode: bool = True):
        super().train(mode)
        self.teacher.eval()  # BatchNorm statistics of the teacher stay frozen
        return self

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        student_feats = self.student.forward_features(images)
        student_logits = self.student.fc(student_feats)

        with torch.no_grad():
            teacher_feats = self.teacher.forward_features(images)
            teacher_logits = self.teacher.fc(teacher_feats)

        return {
            "logits": student_logits,
            "proj_feats": self.feat_proj(student_feats),
            "teacher_logits": teacher_logits,
            "teacher_feats": teacher_feats,
        }

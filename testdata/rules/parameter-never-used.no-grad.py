import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


class DistillWrapper(nn.Module):
    """The teacher is trainable, but it only runs under no_grad."""

    def __init__(self, dim=256, classes=100):
        super().__init__()
        self.student = mlp(dim, 512, classes)
        self.teacher = mlp(dim, 1024, classes)  # expect: DDP102(teacher)

    def forward(self, x):
        with torch.no_grad():  # expect-note: DDP102
            soft = F.softmax(self.teacher(x), dim=-1)
        logits = self.student(x)
        return logits, soft


class NoGradHelper(nn.Module):
    """The no_grad region is inside a helper method."""

    def __init__(self, dim=256):
        super().__init__()
        self.online = mlp(dim, 512, dim)
        self.momentum_encoder = mlp(dim, 512, dim)  # expect: DDP102(momentum_encoder)

    def _targets(self, x):
        with torch.no_grad():  # expect-note: DDP102
            return F.normalize(self.momentum_encoder(x), dim=-1)

    def forward(self, x1, x2):
        q = F.normalize(self.online(x1), dim=-1)
        k = self._targets(x2)
        return (q * k).sum(-1).mean()


class DecoratedNoGrad(nn.Module):
    """`@torch.no_grad()` on a method turns gradients off for everything it calls."""

    def __init__(self, dim=256):
        super().__init__()
        self.encoder = mlp(dim, 512, dim)
        self.target_encoder = mlp(dim, 512, dim)  # expect: DDP102(target_encoder)

    @torch.no_grad()  # expect-note: DDP102
    def encode_target(self, x):
        return self.target_encoder(x)

    def forward(self, ctx, tgt):
        return F.smooth_l1_loss(self.encoder(ctx), self.encode_target(tgt))


class SharedEncoder(nn.Module):
    """The same encoder runs once under no_grad and once with gradients: clean."""

    def __init__(self, dim=256):
        super().__init__()
        self.encoder = mlp(dim, 512, dim)
        self.predictor = nn.Linear(dim, dim)

    def forward(self, x1, x2):
        with torch.no_grad():
            target = self.encoder(x2)
        pred = self.predictor(self.encoder(x1))
        return F.mse_loss(pred, target)


class AutocastAndGradEnabled(nn.Module):
    """autocast and `set_grad_enabled(self.training)` do not turn gradients off in training."""

    def __init__(self, dim=256):
        super().__init__()
        self.mlp = mlp(dim, 512, dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            h = self.mlp(x)
        with torch.set_grad_enabled(self.training):
            out = self.head(h.float())
        return out


class NoGradOnlyForStats(nn.Module):
    """no_grad wraps parameter-free bookkeeping only: clean."""

    def __init__(self, dim=256):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.register_buffer("ema_norm", torch.zeros(()))

    def forward(self, x):
        y = self.fc(x)
        with torch.no_grad():
            self.ema_norm.mul_(0.99).add_(0.01 * y.norm())
        return y


class TargetEncoder(nn.Module):
    """The no_grad region is inside this class: reported here, once."""

    def __init__(self, dim=256):
        super().__init__()
        self.net = mlp(dim, 512, dim)  # expect: DDP102(net)

    def forward(self, x):
        with torch.no_grad():  # expect-note: DDP102
            return self.net(x)


class JEPA(nn.Module):
    """Contains a TargetEncoder and calls it on every step: nothing new to report here."""

    def __init__(self, dim=256):
        super().__init__()
        self.context_encoder = mlp(dim, 512, dim)
        self.target_encoder = TargetEncoder(dim)
        self.predictor = nn.Linear(dim, dim)

    def forward(self, ctx, tgt):
        pred = self.predictor(self.context_encoder(ctx))
        return F.smooth_l1_loss(pred, self.target_encoder(tgt))

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


class FrozenTeacherDistill(nn.Module):
    """The teacher holds no trainable parameters: DDP ignores it."""

    def __init__(self, dim=256, classes=100):
        super().__init__()
        self.student = mlp(dim, 512, classes)
        self.teacher = mlp(dim, 1024, classes)
        self.teacher.requires_grad_(False)

    def forward(self, x):
        with torch.no_grad():
            target = self.teacher(x)
        return self.student(x), target


class FrozenByLoop(nn.Module):
    """Frozen parameter by parameter; the frozen encoder's output is detached as well."""

    def __init__(self, dim=256):
        super().__init__()
        self.text_encoder = mlp(dim, 512, dim)
        for p in self.text_encoder.parameters():
            p.requires_grad = False
        self.image_encoder = mlp(dim, 512, dim)

    def forward(self, img, txt):
        t = self.text_encoder(txt).detach()
        return F.cosine_similarity(self.image_encoder(img), t, dim=-1)


class FixedBuffersAsParameters(nn.Module):
    """Non-trainable `nn.Parameter`s, and a frozen module that is never called."""

    def __init__(self, dim=256):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.mean = nn.Parameter(torch.zeros(dim), requires_grad=False)
        self.unused_fixed = nn.Parameter(torch.ones(dim), requires_grad=False)
        self.legacy = nn.Linear(dim, dim)
        self.legacy.requires_grad_(False)

    def forward(self, x):
        return self.fc(x - self.mean.detach())


class FrozenEmbeddingTable(nn.Module):
    """A pretrained embedding frozen through its weight, used only under no_grad."""

    def __init__(self, vocab=1000, dim=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.embed.weight.requires_grad = False
        self.proj = nn.Linear(dim, dim)

    def forward(self, tokens):
        with torch.no_grad():
            e = self.embed(tokens)
        return self.proj(e)

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


def conv_bn(cin, cout, stride=1):
    layers = [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers)


def make_stage(dim, depth):
    return nn.ModuleList([conv_bn(dim, dim) for _ in range(depth)])


class ProjectionNet(nn.Module):
    """Submodules built by module-level functions; one of them is never called."""

    def __init__(self, dim=256):
        super().__init__()
        self.backbone = mlp(dim, 512, dim)
        self.projector = mlp(dim, 1024, 128)
        self.predictor = mlp(128, 512, 128)  # expect: DDP102(predictor)

    def forward(self, x):
        return F.normalize(self.projector(self.backbone(x)), dim=-1)


class ConvNet(nn.Module):
    """Built by helper functions and used in full: clean."""

    def __init__(self, cin=3, dim=32, depth=2):
        super().__init__()
        self.stem = conv_bn(cin, dim, stride=2)
        self.stage = make_stage(dim, depth)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for layer in self.stage:
            x = F.relu(layer(x)) + x
        return self.head(x.mean((2, 3)))


class ReturnsLossFromFunction(nn.Module):
    """Calls a module-level function that takes the submodule: the function uses it."""

    def __init__(self, dim=128):
        super().__init__()
        self.encoder = mlp(dim, 256, dim)
        self.decoder = mlp(dim, 256, dim)

    def forward(self, x):
        return reconstruction_loss(self.encoder, self.decoder, x)


def reconstruction_loss(encoder, decoder, x):
    return F.mse_loss(decoder(encoder(x)), x)

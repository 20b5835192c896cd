import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm2d(nn.LayerNorm):
    """Channels-first LayerNorm through `super().forward`: the inherited weight and bias are used."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = super().forward(x)
        return x.permute(0, 3, 1, 2)


class LayerNormFunctional(nn.LayerNorm):
    """The same through `F.layer_norm` with the inherited parameters."""

    def forward(self, x):
        return F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps).permute(0, 3, 1, 2)


class ScaledLinear(nn.Linear):
    """`nn.Linear` subclass with an extra parameter of its own."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias=bias)
        self.scale = nn.Parameter(torch.ones(out_features))

    def forward(self, x):
        return super().forward(x) * self.scale


class ConvBlock(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.norm = LayerNorm2d(dim)
        self.norm2 = LayerNormFunctional(dim)
        self.proj = ScaledLinear(dim, dim)

    def forward(self, x):
        x = self.norm2(self.norm(self.conv(x)))
        return self.proj(x.mean((2, 3)))

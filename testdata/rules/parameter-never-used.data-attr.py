import torch
import torch.nn as nn
import torch.nn.functional as F


class DataAttrHead(nn.Module):
    """`.data` gives a tensor outside autograd: the encoder never gets a gradient."""

    def __init__(self, dim=256):
        super().__init__()
        self.encoder = nn.Linear(dim, dim)  # expect: DDP102(encoder)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        feats = self.encoder(x).data  # expect-note: DDP102
        return self.head(feats)


class DataOnParameter(nn.Module):
    """A prototype matrix read through `.data`."""

    def __init__(self, dim=128, num_protos=64):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.prototypes = nn.Parameter(torch.randn(num_protos, dim))  # expect: DDP102(prototypes)

    def forward(self, x):
        z = F.normalize(self.proj(x), dim=-1)
        w = F.normalize(self.prototypes.data, dim=-1)  # expect-note: DDP102
        return z @ w.t()


class DataForInitOnly(nn.Module):
    """`.data` used only to initialise in `__init__`; forward uses the parameter: clean."""

    def __init__(self, dim=128):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.fc.weight.data.normal_(0.0, 0.02)
        self.fc.bias.data.zero_()

    def forward(self, x):
        return self.fc(x)

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyViT(nn.Module):
    """Direct `nn.Parameter`s used in forward (cls token, position embedding) are used;
    the distillation token was left behind."""

    def __init__(self, patch_dim=768, dim=192, num_patches=196, depth=2):
        super().__init__()
        self.patch_embed = nn.Linear(patch_dim, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, dim))  # expect: DDP102(dist_token)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, dim))
        self.blocks = nn.Sequential(*[nn.TransformerEncoderLayer(dim, 3, batch_first=True) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 1000)

    def forward(self, x):
        x = self.patch_embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


class LayerScale(nn.Module):
    """A parameter used through an in-place-looking multiply and a functional call."""

    def __init__(self, dim=192, init=1e-5):
        super().__init__()
        self.gamma = nn.Parameter(init * torch.ones(dim))
        self.weight = nn.Parameter(torch.empty(dim, dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x):
        return x * self.gamma + F.linear(x, self.weight, self.bias)

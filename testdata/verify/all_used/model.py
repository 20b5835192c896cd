"""A plain MLP classifier: every parameter is used in every iteration."""
import torch.nn as nn


class Mlp(nn.Module):
    def __init__(self, dim: int = 32, classes: int = 10):
        super().__init__()
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(4 * dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        return self.head(self.norm(x + self.fc2(self.act(self.fc1(x)))))

import torch
import torch.nn as nn
import torch.nn.functional as F


class Expert(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden)
        self.w2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)))


class DenseMoE(nn.Module):
    """Soft mixture: every expert runs on every token and is weighted by the router."""

    def __init__(self, dim=256, hidden=1024, num_experts=4):
        super().__init__()
        self.router = nn.Linear(dim, num_experts)
        self.experts = nn.ModuleList([Expert(dim, hidden) for _ in range(num_experts)])

    def forward(self, x):
        weights = F.softmax(self.router(x), dim=-1)
        expert_out = torch.stack([e(x) for e in self.experts], dim=-2)
        return torch.einsum("bne,bned->bnd", weights, expert_out)


class DenseMoELoop(nn.Module):
    """The same with an explicit loop and a list of outputs."""

    def __init__(self, dim=256, hidden=1024, num_experts=4):
        super().__init__()
        self.router = nn.Linear(dim, num_experts)
        self.experts = nn.ModuleList([Expert(dim, hidden) for _ in range(num_experts)])

    def forward(self, x):
        weights = F.softmax(self.router(x), dim=-1)
        outs = []
        for expert in self.experts:
            outs.append(expert(x))
        stacked = torch.stack(outs, dim=-1)
        return (stacked * weights.unsqueeze(-2)).sum(-1)

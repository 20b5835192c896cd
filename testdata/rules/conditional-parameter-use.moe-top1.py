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


class TopOneMoE(nn.Module):
    """Switch-style routing: an expert that receives no token in a batch is skipped and gets
    no gradient. The router always runs and its gate value reaches the output."""

    def __init__(self, dim=512, hidden=2048, num_experts=8):
        super().__init__()
        self.router = nn.Linear(dim, num_experts, bias=False)
        self.experts = nn.ModuleList([Expert(dim, hidden) for _ in range(num_experts)])

    def forward(self, x):
        tokens = x.reshape(-1, x.shape[-1])
        probs = F.softmax(self.router(tokens), dim=-1)
        gate, index = probs.max(dim=-1)
        out = torch.zeros_like(tokens)
        for i, expert in enumerate(self.experts):
            sel = (index == i).nonzero(as_tuple=True)[0]
            if sel.numel() == 0:  # expect-note: DDP101
                continue
            out[sel] = expert(tokens[sel]) * gate[sel].unsqueeze(-1)  # expect: DDP101(experts)
        return out.reshape(x.shape)


class TopOneMoENoSkip(nn.Module):
    """Same routing without the skip: an expert with an empty selection still runs on an empty
    batch and joins the graph (with a zero gradient), so DDP sees every parameter used."""

    def __init__(self, dim=512, hidden=2048, num_experts=8):
        super().__init__()
        self.router = nn.Linear(dim, num_experts, bias=False)
        self.experts = nn.ModuleList([Expert(dim, hidden) for _ in range(num_experts)])

    def forward(self, x):
        tokens = x.reshape(-1, x.shape[-1])
        probs = F.softmax(self.router(tokens), dim=-1)
        gate, index = probs.max(dim=-1)
        out = torch.zeros_like(tokens)
        for i, expert in enumerate(self.experts):
            mask = index == i
            out[mask] = expert(tokens[mask]) * gate[mask].unsqueeze(-1)
        return out.reshape(x.shape)

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


class Heads(nn.Module):
    def __init__(self, dim, tasks):
        super().__init__()
        self.trunk = mlp(dim, 2 * dim, dim)
        self.heads = nn.ModuleDict({t: nn.Linear(dim, 1) for t in tasks})
        self.teacher = nn.Linear(dim, dim)
        self.teacher.requires_grad_(False)
        self.scale = 0.5

    def forward(self, x, task: str):
        feats = []
        h = self.trunk(x)
        feats.append(h)
        out = {}
        out["task"] = self.heads[task](h)
        with torch.no_grad():
            t = self.teacher(x)
        h += t.detach()
        y = F.relu(h) if self.training else h
        return torch.cat(feats, dim=-1), out, y * self.scale


# Facts from __init__: a module-level function that builds a module, a ModuleDict
# built by a comprehension, and what __init__ freezes.
# CHECK: trunk: submodule torch.nn.Sequential{0: torch.nn.Linear, 1: torch.nn.ReLU, 2: torch.nn.Linear}
# CHECK: heads: submodule torch.nn.ModuleDict{*: torch.nn.Linear}
# CHECK: scale: config constant = 0.5
# CHECK: frozen teacher
# Mutation of locals is data flow: each mutation rebinds the local.
# CHECK: graph Heads.forward(
# CHECK: %feats.7 = aten::append(%feats.4, %h.6)
# CHECK: aten::__getitem__(%
# CHECK: %out.13 = aten::_set_item(%out.8
# CHECK: ddplint::NoGradEnter[name="torch.no_grad()"]()
# CHECK: prim::GetAttr[name="teacher"]
# CHECK: prim::CallMethod[name="forward"]
# CHECK: ddplint::NoGradExit()
# CHECK: aten::detach(
# CHECK: aten::add_(%h.
# CHECK: prim::GetAttr[name="training"](%self.0)
# CHECK: prim::CallFunction[name="torch.nn.functional.relu"]
# CHECK: prim::CallFunction[name="torch.cat"](%feats.7
# CHECK: graph dataflow.mlp(%i.0, %h.1, %o.2):

import random

import torch
import torch.nn as nn


class Gate(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range(3)])

    def forward(self, x, txt=None):
        if txt is None:
            return x
        for layer in self.layers:
            if random.random() < 0.1:
                continue
            x = layer(x)
        if x.sum() > 1e9:
            raise RuntimeError("diverged")
        return self.proj(x + txt)

# An early return puts the rest of forward in the else-block.
# CHECK: graph Gate.forward(%self.0, %x.1, %txt.2):
# CHECK: aten::__is__(%txt.2
# CHECK: = prim::If(
# CHECK: block0():
# CHECK: -> (%x.1,
# CHECK: block1():
# The loop over a ModuleList calls each element; `continue` skips the rest of the body.
# CHECK: prim::GetAttr[name="layers"](%self.0)
# CHECK: = prim::Loop[name="for"](
# CHECK: prim::CallFunction[name="random.random"]()
# CHECK: prim::If(
# CHECK: prim::ContinueStmt()
# CHECK: block1():
# CHECK: prim::CallMethod[name="forward"](%elem.
# A raise ends its path; what follows runs in the other block.
# CHECK: prim::RaiseException(
# CHECK: block1():
# CHECK: prim::GetAttr[name="proj"](%self.0)
# CHECK: prim::CallMethod[name="forward"]
# CHECK-NOT: prim::RaiseException
# CHECK: return (%return.

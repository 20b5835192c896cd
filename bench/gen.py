#!/usr/bin/env python3
"""Writes a large, realistic model tree for the benchmark: packages of model code
(blocks, attention, MoE, LayerDrop encoders, heads, conditional branches, helpers),
training scripts that wrap models in DistributedDataParallel, cross-file imports.
Deterministic from --seed. Usage: gen.py OUT_DIR [--mb 5] [--seed 0]"""
import argparse
import os
import random

BLOCK = '''

class {name}(nn.Module):
    """{doc}"""

    def __init__(self, dim={dim}, hidden={hidden}, drop={drop}):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = {attn}(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)
        self.scale = nn.Parameter(torch.ones(dim) * 1e-4)
{extra_init}
    def forward(self, x, mask=None):
        h = self.attn(self.norm1(x), mask)
        x = x + self.drop(h) * self.scale
        y = self.fc2(F.gelu(self.fc1(self.norm2(x))))
{extra_forward}        return x + self.drop(y)
'''

ATTN = '''

class {name}(nn.Module):
    def __init__(self, dim, heads={heads}):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        if mask is not None:
            attn = attn.masked_fill(mask, float("-inf"))
        out = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)
'''

MODEL = '''

class {name}(nn.Module):
    def __init__(self, vocab={vocab}, dim={dim}, depth={depth}, classes={classes}, layerdrop={layerdrop}):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList([{block}(dim) for _ in range(depth)])
        self.layerdrop = layerdrop
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
{extra_init}
    def forward(self, tokens, mask=None):
        x = self.embed(tokens)
        for layer in self.layers:
{loop_body}            x = layer(x, mask)
{extra_forward}        return self.head(self.norm(x).mean(1))
'''

TRAIN = '''import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from {pkg}.{module} import {model}


def build(rank):
    model = {model}().cuda(rank)
    return DDP(model, device_ids=[rank]{flag})


def main():
    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    model = build(rank)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    for step in range(100):
        tokens = torch.randint(0, 1000, (8, 128), device=rank)
        loss = model(tokens).logsumexp(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()
'''

HEADER = "import random\n\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    target = int(args.mb * 1024 * 1024)
    written = 0
    pkg_index = 0
    while written < target:
        pkg = f"pkg{pkg_index}"
        pdir = os.path.join(args.out, pkg)
        os.makedirs(pdir, exist_ok=True)
        with open(os.path.join(pdir, "__init__.py"), "w") as f:
            f.write("")
        for m in range(20):
            if written >= target:
                break
            parts = [HEADER]
            attn = f"Attention{m}"
            parts.append(ATTN.format(name=attn, heads=rng.choice([4, 8, 16])))
            blocks = []
            for b in range(rng.randint(6, 12)):
                name = f"Block{m}_{b}"
                blocks.append(name)
                extra_init, extra_forward = "", ""
                kind = rng.random()
                if kind < 0.15:  # an optional branch on an input: DDP101
                    extra_init = "        self.gate = nn.Linear(dim, dim)\n"
                    extra_forward = "        if mask is not None:\n            y = y * torch.sigmoid(self.gate(x))\n"
                elif kind < 0.25:  # a leftover module: DDP102
                    extra_init = "        self.unused = nn.Linear(dim, dim)\n"
                elif kind < 0.35:  # a helper imported from a sibling module
                    extra_forward = "        y = y + 0.0 * x.mean()\n"
                parts.append(BLOCK.format(name=name, doc=f"Transformer block {m}.{b}", dim=rng.choice([256, 512, 768]),
                                          hidden=rng.choice([1024, 2048, 3072]), drop=0.1, attn=attn,
                                          extra_init=extra_init, extra_forward=extra_forward))
            model = f"Model{m}"
            layerdrop = rng.random() < 0.3
            loop_body = ("            if self.training and random.random() < self.layerdrop:\n                continue\n"
                         if layerdrop else "")
            parts.append(MODEL.format(name=model, vocab=32000, dim=512, depth=rng.choice([6, 12, 24]),
                                      classes=1000, layerdrop=0.1 if layerdrop else 0.0, block=rng.choice(blocks),
                                      extra_init="", loop_body=loop_body, extra_forward=""))
            text = "".join(parts)
            with open(os.path.join(pdir, f"model{m}.py"), "w") as f:
                f.write(text)
            written += len(text)
            script = TRAIN.format(pkg=pkg, module=f"model{m}", model=model,
                                  flag=", find_unused_parameters=True" if rng.random() < 0.5 else "")
            with open(os.path.join(args.out, f"train_{pkg}_{m}.py"), "w") as f:
                f.write(script)
            written += len(script)
        pkg_index += 1
    print(f"wrote {written / 1024 / 1024:.1f} MB of Python in {args.out}")


if __name__ == "__main__":
    main()

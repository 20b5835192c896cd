"""Graph attention network, written the way PyTorch Geometric's GATConv and its examples write it,
without the library: per-head attention vectors as nn.Parameters, self-loops added by config,
edge softmax and message aggregation scattered with `index_add_` over `edge_index`, bias chosen by
`concat` at construction, and a graph-level mean pool scattered over the `batch` vector."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn
from torch.nn import Parameter


def glorot(value: Tensor):
    stdv = math.sqrt(6.0 / (value.size(-2) + value.size(-1)))
    with torch.no_grad():
        value.uniform_(-stdv, stdv)


def add_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    mask = edge_index[0] != edge_index[1]
    loop_index = torch.arange(0, num_nodes, dtype=torch.long, device=edge_index.device)
    loop_index = loop_index.unsqueeze(0).repeat(2, 1)
    return torch.cat([edge_index[:, mask], loop_index], dim=1)


def softmax(src: Tensor, index: Tensor, num_nodes: int) -> Tensor:
    """Sparse softmax of `src` over the groups given by `index` (the destination nodes)."""
    out = src - src.max()
    out = out.exp()
    out_sum = torch.zeros((num_nodes,) + out.shape[1:], dtype=out.dtype, device=out.device)
    out_sum.index_add_(0, index, out)
    return out / (out_sum[index] + 1e-16)


def global_mean_pool(x: Tensor, batch: Tensor, size: Optional[int] = None) -> Tensor:
    size = int(batch.max().item() + 1) if size is None else size
    out = x.new_zeros(size, x.size(-1)).index_add_(0, batch, x)
    count = x.new_zeros(size).index_add_(0, batch, torch.ones_like(batch, dtype=x.dtype))
    return out / count.clamp(min=1).unsqueeze(-1)


class GATConv(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True, bias: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.heads = heads
        self.concat = concat
        self.negative_slope = negative_slope
        self.dropout = dropout
        self.add_self_loops = add_self_loops

        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)

        # The learnable parameters to compute attention coefficients:
        self.att_src = Parameter(torch.empty(1, heads, out_channels))
        self.att_dst = Parameter(torch.empty(1, heads, out_channels))

        if bias and concat:
            self.bias = Parameter(torch.empty(heads * out_channels))
        elif bias and not concat:
            self.bias = Parameter(torch.empty(out_channels))
        else:
            self.register_parameter('bias', None)

        self.reset_parameters()

    def reset_parameters(self):
        glorot(self.lin.weight)
        glorot(self.att_src)
        glorot(self.att_dst)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, edge_index: Tensor, return_attention_weights: Optional[bool] = None):
        H, C = self.heads, self.out_channels
        num_nodes = x.size(0)

        x = self.lin(x).view(-1, H, C)

        # Next, we compute node-level attention coefficients, both for source and target nodes:
        alpha_src = (x * self.att_src).sum(dim=-1)
        alpha_dst = (x * self.att_dst).sum(dim=-1)

        if self.add_self_loops:
            edge_index = add_self_loops(edge_index, num_nodes=num_nodes)

        src, dst = edge_index[0], edge_index[1]
        alpha = alpha_src.index_select(0, src) + alpha_dst.index_select(0, dst)
        alpha = F.leaky_relu(alpha, self.negative_slope)
        alpha = softmax(alpha, dst, num_nodes)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)

        msg = x.index_select(0, src) * alpha.unsqueeze(-1)
        out = torch.zeros_like(x).index_add_(0, dst, msg)

        if self.concat:
            out = out.view(-1, self.heads * self.out_channels)
        else:
            out = out.mean(dim=1)

        if self.bias is not None:
            out = out + self.bias

        if isinstance(return_attention_weights, bool):
            return out, (edge_index, alpha)
        return out

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.in_channels}, {self.out_channels}, heads={self.heads})'


class GAT(nn.Module):
    def __init__(self, in_channels, hidden_channels, out_channels, heads):
        super().__init__()
        self.conv1 = GATConv(in_channels, hidden_channels, heads, dropout=0.6)
        # On the Pubmed dataset, use `heads` output heads in `conv2`.
        self.conv2 = GATConv(hidden_channels * heads, out_channels, heads=1, concat=False, dropout=0.6)

    def forward(self, x, edge_index):
        x = F.dropout(x, p=0.6, training=self.training)
        x = F.elu(self.conv1(x, edge_index))
        x = F.dropout(x, p=0.6, training=self.training)
        x = self.conv2(x, edge_index)
        return x


class GATGraphClassifier(nn.Module):
    def __init__(self, in_channels, hidden_channels, num_classes, heads=4, num_layers=3):
        super().__init__()
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for i in range(num_layers):
            self.convs.append(GATConv(in_channels if i == 0 else hidden_channels * heads, hidden_channels, heads))
            self.norms.append(nn.BatchNorm1d(hidden_channels * heads))
        self.lin1 = nn.Linear(hidden_channels * heads, hidden_channels)
        self.lin2 = nn.Linear(hidden_channels, num_classes)

    def forward(self, x, edge_index, batch):
        for conv, norm in zip(self.convs, self.norms):
            x = F.elu(norm(conv(x, edge_index)))
        x = global_mean_pool(x, batch)
        x = F.dropout(F.relu(self.lin1(x)), p=0.5, training=self.training)
        return self.lin2(x)

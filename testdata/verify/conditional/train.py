"""The training script: DDP without find_unused_parameters."""
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from model import Branchy


def main():
    dist.init_process_group("gloo")
    model = DDP(Branchy())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(100):
        x, extra = torch.randn(8, 16), torch.randn(8, 16)
        loss = model(x, extra).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()

"""Training entry point: one process per GPU under torchrun."""
import os

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

from models.rgbd_encoder import RGBDSegmenter


def main():
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    model = RGBDSegmenter().cuda(local_rank)
    model = DDP(model, device_ids=[local_rank], find_unused_parameters=True)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    for step in range(1000):
        rgb = torch.randn(4, 3, 256, 256, device=local_rank)
        depth = torch.randn(4, 1, 256, 256, device=local_rank)
        target = torch.randint(0, 40, (4, 256, 256), device=local_rank)
        loss = F.cross_entropy(model(rgb, depth), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()

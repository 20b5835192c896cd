"""`ddplint verify --entry examples/rgbd_seg/verify_entry.py:make`: the segmenter in a
size a CPU trains in milliseconds (the same code paths as the full model), its batches
and its loss. The verifier wraps the model in DDP with the flags of train.py's call."""
import torch
import torch.nn.functional as F

from models.rgbd_encoder import RGBDSegmenter


def make(ctx):
    small = ctx.device.type == "cpu"
    dim, size = (64, 64) if small else (1280, 256)
    model = RGBDSegmenter(dim=dim, depth=2 if small else 6)
    gen = torch.Generator().manual_seed(ctx.seed * 100 + ctx.rank)

    def batch(step):
        rgb = torch.randn(2, 3, size, size, generator=gen)
        depth = torch.randn(2, 1, size, size, generator=gen)
        target = torch.randint(0, 40, (2, size, size), generator=gen)
        return (rgb, depth), target

    return model, batch, F.cross_entropy

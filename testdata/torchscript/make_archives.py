"""Writes the scripted (and one traced) archive of each test model into OUT_DIR.
Run with an interpreter that has torch: /usr/bin/python3 make_archives.py OUT_DIR."""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    rgbd = models.RGBDNet()
    rgbd.head.to(memory_format=torch.channels_last)  # its weight's real strides: channels-last
    torch.jit.script(rgbd).save(os.path.join(out, "rgbd.pt"))
    torch.jit.script(models.AllUsed()).save(os.path.join(out, "all_used.pt"))
    torch.jit.script(models.LayerDrop()).save(os.path.join(out, "layerdrop.pt"))
    traced = torch.jit.trace(models.AllUsed(), torch.randn(2, 8))
    traced.save(os.path.join(out, "traced.pt"))
    torch.save(models.AllUsed().state_dict(), os.path.join(out, "state_dict.pt"))


if __name__ == "__main__":
    main(sys.argv[1])

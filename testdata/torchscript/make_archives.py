"""Writes the scripted (and one traced) archive of each test model into OUT_DIR.
Run with an interpreter that has torch: /usr/bin/python3 make_archives.py OUT_DIR."""
import os
import sys
import zipfile

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
    corrupt_debug_record(os.path.join(out, "all_used.pt"), os.path.join(out, "bad_debug.pt"))


def corrupt_debug_record(src, dst):
    """A copy whose first debug record claims a 2 GB string (BINUNICODE length), with
    valid zip checksums: only a look inside the pickle can tell."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        done = False
        for info in zin.infolist():
            data = zin.read(info.filename)
            if not done and info.filename.endswith(".debug_pkl") and b"X" in data:
                at = data.index(b"X")
                data = data[: at + 1] + (0x7FFFFFF0).to_bytes(4, "little") + data[at + 5 :]
                done = True
            zout.writestr(info.filename, data)


if __name__ == "__main__":
    main(sys.argv[1])

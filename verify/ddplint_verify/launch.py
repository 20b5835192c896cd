"""`python -m ddplint_verify.launch ARGS`: torch.distributed.run (torchrun) with ARGS.

torch 1.13's launcher parses `--redirects`/`--tee` with an enum idiom that Python 3.11
changed (`Std.from_str("0")` returns None there, and every launch fails with
"'NoneType' object has no attribute 'get'"); Debian 12 ships exactly that pair. The
launcher is patched for that case only; newer torch runs unchanged.
"""
import sys


def _patch_std_from_str():
    try:
        from torch.distributed.elastic.multiprocessing import api

        original = api.Std.from_str.__func__
    except (ImportError, AttributeError):
        return

    def from_str(cls, vm):
        parsed = original(cls, vm)
        if parsed is None and vm.strip() == "0":
            return cls.NONE
        return parsed

    if original(api.Std, "0") is None:
        api.Std.from_str = classmethod(from_str)


def main():
    _patch_std_from_str()
    from torch.distributed import run

    sys.argv[0] = "torchrun"
    run.main()


if __name__ == "__main__":
    main()

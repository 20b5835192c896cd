"""One rank of a verification run (started by torchrun).

Builds the entry's model, wraps it in DistributedDataParallel (unless the entry did),
and trains for the plan's iterations without an optimizer step, so that every
iteration sees the same parameters and runs of the original and the fixed code can be
compared gradient by gradient. Per iteration it records which trainable parameters got
no gradient on this rank (tensor hooks, independent of DDP), the step time, and the
gradient DDP produced against a reference: the same forward and backward on a plain
copy of the module, averaged over ranks by hand. DDP's own reports (the "Expected to
have finished reduction" error, its warnings as Python warnings or as C++ log lines on
stderr) are kept verbatim for the verdicts. Everything goes to `rank<N>.json` in the
output folder, also when the rank fails; `rank<N>.progress` says how far it got.
"""
import argparse
import copy
import datetime
import importlib.util
import inspect
import json
import os
import random
import sys
import time
import traceback
import types
import warnings
from pathlib import Path


def _to_device(obj, device):
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(x, device) for x in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


def _call(model, inputs):
    if isinstance(inputs, (list, tuple)):
        return model(*inputs)
    if isinstance(inputs, dict):
        return model(**inputs)
    return model(inputs)


def _seed_step(seed, step, rank):
    """The same random decisions for the DDP forward and the reference forward of an
    iteration; different ones per rank and per iteration, as in real training."""
    import torch

    s = (seed * 1_000_003 + step * 1_009 + rank * 7_919) % (2**31)
    random.seed(s)
    torch.manual_seed(s)
    try:
        import numpy

        numpy.random.seed(s)
    except ImportError:
        pass


def _load_entry(root, entry):
    """`{"path": "train/entry.py", "function": "make"}` or `{"module": "pkg.mod", ...}`."""
    if "path" in entry:
        path = (root / entry["path"]).resolve()
        sys.path.insert(0, str(path.parent))
        if str(root) not in sys.path:
            sys.path.insert(1, str(root))
        spec = importlib.util.spec_from_file_location("ddplint_verify_entry", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["ddplint_verify_entry"] = module
        spec.loader.exec_module(module)
    else:
        sys.path.insert(0, str(root))
        module = importlib.import_module(entry["module"])
    fn = getattr(module, entry["function"], None)
    if fn is None or not callable(fn):
        raise LookupError(f"the entry module has no callable `{entry['function']}`")
    return fn


def _class_file(cls, root):
    try:
        f = Path(inspect.getsourcefile(cls)).resolve()
    except (TypeError, OSError):
        return None
    try:
        return f.relative_to(root).as_posix()
    except ValueError:
        return str(f)


def _ddp_flags(run, module, root):
    """The flags of the DDP call ddplint resolved to this model's class (from the
    static analysis of the same code), then the plan's overrides."""
    cls_file, cls_name = _class_file(type(module), root), type(module).__name__
    flags, source = {}, None
    for call in run.get("ddp_calls", []):
        model = call.get("model") or {}
        if model.get("name") == cls_name and model.get("path") == cls_file:
            flags = {k: v for k, v in call["flags"].items() if v is not None}
            source = f"{call['path']}:{call['line']}"
            break
    flags.update(run.get("ddp_overrides", {}))
    return flags, source


class _Capture:
    """fd 2 into a file: C++ warnings and log lines (glog, TORCH_WARN) land there."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        sys.stderr.flush()
        self.saved = os.dup(2)
        os.dup2(self.fd, 2)

    def close(self):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plan", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    plan_path = Path(args.plan).resolve()
    plan = json.loads(plan_path.read_text())
    run = next(r for r in plan["runs"] if r["name"] == args.run)
    root = (plan_path.parent / run["root"]).resolve()
    out = Path(args.out)
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))

    result = {"rank": rank, "world_size": world, "iterations": [], "python_warnings": [], "error": None}
    progress = open(out / f"rank{rank}.progress", "w", buffering=1)
    capture = _Capture(out / f"rank{rank}.stderr")
    caught = []
    try:
        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP

        result["torch"] = torch.__version__
        device_kind = plan.get("device", "auto")
        if device_kind == "auto":
            device_kind = "cuda" if torch.cuda.is_available() else "cpu"
        backend = plan.get("backend", "auto")
        if backend == "auto":
            backend = "nccl" if device_kind == "cuda" else "gloo"
        if device_kind == "cuda":
            # Exact fp32 for the comparisons: TF32 would make two layouts' convolutions differ.
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            torch.cuda.set_device(local_rank)
            device = torch.device("cuda", local_rank)
        else:
            device = torch.device("cpu")
        result.update(device=device_kind, backend=backend)
        dist.init_process_group(
            backend, timeout=datetime.timedelta(seconds=float(plan.get("collective_timeout", 30)))
        )
        os.chdir(root)
        seed = int(plan.get("seed", 0))
        _seed_step(seed, -1, 0)  # identical initial weights on every rank
        make = _load_entry(root, plan["entry"])
        ctx = types.SimpleNamespace(
            rank=rank, world_size=world, local_rank=local_rank, device=device, backend=backend, seed=seed
        )
        made = make(ctx) if inspect.signature(make).parameters else make()
        if not isinstance(made, (tuple, list)) or len(made) != 3:
            raise TypeError("the entry must return (model, batch_fn, loss_fn)")
        model, batch_fn, loss_fn = made

        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if isinstance(model, DDP):
                ddp, flags, source = model, {}, "entry"
                result["wrapped_by"] = "entry"
            else:
                model = model.to(device)
                flags, source = _ddp_flags(run, model, root)
                ddp = DDP(model, device_ids=[local_rank] if device_kind == "cuda" else None, **flags)
                result["wrapped_by"] = "harness"
            result["ddp_flags"] = {
                "find_unused_parameters": bool(getattr(ddp, "find_unused_parameters", False)),
                "static_graph": bool(getattr(ddp, "static_graph", False)),
            }
            result["ddp_flags_from"] = source
            module = ddp.module
            result["model_class"] = {"name": type(module).__name__, "path": _class_file(type(module), root)}
            result["modules"] = [
                {"name": n, "class": type(m).__name__, "path": _class_file(type(m), root)}
                for n, m in module.named_modules()
            ]
            params = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
            result["parameters"] = [n for n, _ in params]
            reference = copy.deepcopy(module)
            ref_params = dict(reference.named_parameters())
            # The reference is compared through K fixed random projections per parameter
            # (linear, so the ranks' local values average like the gradients do) and
            # averaged by the verdicts afterwards: a collective here would deadlock with
            # a DDP that is already waiting on a rank that skipped a bucket.
            projections = {}
            gen = torch.Generator(device="cpu").manual_seed(12345)
            for n, p in params:
                r = torch.randint(0, 2, (2,) + tuple(p.shape), generator=gen).float() * 2 - 1
                projections[n] = r.to(p.device)

            touched = set()
            for n, p in params:
                p.register_hook(lambda g, n=n: touched.add(n))

            keep = int(plan.get("compare_iterations", 3))
            saved = {}
            for step in range(int(plan["iterations"])):
                _seed_step(seed, step, rank)
                inputs, target = batch_fn(step)
                inputs, target = _to_device(inputs, device), _to_device(target, device)
                touched.clear()
                warned_before = len(caught)
                _seed_step(seed, step, rank)
                if device_kind == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                try:
                    loss = loss_fn(_call(ddp, inputs), target)
                    loss.backward()
                    if device_kind == "cuda":
                        torch.cuda.synchronize()
                except Exception as e:  # DDP's errors are the observation, not a harness failure
                    result["error"] = {"step": step, "type": type(e).__name__, "message": str(e)}
                    break
                elapsed = time.perf_counter() - t0
                record = {
                    "step": step,
                    "seconds": elapsed,
                    "loss": float(loss.detach()),
                    "no_grad": [n for n, _ in params if n not in touched],
                    "warnings": [str(w.message) for w in caught[warned_before:]],
                }
                # The reference: the same iteration on the plain copy, with DDP's buffers.
                try:
                    with torch.no_grad():
                        for rb, b in zip(reference.buffers(), module.buffers()):
                            rb.copy_(b)
                    _seed_step(seed, step, rank)
                    reference.zero_grad(set_to_none=True)
                    loss_fn(_call(reference, inputs), target).backward()
                    ddp_proj, ref_proj, ref_l1 = [], [], []
                    for n, p in params:
                        r, rp = projections[n], ref_params[n]
                        g = p.grad.to_dense().float() if p.grad is not None else torch.zeros_like(p, dtype=torch.float)
                        h = rp.grad.to_dense().float() if rp.grad is not None else torch.zeros_like(rp, dtype=torch.float)
                        ddp_proj.append([float((g * r[k]).sum()) for k in range(r.shape[0])])
                        ref_proj.append([float((h * r[k]).sum()) for k in range(r.shape[0])])
                        ref_l1.append(float(h.abs().sum()))
                    record["projections"] = {"ddp": ddp_proj, "reference": ref_proj, "reference_l1": ref_l1}
                except Exception as e:
                    result["error"] = {"step": step, "type": type(e).__name__, "message": str(e), "during": "reference"}
                    break
                if rank == 0 and step < keep:
                    saved[step] = {
                        n: (p.grad.detach().float().cpu().clone() if p.grad is not None else None) for n, p in params
                    }
                ddp.zero_grad(set_to_none=True)
                result["iterations"].append(record)
                progress.write(f"{step}\n")
            if saved:
                torch.save(saved, out / "grads.pt")
    except Exception as e:
        result["harness_error"] = {
            "type": type(e).__name__,
            "message": str(e),
            "traceback": traceback.format_exc(),
        }
    finally:
        result["python_warnings"] = [
            {"category": w.category.__name__, "message": str(w.message), "file": w.filename, "line": w.lineno}
            for w in caught
        ]
        capture.close()
        tmp = out / f"rank{rank}.json.tmp"
        tmp.write_text(json.dumps(result, indent=1))
        tmp.replace(out / f"rank{rank}.json")
        progress.close()
    # A rank that saw DDP fail exits non-zero, as the real training would: torchrun then
    # stops the other ranks instead of leaving them waiting on a collective.
    if result["error"] or result.get("harness_error"):
        sys.exit(3)
    try:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
    except Exception:
        pass


if __name__ == "__main__":
    main()

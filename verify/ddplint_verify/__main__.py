"""`python -m ddplint_verify run PLAN.json`: the runs of a plan, then the verdicts.

Exit codes: 0 every finding that could be exercised was confirmed or not reproduced
and every fix did what it says; 1 a finding was contradicted or a fix did not remove
the problem or changed the gradients; 2 the runs could not be made (no torch, the
entry failed, the harness failed).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import verdicts

HARNESS_DIR = Path(__file__).resolve().parent.parent


def _progress(msg):
    print(f"ddplint verify: {msg}", file=sys.stderr, flush=True)


def _launch(plan_path, plan, run, out, nproc, timeout):
    """torchrun with `nproc` ranks on this node; bounded by `timeout` seconds."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(HARNESS_DIR), env.get("PYTHONPATH", "")] if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("OMP_NUM_THREADS", "1")
    # INFO names the parameters in the reduction error; DETAIL would also wrap every
    # collective in consistency checks, and the step times with them.
    env["TORCH_DISTRIBUTED_DEBUG"] = plan.get("debug_level", "INFO")
    env["TORCH_SHOW_CPP_STACKTRACES"] = "0"
    cmd = [
        sys.executable, "-m", "ddplint_verify.launch",
        "--standalone", "--nnodes", "1", f"--nproc_per_node={nproc}", "--max_restarts", "0",
        "-m", "ddplint_verify.worker",
        "--plan", str(plan_path), "--run", run["name"], "--out", str(out),
    ]
    log = open(out / "torchrun.log", "w")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    hung = False
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        hung = True
        rc = None
    finally:
        # Also on Ctrl-C or SIGTERM: torchrun and its ranks never outlive us.
        if proc.poll() is None:
            _stop(proc)
        log.close()
    rc = proc.returncode if rc is None else rc
    return {"rc": rc, "hung": hung, "seconds": time.monotonic() - start}


def _stop(proc):
    """SIGTERM to torchrun's session (it stops its ranks), SIGKILL after a grace."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _collect(out, nproc, launched):
    ranks = []
    for r in range(nproc):
        f = out / f"rank{r}.json"
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):  # killed before it wrote, or while writing
            data = {"rank": r, "missing": True, "iterations": []}
        err = out / f"rank{r}.stderr"
        data["stderr"] = err.read_text(errors="replace") if err.exists() else ""
        prog = out / f"rank{r}.progress"
        done = prog.read_text().split() if prog.exists() else []
        data["reached"] = int(done[-1]) + 1 if done else 0
        ranks.append(data)
    log = (out / "torchrun.log").read_text(errors="replace") if (out / "torchrun.log").exists() else ""
    return {"ranks": ranks, "launch": launched, "log_tail": log[-4000:]}


def _grads(path):
    import torch

    return torch.load(path) if path.exists() else {}


def cmd_run(args):
    plan_path = Path(args.plan).resolve()
    plan = json.loads(plan_path.read_text())
    for key in ("iterations", "backend", "device", "world_size", "timeout"):
        v = getattr(args, key)
        if v is not None:
            plan[key] = v
    try:
        import torch  # noqa: F401
        import torch.distributed as dist
    except ImportError as e:
        print(f"ddplint verify: error: {sys.executable} cannot import torch ({e}); pass --python", file=sys.stderr)
        return 2
    if not dist.is_available():
        print("ddplint verify: error: this torch build has no torch.distributed", file=sys.stderr)
        return 2
    import torch

    device = plan.get("device", "auto")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    world = int(plan.get("world_size") or 0) or (torch.cuda.device_count() if device == "cuda" else 2)
    plan["world_size"] = world
    backend = plan.get("backend", "auto")
    if backend == "auto":
        backend = "nccl" if device == "cuda" else "gloo"
    plan["device"], plan["backend"] = device, backend
    if device == "cuda" and world > torch.cuda.device_count():
        print(f"ddplint verify: error: {world} ranks but {torch.cuda.device_count()} GPUs", file=sys.stderr)
        return 2

    if args.runs_dir:
        work = Path(args.runs_dir).resolve()
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="ddplint-runs-"))
    runtime_plan = work / "plan.json"
    # The runs read the trees next to the original plan.
    for run in plan["runs"]:
        run["root"] = str((plan_path.parent / run["root"]).resolve())
    runtime_plan.write_text(json.dumps(plan))
    results = {}
    timeout = float(plan.get("timeout", 300))
    try:
        for i, run in enumerate(plan["runs"], 1):
            out = work / run["name"]
            out.mkdir()
            _progress(
                f"[{i + 1}/{len(plan['runs']) + 2}] {run['name']} code: {plan['iterations']} iterations on "
                f"{world} ranks ({backend}, {device}) ..."
            )
            launched = _launch(runtime_plan, plan, run, out, world, timeout)
            results[run["name"]] = _collect(out, world, launched)
            results[run["name"]]["grads"] = _grads(out / "grads.pt")
            _progress(f"      {verdicts.run_summary(results[run['name']], plan)} ({launched['seconds']:.1f} s)")
        _progress(f"[{len(plan['runs']) + 2}/{len(plan['runs']) + 2}] verdicts")
        report = verdicts.judge(plan, results)
    finally:
        if args.keep_runs or args.runs_dir:
            _progress(f"run folders kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(report, indent=2) + "\n" if args.format == "json" else verdicts.render_text(report)
    if report.get("harness_error"):
        print(f"ddplint verify: error: {report['harness_error']}", file=sys.stderr)
        if args.format != "json" and not args.output:
            return 2
    if args.output:
        tmp = Path(args.output + ".tmp")
        tmp.write_text(text)
        tmp.replace(args.output)
    else:
        sys.stdout.write(text)
    return report["exit_code"]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m ddplint_verify")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a plan written by `ddplint verify --emit-plan`")
    r.add_argument("plan")
    r.add_argument("--format", choices=["text", "json"], default="text")
    r.add_argument("-o", "--output")
    r.add_argument("--iterations", type=int)
    r.add_argument("--backend", choices=["auto", "gloo", "nccl"])
    r.add_argument("--device", choices=["auto", "cpu", "cuda"])
    r.add_argument("--world-size", dest="world_size", type=int, help="ranks (default: GPUs, or 2 on CPU)")
    r.add_argument("--keep-runs", action="store_true", help="keep the per-rank logs")
    r.add_argument("--timeout", type=float, help="seconds per run before it counts as a hang")
    r.add_argument("--runs-dir", help="put the run folders (per-rank logs) here and keep them")
    t = sub.add_parser("render", help="print a JSON report as text")
    t.add_argument("report")
    args = ap.parse_args(argv)
    if args.cmd == "render":
        sys.stdout.write(verdicts.render_text(json.loads(Path(args.report).read_text())))
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return cmd_run(args)
    except KeyboardInterrupt:
        print("ddplint verify: interrupted", file=sys.stderr)
        return 2
    except Exception:  # a harness bug is exit 2, never a verdict
        import traceback

        print("ddplint verify: internal error in the harness:\n" + traceback.format_exc(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Verdicts: what the runs say about each static finding and about the fixes.

A finding is *confirmed* when DDP reported the problem it predicts (its error naming the
parameters, its warning) or the parameters it names got no gradient where it says they
would not; *not reproduced* when the runs never took the path; *contradicted* when the
runs show the opposite of the claim (a parameter said never to get a gradient got one; a
model said never to leave a parameter unused left one unused). The fixes are judged on
the problem gone, the gradients (against a reference computed without DDP, and against
the original code), and the step time.
"""
import re
import statistics

UNFINISHED = "Expected to have finished reduction in the prior iteration"
UNUSED_FLAG_WARNING = "find_unused_parameters=True was specified in DDP constructor, but did not find any unused"
GRAD_STRIDES = "Grad strides do not match bucket view strides"

NAMES_RE = re.compile(r"Parameters which did not receive grad for rank (\d+): ([^\n]*)")
INDICES_RE = re.compile(r"Parameter indices which did not receive grad for rank (\d+): ([0-9 ]*)")
STRIDES_RE = re.compile(r"grad\.sizes\(\) = \[([^\]]*)\], strides\(\) = \[([^\]]*)\]\s*bucket_view\.sizes\(\) = "
                        r"\[([^\]]*)\], strides\(\) = \[([^\]]*)\]")


# ---------------------------------------------------------------------------- runs


def _warning_texts(rank):
    texts = [w["message"] for w in rank.get("python_warnings", [])]
    # C++ warnings (TORCH_WARN through glog or c10's handler) and log lines, as printed.
    texts.append(rank.get("stderr", ""))
    return texts


def observe(result, plan):
    """What one run shows, summarised over its ranks."""
    ranks = result["ranks"]
    iterations = int(plan["iterations"])
    obs = {
        "status": "ok",
        "completed": sum(len(r.get("iterations", [])) for r in ranks),
        "expected": iterations * len(ranks),
        "unfinished_names": set(),
        "errors": [],
        "no_grad": {},  # parameter -> [(rank, step)]
        "warnings": {"unused_flag": False, "grad_strides": None},
        "ddp_flags": None,
        "ddp_flags_from": None,
        "wrapped_by": None,
        "parameters": [],
        "modules": [],
        "seconds": [],
        "reference_by_step": {},  # step -> {"ok", "ratio" (diff / tolerance), "parameter", "diff"}
        "harness_error": None,
    }
    for r in ranks:
        if r.get("harness_error") and not obs["harness_error"]:
            he = r["harness_error"]
            obs["harness_error"] = f"rank {r['rank']}: {he['type']}: {he['message']}\n{he.get('traceback', '')}"
        if r.get("parameters") and not obs["parameters"]:
            obs["parameters"], obs["modules"] = r["parameters"], r["modules"]
            obs["ddp_flags"], obs["ddp_flags_from"] = r.get("ddp_flags"), r.get("ddp_flags_from")
            obs["wrapped_by"] = r.get("wrapped_by")
        for it in r.get("iterations", []):
            for n in it["no_grad"]:
                obs["no_grad"].setdefault(n, []).append((r["rank"], it["step"]))
            if r["rank"] == 0:
                obs["seconds"].append(it["seconds"])
        err = r.get("error")
        if err:
            msg = err["message"]
            obs["errors"].append({"rank": r["rank"], "step": err["step"], "message": msg})
            for m in NAMES_RE.finditer(msg):
                obs["unfinished_names"].update(x.strip() for x in m.group(2).split(",") if x.strip())
            for m in INDICES_RE.finditer(msg):
                params = r.get("parameters", [])
                for i in m.group(2).split():
                    if i.isdigit() and int(i) < len(params):
                        obs["unfinished_names"].add(params[int(i)])
        for text in _warning_texts(r):
            if UNUSED_FLAG_WARNING in text:
                obs["warnings"]["unused_flag"] = True
            if GRAD_STRIDES in text and obs["warnings"]["grad_strides"] is None:
                m = STRIDES_RE.search(text.replace("\n", " "))
                obs["warnings"]["grad_strides"] = {
                    "sizes": m.group(1) if m else None,
                    "grad_strides": m.group(2) if m else None,
                    "bucket_strides": m.group(4) if m else None,
                }
    _reference(obs, ranks, plan)
    if obs["harness_error"]:
        obs["status"] = "harness_error"
    elif any(UNFINISHED in e["message"] for e in obs["errors"]):
        obs["status"] = "unfinished_reduction"
    elif obs["errors"]:
        obs["status"] = "error"
    elif result["launch"]["hung"]:
        obs["status"] = "hang"
    elif obs["completed"] < obs["expected"]:
        obs["status"] = "incomplete"
    obs["reached"] = min((r.get("reached", 0) for r in ranks), default=0)
    return obs


def _reference(obs, ranks, plan):
    """DDP's gradient against the reference, per iteration that every rank completed:
    each rank's projections of DDP's gradient against the ranks' mean of the reference's
    projections, parameter by parameter, within rtol times the reference's L1 norm."""
    rtol, atol = _tolerance(plan)
    names = obs["parameters"]
    by_step = {}
    for r in ranks:
        for it in r.get("iterations", []):
            if "projections" in it:
                by_step.setdefault(it["step"], []).append(it["projections"])
    for step, projs in sorted(by_step.items()):
        if len(projs) != len(ranks):
            continue
        worst = (0.0, None, 0.0)  # (diff / tolerance, parameter, diff)
        for i, name in enumerate(names):
            mean = [sum(p["reference"][i][k] for p in projs) / len(projs) for k in range(len(projs[0]["reference"][i]))]
            scale = sum(p["reference_l1"][i] for p in projs) / len(projs)
            tol = atol + rtol * scale
            for p in projs:
                diff = max(abs(a - b) for a, b in zip(p["ddp"][i], mean))
                if diff / tol > worst[0]:
                    worst = (diff / tol, name, diff)
        obs["reference_by_step"][step] = {"ok": worst[0] <= 1.0, "ratio": worst[0], "parameter": worst[1],
                                          "diff": worst[2]}


def _first_error(obs, containing=""):
    errs = sorted((e for e in obs["errors"] if containing in e["message"]), key=lambda e: (e["step"], e["rank"]))
    return errs[0] if errs else None


def _short(msg, limit=90):
    first = msg.strip().splitlines()[0] if msg.strip() else ""
    return first if len(first) <= limit else first[: limit - 3] + "..."


def run_summary(result, plan):
    obs = observe(result, plan)
    return _describe_status(obs, plan)


def _describe_status(obs, plan):
    s = obs["status"]
    if s == "ok":
        extra = []
        if obs["warnings"]["unused_flag"]:
            extra.append("DDP warned that find_unused_parameters=True found nothing unused")
        if obs["warnings"]["grad_strides"]:
            extra.append("DDP warned: grad strides do not match bucket view strides")
        return f"{obs['completed']} rank-iterations done" + ("; " + "; ".join(extra) if extra else ", no DDP error or warning")
    if s == "unfinished_reduction":
        e = _first_error(obs, UNFINISHED)
        return f"DDP failed at iteration {e['step']} on rank {e['rank']}: \"{UNFINISHED}\""
    if s == "error":
        e = _first_error(obs)
        return f"failed at iteration {e['step']} on rank {e['rank']}: {_short(e['message'])}"
    if s == "hang":
        return f"hung: no progress after iteration {obs['reached']}, stopped after {plan.get('timeout', 300)} s"
    if s == "harness_error":
        return "the entry could not be run: " + _short(obs["harness_error"].splitlines()[0], 200)
    return f"only {obs['completed']} of {obs['expected']} rank-iterations done"


# ------------------------------------------------------------------------ findings


def _finding_parameters(finding, obs):
    """The live model's parameter names a finding is about, or None when its class is
    not part of the entry's model."""
    cls = finding.get("class") or {}
    prefixes = [m["name"] for m in obs["modules"] if m["class"] == cls.get("name") and m["path"] == cls.get("path")]
    if not prefixes:
        return None
    attrs = finding.get("attributes") or [""]
    out = []
    for pre in prefixes:
        for attr in attrs:
            full = ".".join(x for x in (pre, attr) if x)
            out += [p for p in obs["parameters"] if not full or p == full or p.startswith(full + ".")]
    return sorted(set(out), key=obs["parameters"].index)


def _names(params, limit=3):
    shown = ", ".join(f"`{p}`" for p in params[:limit])
    return shown + (f" and {len(params) - limit} more" if len(params) > limit else "")


def judge_finding(finding, obs, plan):
    code = finding["code"]
    n = obs["completed"]
    if code.startswith("DDP9"):
        return "skipped", "not a runtime property"
    params = _finding_parameters(finding, obs)
    cls = (finding.get("class") or {}).get("name", "?")
    if params is None:
        return "not exercised", f"`{cls}` is not part of the entry's model"
    if not params:
        return "not exercised", "no trainable parameter of the entry's model matches"
    unused_iters = {ri for p in params for ri in obs["no_grad"].get(p, [])}
    named = [p for p in params if p in obs["unfinished_names"]]
    e = _first_error(obs, UNFINISHED) or _first_error(obs)
    if code in ("DDP101", "DDP103", "DDP202"):
        if named:
            return "confirmed", (
                f"DDP failed at iteration {e['step']}: \"{UNFINISHED}\", naming {_names(named)}"
            )
        if code == "DDP202" and obs["status"] == "hang" and unused_iters:
            return "confirmed", f"the ranks hung after iteration {obs['reached']} with {_names(params)} unused"
        if unused_iters:
            what = f"no gradient for {_names(params)} in {len(unused_iters)} of {n} rank-iterations"
            if code == "DDP202":
                flags = obs["ddp_flags"] or {}
                if flags.get("find_unused_parameters"):
                    return "not exercised", what + " (the run's DDP had find_unused_parameters=True)"
                if obs["status"] == "unfinished_reduction":
                    return "confirmed", f"{what}; DDP failed at iteration {e['step']}: \"{UNFINISHED}\""
            return "confirmed", what
        if obs["status"] != "ok" and n == 0:
            return "inconclusive", "the run stopped before the first iteration completed"
        if code == "DDP103":
            return "not reproduced", f"the entry's configuration uses {_names(params)} ({n} rank-iterations)"
        return "not reproduced", (
            f"{_names(params)} got a gradient in all {n} rank-iterations; a rare path needs more --iterations"
        )
    if code == "DDP102":
        if named:
            return "confirmed", f"DDP failed at iteration {e['step']}: \"{UNFINISHED}\", naming {_names(named)}"
        if n == 0:
            return "inconclusive", "no iteration completed"
        used = [p for p in params if len(obs["no_grad"].get(p, [])) < n]
        if used:
            return "contradicted", f"{_names(used)} got a gradient in at least one of {n} rank-iterations"
        return "confirmed", f"no gradient for {_names(params)} in any of {n} rank-iterations"
    if code == "DDP201":
        flags = obs["ddp_flags"] or {}
        if not flags.get("find_unused_parameters"):
            return "not exercised", "the run's DDP had find_unused_parameters=False"
        if n == 0:
            return "inconclusive", "no iteration completed"
        unused = sorted(obs["no_grad"])
        if unused:
            rank, step = obs["no_grad"][unused[0]][0]
            return "contradicted", (
                f"{_names(unused)} got no gradient (first at iteration {step} on rank {rank}): "
                "find_unused_parameters=True is needed"
            )
        warned = "; DDP warned it found no unused parameter" if obs["warnings"]["unused_flag"] else ""
        return "confirmed", f"every trainable parameter got a gradient in all {n} rank-iterations{warned}"
    if code in ("DDP301", "DDP303"):
        gs = obs["warnings"]["grad_strides"]
        if gs:
            detail = ""
            if gs["sizes"]:
                detail = f" (grad sizes [{gs['sizes']}], strides [{gs['grad_strides']}]; bucket view [{gs['bucket_strides']}])"
            return "confirmed", f"DDP warned \"{GRAD_STRIDES}\"{detail}"
        if code == "DDP303" and plan.get("device") != "cuda":
            return "not reproduced", (
                "on CPU: only cuDNN returns channels-last weight gradients for size-1 kernels; run on a GPU"
            )
        return "not reproduced", f"no grad-stride warning in {n} rank-iterations"
    return "skipped", "no runtime check for this rule"


# --------------------------------------------------------------------------- fixes


def _tolerance(plan):
    return (1e-3, 1e-5) if plan.get("device") == "cuda" else (1e-5, 1e-7)


def _equal(diff, scale, plan):
    rtol, atol = _tolerance(plan)
    return diff <= atol + rtol * scale


def _reference_check(obs):
    steps = obs["reference_by_step"]
    if not steps:
        return None
    worst = max(steps.values(), key=lambda x: x["ratio"])
    wrong = sorted(s for s, x in steps.items() if not x["ok"])
    return {"iterations": len(steps), "wrong": wrong, "worst": worst, "equal": not wrong}


def _compare_runs(before, after, plan, original):
    """The gradients of both versions, on the iterations where the original's DDP
    gradients were right (an iteration whose reduction never finished leaves local,
    unaveraged gradients: the crash comes only at the next one)."""
    common = sorted(set(before) & set(after))
    steps = [s for s in common if s in original["reference_by_step"] and original["reference_by_step"][s]["ok"]]
    if not steps:
        return {"iterations": [], "skipped": common} if common else None
    import torch

    diff, scale, compared = 0.0, 0.0, 0
    for s in steps:
        for name in set(before[s]) & set(after[s]):
            a, b = before[s][name], after[s][name]
            if a is None and b is None:
                continue
            if a is None:
                a = torch.zeros_like(b)
            if b is None:
                b = torch.zeros_like(a)
            if a.shape != b.shape:
                continue
            compared += 1
            diff = max(diff, float((a - b).abs().max()) if a.numel() else 0.0)
            scale = max(scale, float(a.abs().max()) if a.numel() else 0.0)
    return {
        "iterations": steps,
        "skipped": [s for s in common if s not in steps],
        "parameters": compared,
        "max_abs_diff": diff,
        "max_abs": scale,
        "equal": _equal(diff, scale, plan),
    }


def _median_ms(obs):
    xs = obs["seconds"][1:] or obs["seconds"]
    return statistics.median(xs) * 1000 if xs else None


def judge_fixes(plan, original, fixed, grads):
    checks = []

    def add(name, ok, text):
        checks.append({"check": name, "ok": ok, "text": text})

    failed = ("unfinished_reduction", "error", "hang", "incomplete")
    if original["status"] in failed:
        if fixed["status"] == "ok":
            add("crash", True, "gone (" + _describe_status(original, plan) + ")")
        else:
            add("crash", False, "still there: " + _describe_status(fixed, plan))
    elif fixed["status"] != "ok":
        add("crash", False, "the fixed code fails: " + _describe_status(fixed, plan))
    # A warning counts against the fixes that claim to remove it: DDP's unused-flag
    # warning comes once, from the first iteration, whatever later ones do.
    applied = {f["code"] for f in plan.get("applied_fixes", [])}
    if original["warnings"]["unused_flag"] and "DDP201" in applied:
        gone = not fixed["warnings"]["unused_flag"]
        add("find_unused_parameters warning", gone, "gone" if gone else "still there")
    if original["warnings"]["grad_strides"] and applied & {"DDP301", "DDP303"}:
        gone = not fixed["warnings"]["grad_strides"]
        add("grad-stride warning", gone, "gone" if gone else "still there")
    if "DDP101" in applied or "DDP102" in applied:
        # Zero terms: the parameters of the fixed findings get a gradient in every iteration.
        targets = set()
        for f in plan["findings"]:
            if f["code"] in ("DDP101", "DDP102") and (f.get("fix") or {}).get("applied"):
                targets.update(_finding_parameters(f, fixed) or [])
        unused = sorted(n for n in fixed["no_grad"] if n in targets)
        add(
            "every parameter gets a gradient",
            not unused,
            "yes, in every iteration" if not unused else f"no: {_names(unused)} still go without one",
        )
    ref = _reference_check(fixed)
    if ref:
        w = ref["worst"]
        if ref["equal"]:
            text = f"equal on all {ref['iterations']} iterations (worst `{w['parameter']}`: {w['ratio']:.2g} of the tolerance)"
        else:
            text = (f"DIFFERENT on iteration {', '.join(map(str, ref['wrong']))} (worst `{w['parameter']}`, "
                    f"off by {w['diff']:.3g}, {w['ratio']:.3g} times the tolerance)")
        add("gradients vs reference", ref["equal"], text)
    cmp = _compare_runs(grads.get("original", {}), grads.get("fixed", {}), plan, original)
    if cmp:
        def steps(xs):
            return ("iteration " if len(xs) == 1 else "iterations ") + ", ".join(str(x) for x in xs)

        skipped = ""
        if cmp["skipped"]:
            skipped = f"; {steps(cmp['skipped'])} left out: the original's DDP gradients were wrong there"
        if cmp["iterations"]:
            add(
                "original vs fixed gradients",
                cmp["equal"],
                ("equal" if cmp["equal"] else "DIFFERENT")
                + f" on {steps(cmp['iterations'])}, {cmp['parameters']} parameters"
                + f" (max abs diff {cmp['max_abs_diff']:.3g}){skipped}",
            )
        else:
            add("original vs fixed gradients", True, "not compared" + skipped)
    before, after = _median_ms(original), _median_ms(fixed)
    if before is not None and after is not None:
        add("step time (median, rank 0)", True, f"{before:.2f} ms -> {after:.2f} ms")
    elif after is not None:
        add("step time (median, rank 0)", True, f"{after:.2f} ms with the fixes")
    return checks


# ---------------------------------------------------------------------------- all


def judge(plan, results):
    obs = {name: observe(r, plan) for name, r in results.items()}
    original = obs["original"]
    report = {
        "entry": plan.get("entry_spec"),
        "world_size": plan["world_size"],
        "backend": plan["backend"],
        "device": plan["device"],
        "iterations": plan["iterations"],
        "seed": plan.get("seed", 0),
        "runs": {},
        "findings": [],
        "fixes": None,
        "exit_code": 0,
    }
    for name, o in obs.items():
        torch_version = next((r.get("torch") for r in results[name]["ranks"] if r.get("torch")), None)
        report["runs"][name] = {
            "status": o["status"],
            "summary": _describe_status(o, plan),
            "rank_iterations": o["completed"],
            "ddp_flags": o["ddp_flags"],
            "ddp_flags_from": o["ddp_flags_from"],
            "wrapped_by": o["wrapped_by"],
            "median_step_ms": _median_ms(o),
            "wrong_gradients": sorted(step for step, x in o["reference_by_step"].items() if not x["ok"]),
            "torch": torch_version,
        }
        if o["status"] == "harness_error":
            report["runs"][name]["error"] = o["harness_error"]
    if original["status"] == "harness_error":
        report["harness_error"] = "the original code could not be run:\n" + original["harness_error"]
        report["exit_code"] = 2
        return report
    bad = False
    for f in plan["findings"]:
        verdict, why = judge_finding(f, original, plan)
        bad |= verdict == "contradicted"
        report["findings"].append({
            "code": f["code"], "path": f["path"], "line": f["line"], "column": f["column"],
            "symbol": ", ".join(f.get("symbols", [])), "verdict": verdict, "why": why,
            "fix": f.get("fix"),
        })
    if original["status"] != "ok" and not any(f["verdict"] == "confirmed" for f in report["findings"]):
        # DDP failed, and no static finding says why: a miss to report, not a pass.
        bad = True
        report["unexplained"] = "the original code fails under DDP and no static finding predicts it: " + (
            _describe_status(original, plan)
        )
    if "fixed" in obs:
        checks = judge_fixes(plan, original, obs["fixed"], {k: r.get("grads", {}) for k, r in results.items()})
        bad |= any(not c["ok"] for c in checks)
        report["fixes"] = {"applied": plan.get("applied_fixes", []), "checks": checks}
    report["exit_code"] = 1 if bad else 0
    return report


def render_text(report):
    lines = [
        f"ddplint verify: {report['entry']} on {report['world_size']} ranks ({report['backend']}, "
        f"{report['device']}), {report['iterations']} iterations, seed {report['seed']}",
        "",
    ]
    for name, run in report["runs"].items():
        flags = run.get("ddp_flags")
        if run.get("wrapped_by") == "entry":
            how = " [the entry's DDP]"
        elif flags:
            how = f" [DDP(find_unused_parameters={flags.get('find_unused_parameters')})" + (
                f" as at {run['ddp_flags_from']}]" if run.get("ddp_flags_from") else "]"
            )
        else:
            how = ""
        lines.append(f"{name + ' code:':<15} {run['summary']}{how}")
        if run.get("wrong_gradients"):
            steps = ", ".join(str(x) for x in run["wrong_gradients"])
            lines.append(f"{'':<15} DDP's gradients differ from the reference (no DDP, averaged by hand) on iteration {steps}")
    lines.append("")
    if report["findings"]:
        rows = [(f"{f['code']}", f"{f['path']}:{f['line']}:{f['column']}", f["symbol"] or "-", f["verdict"], f["why"])
                for f in report["findings"]]
        w = [max(len(r[i]) for r in rows) for i in range(4)]
        w[2] = min(w[2], 32)
        lines.append(f"{'code':<{w[0]}}  {'where':<{w[1]}}  {'symbol':<{w[2]}}  verdict")
        for r in rows:
            sym = r[2] if len(r[2]) <= w[2] else r[2][: w[2] - 3] + "..."
            lines.append(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {sym:<{w[2]}}  {r[3]}: {r[4]}")
    else:
        lines.append("no static findings to verify")
    if report.get("unexplained"):
        lines += ["", "FAIL " + report["unexplained"]]
    fixes = report.get("fixes")
    if fixes:
        lines += ["", f"fixes applied to a copy ({len(fixes['applied'])}):"]
        for f in fixes["applied"]:
            later = ", a finding the fixes before it uncovered" if f.get("uncovered") else ""
            lines.append(f"  {f['code']} {f['path']}:{f['line']}: {f['title']} ({f['applicability']}{later})")
        width = max(len(c["check"]) for c in fixes["checks"]) if fixes["checks"] else 0
        for c in fixes["checks"]:
            mark = "ok  " if c["ok"] else "FAIL"
            lines.append(f"  {mark} {c['check']:<{width}}  {c['text']}")
    elif report["findings"]:
        lines += ["", "no fix applies with these settings (unsafe fixes need --unsafe-fixes)"]
    lines.append("")
    return "\n".join(lines)

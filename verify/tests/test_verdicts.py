"""The verdict logic on synthetic runs: what each observation makes of each finding.
No torch needed; the real runs are tested in tests/verify_test.cpp."""
import unittest

from ddplint_verify import verdicts

PLAN = {"iterations": 3, "world_size": 2, "backend": "gloo", "device": "cpu", "seed": 0, "entry_spec": "e.py:make"}
MODULES = [
    {"name": "", "class": "Net", "path": "model.py"},
    {"name": "aux", "class": "Linear", "path": None},
    {"name": "head", "class": "Linear", "path": None},
]
PARAMS = ["aux.weight", "aux.bias", "head.weight", "head.bias"]


def rank(r, no_grad_per_step=None, error=None, warnings=(), stderr="", find_unused=False, steps=3):
    its = []
    for s in range(steps):
        its.append({
            "step": s, "seconds": 0.01, "loss": 1.0,
            "no_grad": (no_grad_per_step or {}).get(s, []),
            "warnings": [],
            "projections": {"ddp": [[0.5, -0.25] for _ in PARAMS], "reference": [[0.5, -0.25] for _ in PARAMS],
                            "reference_l1": [1.0 for _ in PARAMS]},
        })
    return {
        "rank": r, "iterations": its, "error": error, "parameters": PARAMS, "modules": MODULES,
        "ddp_flags": {"find_unused_parameters": find_unused}, "ddp_flags_from": "train.py:9",
        "wrapped_by": "harness", "python_warnings": [{"category": "UserWarning", "message": w} for w in warnings],
        "stderr": stderr, "reached": steps,
    }


def result(*ranks, hung=False):
    return {"ranks": list(ranks), "launch": {"hung": hung, "rc": 0, "seconds": 1}, "log_tail": ""}


def finding(code, attributes=("aux",)):
    return {"code": code, "path": "model.py", "line": 1, "column": 1, "symbols": list(attributes),
            "class": {"name": "Net", "path": "model.py"}, "attributes": list(attributes), "fix": None}


def judge(findings, original, fixed=None, applied=()):
    plan = dict(PLAN, findings=findings, applied_fixes=[{"code": c, "path": "train.py", "line": 9, "title": "t",
                                                         "applicability": "safe"} for c in applied])
    results = {"original": original}
    if fixed:
        results["fixed"] = fixed
    return verdicts.judge(plan, results)


UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. ...\n"
    "Parameters which did not receive grad for rank 1: aux.bias, aux.weight\n"
)


class FindingVerdicts(unittest.TestCase):
    def test_ddp_error_naming_the_parameters_confirms(self):
        original = result(rank(0), rank(1, {1: ["aux.weight", "aux.bias"]},
                                        error={"step": 2, "message": UNFINISHED}, steps=2))
        report = judge([finding("DDP101"), finding("DDP202")], original)
        self.assertEqual([f["verdict"] for f in report["findings"]], ["confirmed", "confirmed"])
        self.assertIn("aux.weight", report["findings"][0]["why"])
        self.assertEqual(report["runs"]["original"]["status"], "unfinished_reduction")
        self.assertEqual(report["exit_code"], 0)

    def test_parameter_indices_in_the_error_are_mapped_to_names(self):
        msg = "Expected to have finished reduction in the prior iteration\n" \
              "Parameter indices which did not receive grad for rank 0: 0 1"
        original = result(rank(0, error={"step": 1, "message": msg}, steps=1), rank(1, steps=1))
        report = judge([finding("DDP101")], original)
        self.assertEqual(report["findings"][0]["verdict"], "confirmed")

    def test_path_never_taken_is_not_reproduced(self):
        report = judge([finding("DDP101")], result(rank(0), rank(1)))
        self.assertEqual(report["findings"][0]["verdict"], "not reproduced")
        self.assertEqual(report["exit_code"], 0)

    def test_never_used_parameter_that_gets_a_gradient_contradicts(self):
        report = judge([finding("DDP102")], result(rank(0), rank(1)))
        self.assertEqual(report["findings"][0]["verdict"], "contradicted")
        self.assertEqual(report["exit_code"], 1)

    def test_never_used_parameter_without_gradient_confirms(self):
        always = {s: ["aux.weight", "aux.bias"] for s in range(3)}
        report = judge([finding("DDP102")], result(rank(0, always, find_unused=True), rank(1, always, find_unused=True)))
        self.assertEqual(report["findings"][0]["verdict"], "confirmed")

    def test_unneeded_flag_contradicted_by_an_unused_parameter(self):
        original = result(rank(0, {2: ["head.bias"]}, find_unused=True), rank(1, find_unused=True))
        report = judge([finding("DDP201", ())], original)
        self.assertEqual(report["findings"][0]["verdict"], "contradicted")
        self.assertIn("head.bias", report["findings"][0]["why"])

    def test_unneeded_flag_confirmed_with_the_ddp_warning(self):
        warn = "[W reducer.cpp:1298] Warning: find_unused_parameters=True was specified in DDP constructor, " \
               "but did not find any unused parameters in the forward pass."
        original = result(rank(0, find_unused=True, stderr=warn), rank(1, find_unused=True))
        report = judge([finding("DDP201", ())], original)
        self.assertEqual(report["findings"][0]["verdict"], "confirmed")
        self.assertIn("DDP warned", report["findings"][0]["why"])

    def test_unneeded_flag_not_exercised_when_the_run_had_it_off(self):
        report = judge([finding("DDP201", ())], result(rank(0), rank(1)))
        self.assertEqual(report["findings"][0]["verdict"], "not exercised")

    def test_grad_stride_warning_confirms_layout_findings(self):
        w = ("Grad strides do not match bucket view strides. ... grad.sizes() = [32, 16, 3, 3], "
             "strides() = [144, 1, 48, 16]\nbucket_view.sizes() = [32, 16, 3, 3], strides() = [144, 9, 3, 1]")
        report = judge([finding("DDP301", ())], result(rank(0, warnings=[w]), rank(1)))
        self.assertEqual(report["findings"][0]["verdict"], "confirmed")
        self.assertIn("[144, 1, 48, 16]", report["findings"][0]["why"])

    def test_size1_kernel_case_needs_cudnn(self):
        report = judge([finding("DDP303", ("head",))], result(rank(0), rank(1)))
        self.assertEqual(report["findings"][0]["verdict"], "not reproduced")
        self.assertIn("cuDNN", report["findings"][0]["why"])

    def test_class_outside_the_model_is_not_exercised(self):
        f = finding("DDP101")
        f["class"] = {"name": "Other", "path": "other.py"}
        report = judge([f], result(rank(0), rank(1)))
        self.assertEqual(report["findings"][0]["verdict"], "not exercised")

    def test_failure_no_finding_explains_is_a_miss(self):
        original = result(rank(0, error={"step": 1, "message": UNFINISHED}, steps=1), rank(1, steps=1))
        report = judge([], original)
        self.assertEqual(report["exit_code"], 1)
        self.assertIn("no static finding predicts it", report["unexplained"])

    def test_harness_error_is_exit_2(self):
        bad = rank(0)
        bad["harness_error"] = {"type": "ImportError", "message": "no module named x", "traceback": ""}
        report = judge([finding("DDP101")], result(bad, rank(1)))
        self.assertEqual(report["exit_code"], 2)


class FixChecks(unittest.TestCase):
    def test_crash_gone_and_gradients_equal(self):
        original = result(rank(0, error={"step": 1, "message": UNFINISHED}, steps=1), rank(1, steps=1))
        fixed = result(rank(0, find_unused=True), rank(1, find_unused=True))
        report = judge([finding("DDP202")], original, fixed, applied=["DDP202"])
        checks = {c["check"]: c for c in report["fixes"]["checks"]}
        self.assertTrue(checks["crash"]["ok"])
        self.assertTrue(checks["gradients vs reference"]["ok"])
        self.assertEqual(report["exit_code"], 0)

    def test_crash_still_there_fails(self):
        original = result(rank(0, error={"step": 1, "message": UNFINISHED}, steps=1), rank(1, steps=1))
        report = judge([finding("DDP202")], original, original, applied=["DDP202"])
        checks = {c["check"]: c for c in report["fixes"]["checks"]}
        self.assertFalse(checks["crash"]["ok"])
        self.assertEqual(report["exit_code"], 1)

    def test_gradients_off_the_reference_fail(self):
        fixed = result(rank(0), rank(1))
        fixed["ranks"][0]["iterations"][1]["projections"]["ddp"][2] = [0.9, -0.25]
        report = judge([finding("DDP101")], result(rank(0), rank(1)), fixed, applied=["DDP101"])
        checks = {c["check"]: c for c in report["fixes"]["checks"]}
        self.assertFalse(checks["gradients vs reference"]["ok"])
        self.assertIn("head.weight", checks["gradients vs reference"]["text"])
        self.assertEqual(report["exit_code"], 1)

    def test_zero_terms_must_leave_no_parameter_without_gradient(self):
        fixed = result(rank(0, {0: ["aux.weight"]}), rank(1))
        f = finding("DDP101")
        f["fix"] = {"title": "t", "applicability": "unsafe", "applied": True}
        report = judge([f], result(rank(0), rank(1)), fixed, applied=["DDP101"])
        checks = {c["check"]: c for c in report["fixes"]["checks"]}
        self.assertFalse(checks["every parameter gets a gradient"]["ok"])
        # A parameter no fixed finding is about does not count against the fix.
        fixed = result(rank(0, {0: ["head.bias"]}), rank(1))
        report = judge([f], result(rank(0), rank(1)), fixed, applied=["DDP101"])
        checks = {c["check"]: c for c in report["fixes"]["checks"]}
        self.assertTrue(checks["every parameter gets a gradient"]["ok"])

    def test_unused_flag_warning_only_judged_for_ddp201_fixes(self):
        warn = "find_unused_parameters=True was specified in DDP constructor, but did not find any unused parameters"
        original = result(rank(0, find_unused=True, stderr=warn), rank(1, find_unused=True))
        fixed = result(rank(0, find_unused=True, stderr=warn), rank(1, find_unused=True))
        report = judge([finding("DDP101")], original, fixed, applied=["DDP101"])
        self.assertNotIn("find_unused_parameters warning", [c["check"] for c in report["fixes"]["checks"]])
        report = judge([finding("DDP201", ())], original, fixed, applied=["DDP201"])
        checks = {c["check"]: c for c in report["fixes"]["checks"]}
        self.assertFalse(checks["find_unused_parameters warning"]["ok"])

    def test_text_report_renders(self):
        original = result(rank(0, error={"step": 1, "message": UNFINISHED}, steps=1), rank(1, steps=1))
        fixed = result(rank(0, find_unused=True), rank(1, find_unused=True))
        report = judge([finding("DDP202")], original, fixed, applied=["DDP202"])
        text = verdicts.render_text(report)
        self.assertIn("DDP202  model.py:1:1", text)
        self.assertIn("ok   crash", text)


if __name__ == "__main__":
    unittest.main()

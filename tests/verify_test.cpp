// `ddplint verify` under real DDP: gloo, 2 ranks, CPU, with the torch of the first
// interpreter that has one (Debian's python3-torch in CI). Each case is a small
// project in testdata/verify/ with a training script, a model and an entry.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lint/verify/verify.h"
#include "test_util.h"

using namespace ddplint::test_util;
using nlohmann::json;

namespace {

struct Python {
  std::string path, tried;
};
const Python& torch_python() {
  static const Python py = [] {
    Python p;
    p.path = ddplint::verify::find_python("", p.tried);
    return p;
  }();
  return py;
}

/// Skips the test when no interpreter can import torch.distributed.
#define REQUIRE_TORCH()                                                                            \
  if (torch_python().path.empty()) {                                                               \
    GTEST_SKIP() << "no Python with torch.distributed (tried: " << torch_python().tried << ")"; \
  }

struct Verified {
  int rc;
  std::string log;
  json report;
};

Verified verify(const std::string& project, const std::string& extra = "") {
  TempDir out;
  std::string report = out.path() + "/report.json";
  auto r = run("verify --entry " + testdata("verify/" + project + "/entry.py") + ":make -n 4 --format json -o " +
               report + " " + extra);
  Verified v{r.rc, r.out, json()};
  std::string text = read_file(report);
  if (!text.empty()) v.report = json::parse(text, nullptr, false);
  return v;
}

const json* finding(const json& report, const std::string& code) {
  for (const auto& f : report["findings"]) {
    if (f["code"] == code) return &f;
  }
  return nullptr;
}

const json* check(const json& report, const std::string& name) {
  if (!report.contains("fixes") || report["fixes"].is_null()) return nullptr;
  for (const auto& c : report["fixes"]["checks"]) {
    if (c["check"] == name) return &c;
  }
  return nullptr;
}

/// Each named fix check is there and passed.
void expect_checks_pass(const json& report, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const json* c = check(report, name);
    ASSERT_TRUE(c) << name << "\n" << report.dump(1);
    EXPECT_TRUE((*c)["ok"].get<bool>()) << (*c).dump();
  }
}

TEST(Verify, ConditionalSubmoduleCrashesAndTheFixRemovesIt) {
  REQUIRE_TORCH();
  std::string model = read_file(testdata("verify/conditional/train.py"));
  // Seed 1: at iteration 0 rank 0 uses `aux` and rank 1 skips it, so rank 0 waits in a
  // bucket's allreduce that rank 1 never starts (the case a collective in the harness
  // would deadlock with).
  Verified v = verify("conditional", "--seed 1");
  ASSERT_EQ(v.rc, 0) << v.log;
  EXPECT_EQ(v.report["runs"]["original"]["status"], "unfinished_reduction") << v.report.dump(1);
  EXPECT_EQ(v.report["runs"]["fixed"]["status"], "ok") << v.report.dump(1);
  EXPECT_EQ(v.report["runs"]["fixed"]["ddp_flags"]["find_unused_parameters"], true);
  for (const char* code : {"DDP101", "DDP202"}) {
    const json* f = finding(v.report, code);
    ASSERT_TRUE(f) << code << "\n" << v.report.dump(1);
    EXPECT_EQ((*f)["verdict"], "confirmed") << (*f).dump();
    EXPECT_NE((*f)["why"].get<std::string>().find("aux.weight"), std::string::npos) << (*f).dump();
  }
  expect_checks_pass(v.report, {"crash", "gradients vs reference"});
  // The fix went to a copy: the user's script is untouched.
  EXPECT_EQ(read_file(testdata("verify/conditional/train.py")), model);
}

TEST(Verify, FindUnusedParametersOnAFullyUsedModel) {
  REQUIRE_TORCH();
  Verified v = verify("all_used");
  ASSERT_EQ(v.rc, 0) << v.log;
  const json* f = finding(v.report, "DDP201");
  ASSERT_TRUE(f) << v.report.dump(1);
  EXPECT_EQ((*f)["verdict"], "confirmed") << (*f).dump();
  EXPECT_EQ(v.report["runs"]["original"]["ddp_flags"]["find_unused_parameters"], true);
  EXPECT_EQ(v.report["runs"]["fixed"]["ddp_flags"]["find_unused_parameters"], false);
  expect_checks_pass(v.report, {"find_unused_parameters warning", "gradients vs reference", "original vs fixed gradients"});
}

TEST(Verify, LayoutChangedAfterTheWrap) {
  REQUIRE_TORCH();
  Verified v = verify("layout_after_wrap");
  ASSERT_EQ(v.rc, 0) << v.log;
  const json* f = finding(v.report, "DDP301");
  ASSERT_TRUE(f) << v.report.dump(1);
  EXPECT_EQ((*f)["verdict"], "confirmed") << (*f).dump();
  EXPECT_NE((*f)["why"].get<std::string>().find("Grad strides do not match bucket view strides"), std::string::npos);
  expect_checks_pass(v.report, {"grad-stride warning", "gradients vs reference"});
}

TEST(Verify, TextReportHasATableAndProgress) {
  REQUIRE_TORCH();
  // A module entry (`module:function`) imported from --root.
  auto r = run("verify --root " + testdata("verify/all_used") + " --entry entry:make -n 2");
  EXPECT_EQ(r.rc, 0) << r.out;
  for (const char* want : {"[1/4] static analysis", "[2/4] original code", "[3/4] fixed code", "[4/4] verdicts",
                           "DDP201  train.py:14:13", "confirmed", "ok   gradients vs reference"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
}

TEST(Verify, EntryFailuresAreReportedNotHidden) {
  REQUIRE_TORCH();
  TempDir dir;
  dir.write("entry.py", "def make(ctx):\n    raise ValueError('no data here')\n");
  auto r = run("verify --entry entry.py:make -n 1", dir.path());
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_NE(r.out.find("ValueError: no data here"), std::string::npos) << r.out;
  r = run("verify --entry entry.py:missing -n 1", dir.path());
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_NE(r.out.find("no callable `missing`"), std::string::npos) << r.out;
}

TEST(Verify, UsageErrors) {
  TempDir dir;
  dir.write("entry.py", "def make(ctx):\n    pass\n");
  EXPECT_EQ(run("verify --entry nofile.py:make", dir.path()).rc, 2);
  EXPECT_EQ(run("verify --entry entry.py", dir.path()).rc, 2);
  EXPECT_EQ(run("verify --entry entry.py:make --ddp bogus=true", dir.path()).rc, 2);
  auto r = run("verify --entry entry.py:make --python /nonexistent/python", dir.path());
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("no Python interpreter with torch.distributed"), std::string::npos) << r.out;
}

TEST(Verify, EmitPlanWritesBothTreesAndNeedsNoTorch) {
  TempDir out;
  std::string plan_dir = out.path() + "/plan";
  auto r = run("verify --entry " + testdata("verify/conditional/entry.py") + ":make --emit-plan " + plan_dir);
  ASSERT_EQ(r.rc, 0) << r.out;
  json plan = json::parse(read_file(plan_dir + "/plan.json"));
  EXPECT_EQ(plan["entry"]["path"], "entry.py");
  ASSERT_EQ(plan["runs"].size(), 2u);
  EXPECT_EQ(plan["runs"][1]["ddp_calls"][0]["flags"]["find_unused_parameters"], true) << plan.dump(1);
  EXPECT_EQ(plan["runs"][0]["ddp_calls"][0]["model"]["name"], "Branchy");
  EXPECT_NE(read_file(plan_dir + "/fixed/train.py").find("find_unused_parameters=True"), std::string::npos);
  EXPECT_EQ(read_file(plan_dir + "/original/train.py"), read_file(testdata("verify/conditional/train.py")));
  // The DDP202 finding names the model's class and attributes for the harness.
  bool seen = false;
  for (const auto& f : plan["findings"]) {
    if (f["code"] != "DDP202") continue;
    seen = true;
    EXPECT_EQ(f["class"]["name"], "Branchy");
    EXPECT_EQ(f["attributes"], json::array({"aux"}));
  }
  EXPECT_TRUE(seen) << plan.dump(1);
  // A second plan into the same folder is refused, not merged.
  EXPECT_EQ(run("verify --entry " + testdata("verify/conditional/entry.py") + ":make --emit-plan " + plan_dir).rc, 2);
}

}  // namespace

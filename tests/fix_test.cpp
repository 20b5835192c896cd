// The fix engine: fixture files with the fixed text written inline (clang-tidy's
// CHECK-FIXES), the contract every rule's fixes keep, and failures that must leave
// files intact.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "fixers/apply.h"
#include "fixers/call_arguments.h"
#include "passes/registry.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace ddplint;
using namespace ddplint::test_util;

namespace {

std::vector<std::string> fix_fixtures() { return python_files("fixes"); }

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

/// Runs --fix (in memory, then written) on one file in a temporary folder.
std::string fix_file(const TempDir& dir, const std::string& name, const std::string& text, bool unsafe,
                     size_t* applied = nullptr) {
  std::string path = dir.write(name, text);
  driver::CheckOptions o;
  o.paths = {path};
  auto outcome = driver::compute_fixes(o, unsafe);
  EXPECT_TRUE(outcome.converged);
  EXPECT_TRUE(outcome.errors.empty()) << (outcome.errors.empty() ? "" : outcome.errors[0]);
  if (applied) *applied = outcome.applied;
  for (const auto& [p, t] : outcome.fixed) {
    std::string error;
    EXPECT_TRUE(fixers::write_atomically(p, t, error)) << error;
  }
  return read_file(path);
}

bool python_compiles(const std::string& path) {
  if (!fs::exists("/usr/bin/python3")) return true;
  std::string cmd = "/usr/bin/python3 -m py_compile '" + path + "' 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

class FixFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(FixFixture, FixedTextMatchesCheckFixes) {
  std::string original = read_file(testdata("fixes/" + GetParam()));
  bool unsafe = original.find("# RUN-FIXES: --unsafe-fixes") != std::string::npos;
  TempDir dir;
  size_t applied = 0;
  std::string fixed = fix_file(dir, GetParam(), original, unsafe, &applied);
  EXPECT_GT(applied, 0u) << "the fixture expects fixes";
  // Every CHECK-FIXES text appears, in order, on a line of the fixed file that is not
  // itself a CHECK-FIXES comment.
  static const std::regex kCheck(R"(#\s*CHECK-FIXES:\s?(.*)$)");
  std::vector<std::string> code;
  for (const auto& l : lines_of(fixed)) {
    if (!std::regex_search(l, kCheck)) code.push_back(trim(l));
  }
  size_t pos = 0;
  for (const auto& l : lines_of(original)) {
    std::smatch m;
    if (!std::regex_search(l, m, kCheck)) continue;
    std::string want = trim(m[1]);
    while (pos < code.size() && code[pos] != want) ++pos;
    ASSERT_LT(pos, code.size()) << "CHECK-FIXES not found: " << want << "\n--- fixed ---\n" << fixed;
    ++pos;
  }
  EXPECT_TRUE(fixers::parses_cleanly(fixed));
  EXPECT_TRUE(python_compiles(dir.path() + "/" + GetParam()));
  // Idempotent: a second --fix changes nothing.
  driver::CheckOptions o;
  o.paths = {dir.path() + "/" + GetParam()};
  EXPECT_TRUE(driver::compute_fixes(o, unsafe).fixed.empty());
}

INSTANTIATE_TEST_SUITE_P(Testdata, FixFixture, ::testing::ValuesIn(fix_fixtures()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string s = i.param;
                           for (char& c : s) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

TEST(FixContract, EveryRuleKeepsItsDeclaredFixAvailabilityAndFixesConverge) {
  // Over every fixture: a fix is offered only by rules that declare one, with the
  // applicability they declare at most; applying them all converges, parses, and a
  // second pass changes nothing.
  for (const char* dir : {"rules", "fixes", "clean"}) {
    for (const auto& e : fs::directory_iterator(testdata(dir))) {
      if (e.path().extension() != ".py") continue;
      driver::CheckOptions o;
      o.paths = {e.path().string()};
      auto r = driver::check(o);
      for (const auto& d : r.diagnostics) {
        if (!d.fix) continue;
        const passes::RuleInfo* rule = passes::find_rule(d.code);
        ASSERT_NE(rule, nullptr);
        EXPECT_NE(rule->fix, passes::FixAvailability::None) << d.code << " offers a fix it does not declare";
        if (d.fix->applicability == Applicability::Safe) {
          EXPECT_EQ(rule->fix, passes::FixAvailability::Safe) << d.code << " offers a safe fix, declares less";
        }
        EXPECT_FALSE(d.fix->title.empty());
      }
      TempDir tmp;
      std::string fixed = fix_file(tmp, e.path().filename().string(), read_file(e.path().string()), true);
      EXPECT_TRUE(fixers::parses_cleanly(fixed)) << e.path();
      driver::CheckOptions again;
      again.paths = {tmp.path() + "/" + e.path().filename().string()};
      EXPECT_TRUE(driver::compute_fixes(again, true).fixed.empty()) << e.path() << ": --fix is not idempotent";
    }
  }
}

const char* kNeedsFlag = R"(import random
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)

    def forward(self, x):
        if random.random() < 0.5:
            return x
        return self.a(x)


def wrap():
    return DDP(M())
)";

TEST(FixEngine, ReadOnlyFileIsLeftAlone) {
  TempDir dir;
  std::string path = dir.write("m.py", kNeedsFlag);
  chmod(path.c_str(), 0444);
  driver::CheckOptions o;
  o.paths = {path};
  auto outcome = driver::compute_fixes(o, false);
  ASSERT_EQ(outcome.fixed.size(), 1u);
  std::string error;
  EXPECT_FALSE(fixers::write_atomically(path, outcome.fixed.begin()->second, error));
  EXPECT_NE(error.find("read-only"), std::string::npos) << error;
  EXPECT_EQ(read_file(path), kNeedsFlag);
}

TEST(FixEngine, WriteFailingMidwayKeepsTheOriginalBytes) {
  TempDir dir;
  std::string path = dir.write("m.py", kNeedsFlag);
  driver::CheckOptions o;
  o.paths = {path};
  auto outcome = driver::compute_fixes(o, false);
  ASSERT_EQ(outcome.fixed.size(), 1u);
  int calls = 0;
  fixers::set_write_function([&](int fd, const char* data, size_t size) -> long {
    if (++calls > 1) {
      errno = ENOSPC;
      return -1;
    }
    return static_cast<long>(::write(fd, data, size / 2));  // half, then the disk fills
  });
  std::string error;
  bool ok = fixers::write_atomically(path, outcome.fixed.begin()->second, error);
  fixers::set_write_function([](int fd, const char* data, size_t size) { return static_cast<long>(::write(fd, data, size)); });
  EXPECT_FALSE(ok);
  EXPECT_NE(error.find("unchanged"), std::string::npos) << error;
  EXPECT_EQ(read_file(path), kNeedsFlag);
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename().string().find(".ddplint-"), std::string::npos) << "temporary file left behind";
  }
}

TEST(FixEngine, OverlappingEditsAreRefused) {
  std::string text = "abcdef";
  EXPECT_FALSE(fixers::apply_edits(text, {Edit{0, 1, 3, "X"}, Edit{0, 2, 4, "Y"}}));
  EXPECT_FALSE(fixers::apply_edits(text, {Edit{0, 2, 2, "X"}, Edit{0, 2, 2, "Y"}}));
  EXPECT_FALSE(fixers::apply_edits(text, {Edit{0, 5, 9, "X"}}));
  EXPECT_EQ(text, "abcdef");
  EXPECT_TRUE(fixers::apply_edits(text, {Edit{0, 4, 6, "Z"}, Edit{0, 0, 1, "A"}}));
  EXPECT_EQ(text, "AbcdZ");
}

TEST(FixEngine, KeepsTheFileMode) {
  TempDir dir;
  std::string path = dir.write("m.py", kNeedsFlag);
  chmod(path.c_str(), 0750);
  std::string error;
  ASSERT_TRUE(fixers::write_atomically(path, "x = 1\n", error)) << error;
  struct stat st {};
  stat(path.c_str(), &st);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
}

TEST(FixEngine, UnifiedDiff) {
  std::string d = fixers::unified_diff("a.py", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nFIVE\n6\n7\n8\n");
  EXPECT_EQ(d, "--- a.py\n+++ a.py\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
  EXPECT_EQ(fixers::unified_diff("a.py", "same\n", "same\n"), "");
}

// The acceptance cases all_used and layerdrop, fixed on copies (needs ../shared).
void fix_acceptance_copy(const std::string& name, const std::string& expect_line) {
  fs::path src = fs::path(source_dir()) / ".." / "shared" / "acceptance" / name;
  if (!fs::exists(src)) GTEST_SKIP() << "../shared/acceptance/" << name << " is not beside the checkout";
  TempDir dir;
  fs::copy(src, dir.path(), fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  std::map<std::string, std::string> before;
  for (const auto& e : fs::directory_iterator(dir.path())) before[e.path().string()] = read_file(e.path().string());
  // --diff writes nothing and shows the change.
  std::string bin = DDPLINT_BINARY;
  std::string diff_out = dir.path() + "/../" + name + ".diff";
  int rc = std::system(("cd '" + dir.path() + "' && '" + bin + "' check --diff . > '" + diff_out + "' 2>/dev/null").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(read_file(diff_out).find("+" + expect_line), std::string::npos) << read_file(diff_out);
  for (const auto& [p, t] : before) EXPECT_EQ(read_file(p), t) << p << " changed under --diff";
  // --fix makes the change; a second check reports no DDP2xx; the files compile.
  rc = std::system(("cd '" + dir.path() + "' && '" + bin + "' check --fix . > /dev/null 2>&1").c_str());
  std::string train = read_file(dir.path() + "/train.py");
  EXPECT_NE(train.find(trim(expect_line)), std::string::npos) << train;
  driver::CheckOptions o;
  o.paths = {dir.path()};
  o.select = {"DDP2"};
  EXPECT_TRUE(driver::check(o).diagnostics.empty());
  EXPECT_TRUE(python_compiles(dir.path() + "/train.py"));
  fs::remove(diff_out);
}

TEST(FixAcceptance, AllUsedTurnsTheFlagFalse) {
  fix_acceptance_copy("all_used", "    return DDP(model, device_ids=[local_rank], find_unused_parameters=False)");
}

TEST(FixAcceptance, LayerdropAddsTheFlag) {
  fix_acceptance_copy("layerdrop",
                      "    ddp_model = DistributedDataParallel(model, device_ids=[rank], find_unused_parameters=True)");
}

}  // namespace

// Lowering tests: each testdata/lower/*.py holds `# CHECK: text` lines; the output of
// `ddplint lower` on that file must contain every CHECK text, in order, each on its
// own line of output (FileCheck-style, substring match). `# CHECK-NOT: text` says
// that text must not appear between the previous CHECK match and the next one.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace ddplint;
using namespace ddplint::test_util;

namespace {

std::vector<std::string> lower_files() { return python_files("lower"); }

class Lower : public ::testing::TestWithParam<std::string> {};

TEST_P(Lower, MatchesCheckLines) {
  std::string path = testdata("lower/" + GetParam());
  auto result = driver::lower({path});
  ASSERT_TRUE(result.diagnostics.empty()) << result.diagnostics[0].message;
  bool found = false;
  std::string text = driver::print_lowered(*result.program, "", "", found);
  auto out = lines_of(text);

  static const std::regex kCheck(R"(#\s*CHECK(-NOT)?:\s?(.*)$)");
  size_t pos = 0;
  std::vector<std::string> pending_not;
  int checks = 0;
  for (const auto& line : lines_of(read_file(path))) {
    std::smatch m;
    if (!std::regex_search(line, m, kCheck)) continue;
    std::string want = m[2];
    if (m[1].matched) {
      pending_not.push_back(want);
      continue;
    }
    ++checks;
    size_t i = pos;
    while (i < out.size() && out[i].find(want) == std::string::npos) ++i;
    ASSERT_LT(i, out.size()) << "CHECK not found after output line " << pos + 1 << ": " << want << "\n--- output ---\n"
                             << text;
    for (const auto& n : pending_not) {
      for (size_t k = pos; k < i; ++k) {
        EXPECT_EQ(out[k].find(n), std::string::npos) << "CHECK-NOT matched at output line " << k + 1 << ": " << n;
      }
    }
    pending_not.clear();
    pos = i + 1;
  }
  for (const auto& n : pending_not) {
    for (size_t k = pos; k < out.size(); ++k) {
      EXPECT_EQ(out[k].find(n), std::string::npos) << "CHECK-NOT matched at output line " << k + 1 << ": " << n;
    }
  }
  EXPECT_GT(checks, 0) << "a lowering test needs CHECK lines";
}

INSTANTIATE_TEST_SUITE_P(Testdata, Lower, ::testing::ValuesIn(lower_files()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string s = i.param;
                           for (char& c : s) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

}  // namespace

// Fixture tests: every file under testdata/rules and testdata/clean, and every
// folder under testdata/projects, is linted; the findings must match the inline
// expectations exactly, clang-tidy style:
//
//     self.aux_proj = nn.Linear(dim, dim)   # expect: DDP102(aux_proj)
//     if n_i > 0:                           # expect-note: DDP101
//
// `expect: CODE[(symbol-substring)][, CODE...]` names the diagnostics reported on
// that line; `expect-note: CODE` says a note of such a diagnostic points at that
// line. Any diagnostic nobody annotated fails the test; a file without annotations
// must lint clean.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace ddplint;
using namespace ddplint::test_util;

namespace {

struct Expectation {
  std::string file;
  uint32_t line;
  std::string code;
  std::string symbol;
  bool note;
};

std::vector<std::string> units() {
  std::vector<std::string> out;
  for (const char* dir : {"rules", "clean"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(testdata(dir), ec)) {
      if (e.path().extension() == ".py") out.push_back(std::string(dir) + "/" + e.path().filename().string());
    }
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(testdata("projects"), ec)) {
    if (e.is_directory()) out.push_back("projects/" + e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Expectation> read_expectations(const std::string& path, const std::string& display) {
  std::vector<Expectation> out;
  std::istringstream in(read_file(path));
  std::string line;
  uint32_t n = 0;
  static const std::regex kExpect(R"(#\s*expect(-note)?:\s*(.*)$)");
  static const std::regex kItem(R"((DDP\d{3})(?:\(([^)]*)\))?)");
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (!std::regex_search(line, m, kExpect)) continue;
    bool note = m[1].matched;
    std::string items = m[2];
    for (std::sregex_iterator it(items.begin(), items.end(), kItem), end; it != end; ++it) {
      out.push_back({display, n, (*it)[1], (*it)[2].matched ? std::string((*it)[2]) : "", note});
    }
  }
  return out;
}

std::string rel(const fs::path& p, const fs::path& base) { return fs::relative(p, base).generic_string(); }

class Fixture : public ::testing::TestWithParam<std::string> {};

TEST_P(Fixture, FindingsMatchInlineExpectations) {
  fs::path unit = testdata(GetParam());
  fs::path base = fs::is_directory(unit) ? unit : unit.parent_path();
  std::vector<Expectation> expected;
  std::vector<fs::path> files;
  if (fs::is_directory(unit)) {
    for (const auto& e : fs::recursive_directory_iterator(unit)) {
      if (e.path().extension() == ".py") files.push_back(e.path());
    }
  } else {
    files.push_back(unit);
  }
  for (const auto& f : files) {
    auto e = read_expectations(f.string(), rel(f, base));
    expected.insert(expected.end(), e.begin(), e.end());
  }

  driver::CheckOptions o;
  o.paths = {unit.string()};
  auto result = driver::check(o);

  std::vector<bool> claimed(result.diagnostics.size(), false);
  std::vector<bool> note_claimed(result.diagnostics.size(), false);
  auto path_of = [&](const ir::Span& s, const Diagnostic& d) {
    std::string p = s.valid() ? result.program->files[static_cast<size_t>(s.file)].path : d.path;
    return rel(fs::path(p), base);
  };
  for (const auto& e : expected) {
    bool hit = false;
    for (size_t i = 0; i < result.diagnostics.size() && !hit; ++i) {
      const Diagnostic& d = result.diagnostics[i];
      if (d.code != e.code) continue;
      if (e.note) {
        for (const auto& n : d.notes) {
          if (n.span.valid() && n.span.line == e.line && path_of(n.span, d) == e.file) hit = true;
        }
        continue;
      }
      if (claimed[i] || d.span.line != e.line || path_of(d.span, d) != e.file) continue;
      std::string symbols;
      for (const auto& s : d.symbols) symbols += s + " ";
      if (!e.symbol.empty() && symbols.find(e.symbol) == std::string::npos) continue;
      claimed[i] = hit = true;
    }
    EXPECT_TRUE(hit) << "expected " << (e.note ? "a note of " : "") << e.code
                     << (e.symbol.empty() ? "" : "(" + e.symbol + ")") << " at " << e.file << ":" << e.line;
  }
  for (size_t i = 0; i < result.diagnostics.size(); ++i) {
    if (claimed[i]) continue;
    const Diagnostic& d = result.diagnostics[i];
    std::string symbols;
    for (const auto& s : d.symbols) symbols += s + " ";
    ADD_FAILURE() << "unexpected " << d.code << " at " << path_of(d.span, d) << ":" << d.span.line << " [" << symbols
                  << "] " << d.message;
  }
}

std::string name_of(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Testdata, Fixture, ::testing::ValuesIn(units()), name_of);

TEST(FixtureSuite, HasFixtures) { EXPECT_GE(units().size(), 10u); }

}  // namespace

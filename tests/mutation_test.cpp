// Recall check over the clean corpus: plant one unused nn.Linear in each class of
// each clean model, and ddplint must report exactly that (DDP102) and nothing else.
// A class whose findings vanish when something unknown is called would pass the
// clean test while hiding real problems; this catches that.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace ddplint;
using namespace ddplint::test_util;

namespace {

struct Site {
  std::string file;
  std::string cls;
  size_t insert_after;  ///< 0-based line index of `super().__init__(...)`
  std::string indent;
};

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

std::vector<Site> sites() {
  std::vector<Site> out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(testdata("clean"), ec)) {
    if (e.path().extension() == ".py") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  static const std::regex kClass(R"(^class (\w+)\((.*)\):)");
  static const std::regex kSuper(R"(^(\s+)super\(.*\)\.__init__\()");
  for (const auto& f : files) {
    std::string text = read_file(f.string());
    if (text.find("import torch.nn as nn") == std::string::npos && text.find("from torch import nn") == std::string::npos) {
      continue;
    }
    auto lines = split_lines(text);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::smatch m;
      if (!std::regex_search(lines[i], m, kClass)) continue;
      std::string cls = m[1];
      size_t end = i + 1;
      while (end < lines.size() && (lines[end].empty() || lines[end][0] == ' ' || lines[end][0] == '#')) ++end;
      std::optional<size_t> super_line;
      std::string indent;
      bool forward = false, abstract = false;
      for (size_t k = i + 1; k < end; ++k) {
        std::smatch sm;
        if (!super_line && std::regex_search(lines[k], sm, kSuper)) {
          super_line = k;
          indent = sm[1];
        }
        if (lines[k].find("def forward(") != std::string::npos) forward = true;
        if (lines[k].find("raise NotImplementedError") != std::string::npos) abstract = true;
      }
      // The call may span lines: insert after its closing parenthesis.
      if (super_line) {
        size_t k = *super_line;
        int depth = 0;
        for (; k < end; ++k) {
          for (char c : lines[k]) depth += c == '(' ? 1 : c == ')' ? -1 : 0;
          if (depth <= 0) break;
        }
        super_line = k;
      }
      if (super_line && forward && !abstract) out.push_back({f.filename().string(), cls, *super_line, indent});
    }
  }
  return out;
}

void PrintTo(const Site& s, std::ostream* os) { *os << s.file << ":" << s.cls; }

class PlantedUnusedModule : public ::testing::TestWithParam<Site> {};

TEST_P(PlantedUnusedModule, IsReportedExactlyOnce) {
  const Site& s = GetParam();
  auto lines = split_lines(read_file(testdata("clean/" + s.file)));
  lines.insert(lines.begin() + static_cast<long>(s.insert_after) + 1, s.indent + "self._ddplint_probe = nn.Linear(1, 1)");
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  TempDir dir;
  auto r = check_source(text, dir, s.file);
  int probes = 0;
  for (const auto& d : r.diagnostics) {
    bool probe = d.code == "DDP102" && !d.symbols.empty() && d.symbols[0] == "_ddplint_probe";
    if (probe) {
      ++probes;
      EXPECT_EQ(d.span.line, s.insert_after + 2) << s.file << " " << s.cls;
    } else {
      ADD_FAILURE() << s.file << " " << s.cls << ": unexpected " << d.code << " at line " << d.span.line << ": "
                    << d.message;
    }
  }
  EXPECT_EQ(probes, 1) << s.file << ": the unused module planted in " << s.cls << " was not reported";
}

INSTANTIATE_TEST_SUITE_P(CleanCorpus, PlantedUnusedModule, ::testing::ValuesIn(sites()),
                         [](const ::testing::TestParamInfo<Site>& i) {
                           std::string n = i.param.file.substr(0, i.param.file.size() - 3) + "_" + i.param.cls;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(PlantedUnusedModuleSuite, CoversTheCorpus) { EXPECT_GE(sites().size(), 40u); }

}  // namespace

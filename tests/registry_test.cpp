#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "passes/registry.h"
#include "test_util.h"

namespace ddplint::docs {
const std::map<std::string, std::string>& rule_pages();
}

using namespace ddplint;

TEST(Registry, CodesAreUniqueSortedAndDocumented) {
  std::set<std::string> seen;
  std::string prev;
  for (const auto& r : passes::rule_table()) {
    EXPECT_TRUE(seen.insert(r.code).second) << r.code;
    EXPECT_LT(prev, r.code) << "rule table must stay sorted";
    prev = r.code;
    EXPECT_TRUE(docs::rule_pages().count(r.code)) << r.code << " has no docs/rules page";
    std::string page = docs::rule_pages().at(r.code);
    EXPECT_NE(page.find(std::string("# ") + r.code + ": " + r.slug), std::string::npos) << r.code;
    for (const char* section : {"## What it does", "## Why is this bad?", "## Example", "## Use instead",
                                "## Fix safety", "## References"}) {
      EXPECT_NE(page.find(section), std::string::npos) << r.code << " page lacks " << section;
    }
  }
}

TEST(Registry, EveryCheckedRuleHasAFixture) {
  namespace fs = std::filesystem;
  for (const auto& r : passes::rule_table()) {
    if (!r.run && !r.run_program) continue;
    bool found = false;
    for (const auto& e : fs::directory_iterator(test_util::testdata("rules"))) {
      std::string name = e.path().filename().string();
      if (name.rfind(std::string(r.slug) + ".", 0) == 0) found = true;
    }
    EXPECT_TRUE(found) << r.code << " has no testdata/rules/" << r.slug << ".*.py";
  }
}

namespace {

/// The fenced ```python blocks under a page's `## heading`.
std::string python_block(const std::string& page, const std::string& heading) {
  size_t h = page.find("## " + heading);
  if (h == std::string::npos) return "";
  size_t next = page.find("\n## ", h + 3);
  std::string section = page.substr(h, next == std::string::npos ? std::string::npos : next - h);
  size_t open = section.find("```python\n");
  if (open == std::string::npos) return "";
  size_t close = section.find("\n```", open + 10);
  return section.substr(open + 10, close == std::string::npos ? std::string::npos : close - open - 9);
}

}  // namespace

TEST(RuleDocs, ExampleFiresAndUseInsteadDoesNot) {
  for (const auto& r : passes::rule_table()) {
    const std::string& page = docs::rule_pages().at(r.code);
    std::string example = python_block(page, "Example");
    std::string instead = python_block(page, "Use instead");
    ASSERT_FALSE(example.empty()) << r.code << ": no python block under Example";
    ASSERT_FALSE(instead.empty()) << r.code << ": no python block under Use instead";
    test_util::TempDir dir;
    auto fired = test_util::check_source(example, dir, "example.py");
    bool hit = false;
    for (const auto& d : fired.diagnostics) hit = hit || d.code == r.code;
    EXPECT_TRUE(hit) << r.code << ": the page's Example does not trigger it";
    auto clean = test_util::check_source(instead, dir, "use_instead.py");
    for (const auto& d : clean.diagnostics) {
      EXPECT_NE(d.code, r.code) << r.code << ": the page's Use instead still triggers it: " << d.message;
    }
  }
}

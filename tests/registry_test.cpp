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

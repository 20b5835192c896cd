// Configuration files: discovery, keys, errors with file:line, and `ddplint config`.
#include <gtest/gtest.h>

#include "lint/driver/config.h"
#include "test_util.h"

using namespace ddplint;
using namespace ddplint::test_util;

namespace {

const char* kModel = R"(import random
import torch.nn as nn


class M(nn.Module):
    def __init__(self, use_b=False):
        super().__init__()
        self.use_b = use_b
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 2)
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        if self.use_b:
            x = self.b(x)
        return self.a(x)
)";

std::vector<std::string> codes(const driver::CheckResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(d.code);
  return out;
}

TEST(Config, SelectIgnoreSeverityAndPerFileIgnores) {
  TempDir dir;
  dir.write("pyproject.toml", "[tool.ddplint]\nignore = [\"DDP103\"]\n[tool.ddplint.severity]\nDDP102 = \"warning\"\n"
                              "[tool.ddplint.per-file-ignores]\n\"legacy/**\" = [\"DDP1\"]\n");
  dir.write("src/m.py", kModel);
  dir.write("legacy/old.py", kModel);
  auto r = driver::check({{dir.path()}, {}, {}});
  ASSERT_EQ(codes(r), std::vector<std::string>{"DDP102"});
  EXPECT_NE(r.diagnostics[0].path.find("src/m.py"), std::string::npos);
  ASSERT_TRUE(r.diagnostics[0].severity.has_value());
  EXPECT_EQ(*r.diagnostics[0].severity, Severity::Warning);
  // Command-line patterns replace the file's selection.
  driver::CheckOptions o;
  o.paths = {dir.path() + "/src"};
  o.select = {"DDP103"};
  EXPECT_EQ(codes(driver::check(o)), std::vector<std::string>{"DDP103"});
}

TEST(Config, NearestFileWinsAndExclude) {
  TempDir dir;
  dir.write(".ddplint.toml", "exclude = [\"**/gen_*.py\"]\n");
  dir.write("gen_top.py", kModel);
  dir.write("pkg/gen_deep.py", kModel);
  dir.write("pkg/m.py", kModel);
  dir.write("other/.ddplint.toml", "select = [\"DDP102\"]\n");
  dir.write("other/m.py", kModel);
  auto r = driver::check({{dir.path()}, {}, {}});
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.path.find("gen_"), std::string::npos) << d.path;
    if (d.path.find("other/") != std::string::npos) EXPECT_EQ(d.code, "DDP102");
  }
  EXPECT_EQ(r.diagnostics.size(), 3u);  // pkg/m.py: DDP102 + DDP103; other/m.py: DDP102
}

TEST(Config, ErrorsNameFileAndLine) {
  TempDir dir;
  dir.write("m.py", kModel);
  dir.write("pyproject.toml", "[tool.ddplint]\nselect = [\"DDP1\"]\nignores = [\"DDP102\"]\n");
  auto r = driver::check({{dir.path()}, {}, {}});
  EXPECT_NE(r.config_error.find("pyproject.toml:3: unknown key `ignores`"), std::string::npos) << r.config_error;
  dir.write("pyproject.toml", "[tool.ddplint]\nselect = [\"DDP9XX\"]\n");
  r = driver::check({{dir.path()}, {}, {}});
  EXPECT_NE(r.config_error.find("unknown rule code or prefix `DDP9XX`"), std::string::npos) << r.config_error;
  dir.write("pyproject.toml", "[tool.ddplint]\nselect = \"DDP1\"\n");
  r = driver::check({{dir.path()}, {}, {}});
  EXPECT_NE(r.config_error.find("must be a list of strings"), std::string::npos) << r.config_error;
  dir.write("pyproject.toml", "[tool.ddplint\n");
  r = driver::check({{dir.path()}, {}, {}});
  EXPECT_NE(r.config_error.find("pyproject.toml:1"), std::string::npos) << r.config_error;
}

TEST(Config, DescribeSettings) {
  TempDir dir;
  dir.write(".ddplint.toml", "ignore = [\"DDP103\"]\n[severity]\nDDP201 = \"error\"\n");
  driver::SettingsResolver resolver;
  const driver::Settings* s = resolver.for_path(dir.path());
  ASSERT_NE(s, nullptr) << resolver.error();
  std::string text = driver::describe_settings(*s);
  EXPECT_NE(text.find("ignore = [\"DDP103\"]"), std::string::npos) << text;
  EXPECT_NE(text.find("DDP201 = \"error\""), std::string::npos) << text;
}

TEST(Config, Globs) {
  EXPECT_TRUE(driver::glob_match("**/gen_*.py", "gen_x.py"));
  EXPECT_TRUE(driver::glob_match("**/gen_*.py", "a/b/gen_x.py"));
  EXPECT_TRUE(driver::glob_match("tests/**", "tests/unit/t.py"));
  EXPECT_TRUE(driver::glob_match("*_pb2.py", "proto/x_pb2.py"));
  EXPECT_FALSE(driver::glob_match("src/*.py", "src/a/b.py"));
}

}  // namespace

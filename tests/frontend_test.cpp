// Bad input never crashes and never hides the other files' findings.
#include <gtest/gtest.h>

#include "lint/frontend/python/frontend.h"
#include "test_util.h"

using namespace ddplint;
using namespace ddplint::test_util;

namespace {

const char* kGood = kUnusedModuleModel;

std::map<std::string, std::vector<std::string>> codes_by_file(const driver::CheckResult& r) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& d : r.diagnostics) {
    std::string p = d.path.substr(d.path.rfind('/') + 1);
    out[p].push_back(d.code);
  }
  return out;
}

TEST(BadInput, BrokenFilesAreReportedAndTheRestIsLinted) {
  TempDir dir;
  dir.write("good.py", kGood);
  dir.write("syntax.py", "class A(:\n    pass\n");
  dir.write("binary.py", std::string("\x7f" "ELF\0\x01\x02", 7));
  dir.write("utf8.py", "x = \"\xff\xfe\"\n");
  dir.write("deep_parens.py", "x = " + std::string(20000, '(') + "1" + std::string(20000, ')') + "\n");
  dir.write("deep_unary.py", "import torch.nn as nn\n\n\nclass N(nn.Module):\n    def forward(self, x):\n        return " +
                                 std::string(20000, '-') + "x\n");
  dir.write("empty.py", "");
  driver::CheckOptions o;
  o.paths = {dir.path()};
  auto r = driver::check(o);
  auto by = codes_by_file(r);
  EXPECT_EQ(by["good.py"], std::vector<std::string>{"DDP102"});
  for (const char* f : {"syntax.py", "binary.py", "utf8.py", "deep_parens.py", "deep_unary.py"}) {
    EXPECT_EQ(by[f], std::vector<std::string>{"DDP901"}) << f;
  }
  EXPECT_EQ(by.count("empty.py"), 0u);
  EXPECT_EQ(r.files, 7u);
}

TEST(BadInput, SyntaxErrorPointsAtTheError) {
  TempDir dir;
  auto r = check_source("import torch\n\ndef f(x):\n    return (x +\n", dir);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "DDP901");
  EXPECT_GE(r.diagnostics[0].span.line, 3u);
}

TEST(BadInput, MissingPathIsReported) {
  driver::CheckOptions o;
  o.paths = {"/nonexistent/ddplint/path.py"};
  auto r = driver::check(o);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "DDP901");
  EXPECT_EQ(r.diagnostics[0].path, "/nonexistent/ddplint/path.py");
}

TEST(BadInput, UnreadableFileIsReported) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: permissions do not stop reads";
  TempDir dir;
  std::string p = dir.write("locked.py", kGood);
  chmod(p.c_str(), 0);
  auto r = driver::check({{p}, {}, {}});
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "DDP901");
}

TEST(BadInput, DeeplyNestedStatementsDoNotCrash) {
  std::string src = "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def forward(self, x):\n";
  for (int i = 0; i < 90; ++i) src += std::string(8 + 4 * static_cast<size_t>(i), ' ') + "if x:\n";
  src += std::string(8 + 4 * 90, ' ') + "return x\n";
  src += "        return x\n";
  TempDir dir;
  auto r = check_source(src, dir);
  for (const auto& d : r.diagnostics) EXPECT_EQ(d.code, "DDP901");
}

TEST(Discovery, SkipsHiddenFoldersAndVirtualenvs) {
  TempDir dir;
  dir.write("pkg/model.py", kGood);
  dir.write(".git/hooks/x.py", kGood);
  dir.write(".venv/lib/m.py", kGood);
  dir.write("myenv/pyvenv.cfg", "home = /usr\n");
  dir.write("myenv/lib/m.py", kGood);
  dir.write("__pycache__/m.py", kGood);
  dir.write("notes.txt", "not python");
  DiagnosticSink sink;
  auto files = frontend::python::discover_sources({dir.path()}, sink);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(files[0].find("pkg/model.py"), std::string::npos);
  EXPECT_TRUE(sink.diagnostics().empty());
}

TEST(Utf8, Validation) {
  size_t bad = 0;
  EXPECT_TRUE(frontend::python::valid_utf8("plain ascii", bad));
  EXPECT_TRUE(frontend::python::valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", bad));
  EXPECT_FALSE(frontend::python::valid_utf8("\xc0\xaf", bad));  // overlong
  EXPECT_FALSE(frontend::python::valid_utf8("\xed\xa0\x80", bad));  // surrogate
  EXPECT_FALSE(frontend::python::valid_utf8("ab\xe2\x82", bad));  // truncated
  EXPECT_EQ(bad, 2u);
}

TEST(CrossFile, ClassesResolveThroughRelativeAndAbsoluteImports) {
  TempDir dir;
  dir.write("proj/pkg/__init__.py", "from .blocks import Gate\n");
  dir.write("proj/pkg/blocks.py", R"(import torch.nn as nn


class Gate(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.a = nn.Linear(d, d)
        self.unused = nn.Linear(d, d)

    def forward(self, x):
        return self.a(x)
)");
  dir.write("proj/model.py", R"(import torch.nn as nn
from pkg import Gate
from pkg.blocks import Gate as G2


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.g = Gate(4)
        self.h = G2(4)

    def forward(self, x):
        return self.h(self.g(x))
)");
  auto r = driver::check({{dir.path() + "/proj"}, {}, {}});
  // `unused` is Gate's own problem: reported once, in blocks.py, not again in Net.
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "DDP102");
  EXPECT_NE(r.diagnostics[0].path.find("blocks.py"), std::string::npos);
  const ir::ClassInfo* net = nullptr;
  for (const auto& c : r.program->classes) {
    if (c->name == "Net") net = c.get();
  }
  ASSERT_NE(net, nullptr);
  ASSERT_NE(net->attr("g"), nullptr);
  EXPECT_EQ(net->attr("g")->module.kind, ir::ModuleExpr::Kind::Class);
  EXPECT_NE(net->attr("g")->module.class_name.find("blocks.Gate"), std::string::npos);
  EXPECT_NE(net->attr("h")->module.class_name.find("blocks.Gate"), std::string::npos);
}

}  // namespace

// Hostile inputs: each gives a clear diagnostic or is skipped with a reason; nothing
// crashes or hangs, and exit codes stay as documented.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "lint/frontend/python/frontend.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace ddplint;
using namespace ddplint::test_util;

namespace {

const char* kUnused = "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                      "        self.a = nn.Linear(2, 2)\n        self.b = nn.Linear(2, 2)\n\n    def forward(self, x):\n"
                      "        return self.a(x)\n";

std::vector<std::string> codes(const driver::CheckResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(d.code);
  return out;
}

TEST(Hostile, LineEndingsAndIndentation) {
  TempDir dir;
  std::string crlf;
  for (char c : std::string(kUnused)) {
    if (c == '\n') crlf += "\r\n";
    else crlf += c;
  }
  auto r = check_source(crlf, dir, "crlf.py");
  EXPECT_EQ(codes(r), std::vector<std::string>{"DDP102"});
  EXPECT_EQ(r.diagnostics[0].span.line, 8u);
  // Mixed: CRLF on some lines, LF on others.
  std::string mixed = kUnused;
  mixed.replace(mixed.find("\n"), 1, "\r\n");
  EXPECT_EQ(codes(check_source(mixed, dir, "mixed.py")), std::vector<std::string>{"DDP102"});
  // Tabs for indentation.
  std::string tabs = "import torch.nn as nn\n\n\nclass M(nn.Module):\n\tdef __init__(self):\n\t\tsuper().__init__()\n"
                     "\t\tself.a = nn.Linear(2, 2)\n\t\tself.b = nn.Linear(2, 2)\n\n\tdef forward(self, x):\n"
                     "\t\treturn self.a(x)\n";
  EXPECT_EQ(codes(check_source(tabs, dir, "tabs.py")), std::vector<std::string>{"DDP102"});
}

TEST(Hostile, FileOverTheSizeLimit) {
  TempDir dir;
  std::string big = "x = 1\n";
  big.reserve(50u << 20);
  while (big.size() < (50u << 20)) big += "# padding padding padding padding padding padding padding padding\n";
  auto r = check_source(big, dir, "big.py");
  ASSERT_EQ(codes(r), std::vector<std::string>{"DDP901"});
  EXPECT_NE(r.diagnostics[0].message.find("limit"), std::string::npos);
}

TEST(Hostile, HundredThousandDeepNesting) {
  TempDir dir;
  std::string deep = "x = " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  auto start = std::chrono::steady_clock::now();
  auto r = check_source(deep, dir, "deep.py");
  EXPECT_EQ(codes(r), std::vector<std::string>{"DDP901"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(Hostile, TenThousandClassesInOneFile) {
  TempDir dir;
  std::string src = "import torch.nn as nn\n\n";
  for (int i = 0; i < 10000; ++i) {
    src += "class C" + std::to_string(i) + "(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
           "        self.fc = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n\n\n";
  }
  auto start = std::chrono::steady_clock::now();
  auto r = check_source(src, dir, "many.py");
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_EQ(r.program->classes.size(), 10000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(Hostile, ImportCyclesBetweenFiles) {
  TempDir dir;
  dir.write("a.py", "import torch.nn as nn\nfrom b import B\n\n\nclass A(nn.Module):\n    def __init__(self):\n"
                    "        super().__init__()\n        self.b = B()\n\n    def forward(self, x):\n        return self.b(x)\n");
  dir.write("b.py", "import torch.nn as nn\nfrom a import A\n\n\nclass B(nn.Module):\n    def __init__(self):\n"
                    "        super().__init__()\n        self.fc = nn.Linear(2, 2)\n\n    def forward(self, x):\n"
                    "        return self.fc(x)\n");
  // A class that contains itself through the cycle.
  dir.write("c.py", "import torch.nn as nn\nfrom d import D\n\n\nclass C(nn.Module):\n    def __init__(self):\n"
                    "        super().__init__()\n        self.d = D()\n\n    def forward(self, x):\n        return self.d(x)\n");
  dir.write("d.py", "import torch.nn as nn\nfrom c import C\n\n\nclass D(nn.Module):\n    def __init__(self):\n"
                    "        super().__init__()\n        self.c = C()\n\n    def forward(self, x):\n        return self.c(x)\n");
  auto r = driver::check({{dir.path()}, {}, {}});
  EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics[0].message;
}

TEST(Hostile, SymlinkLoopsAndDanglingLinks) {
  TempDir dir;
  dir.write("pkg/m.py", kUnused);
  fs::create_directory_symlink(dir.path() + "/pkg", dir.path() + "/pkg/loop");
  fs::create_symlink(dir.path() + "/nowhere.py", dir.path() + "/pkg/dangling.py");
  auto r = driver::check({{dir.path()}, {}, {}});
  auto c = codes(r);
  EXPECT_EQ(std::count(c.begin(), c.end(), "DDP102"), 1);
  EXPECT_EQ(std::count(c.begin(), c.end(), "DDP901"), 1);  // the dangling link cannot be read
}

TEST(Hostile, FileDeletedBetweenDiscoveryAndReading) {
  TempDir dir;
  dir.write("keep.py", kUnused);
  std::string gone = dir.write("gone.py", kUnused);
  DiagnosticSink sink;
  auto files = frontend::python::discover_sources({dir.path()}, sink);
  ASSERT_EQ(files.size(), 2u);
  fs::remove(gone);
  ir::Program program;
  frontend::python::Frontend fe(program, sink);
  fe.add_files(files, 2);
  fe.lower();
  ASSERT_EQ(sink.diagnostics().size(), 1u);
  EXPECT_EQ(sink.diagnostics()[0].code, "DDP901");
  EXPECT_NE(sink.diagnostics()[0].message.find("cannot read"), std::string::npos);
  EXPECT_EQ(program.classes.size(), 1u);
}

TEST(Hostile, UnreadableFile) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: file permissions do not stop reads";
  TempDir dir;
  std::string p = dir.write("locked.py", kUnused);
  chmod(p.c_str(), 0);
  EXPECT_EQ(codes(driver::check({{p}, {}, {}})), std::vector<std::string>{"DDP901"});
}

}  // namespace

namespace {

// Inputs that once crashed or hung ddplint (found by fuzzing or in development):
// each must lint without crashing, and fixes on it must converge.
TEST(FuzzRegressions, ReplayWithoutCrashing) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(testdata("fuzz-regressions"))) files.push_back(e.path());
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    driver::CheckOptions o;
    o.paths = {f.string()};
    auto r = driver::check(o);
    for (const auto& d : r.diagnostics) EXPECT_FALSE(d.message.empty()) << f;
    EXPECT_TRUE(driver::compute_fixes(o, true).converged) << f;
  }
}

}  // namespace

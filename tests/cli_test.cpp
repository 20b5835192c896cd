// The command line as users and CI call it: exit codes, formats, verbs.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "test_util.h"

using namespace ddplint::test_util;

namespace {

struct Invocation {
  int rc;
  std::string out;
};

Invocation run(const std::string& args, const std::string& cwd = "") {
  std::string cmd = (cwd.empty() ? "" : "cd '" + cwd + "' && ") + std::string(DDPLINT_BINARY) + " " + args + " 2>&1";
  Invocation r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(Cli, ExitCodes) {
  TempDir dir;
  dir.write("clean.py", "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                        "        self.a = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.a(x)\n");
  EXPECT_EQ(run("check clean.py", dir.path()).rc, 0);
  dir.write("bad.py", "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                      "        self.a = nn.Linear(2, 2)\n        self.b = nn.Linear(2, 2)\n\n"
                      "    def forward(self, x):\n        return self.a(x)\n");
  Invocation r = run("check bad.py", dir.path());
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("bad.py:8:9: DDP102"), std::string::npos) << r.out;
  EXPECT_EQ(run("check --exit-zero bad.py", dir.path()).rc, 0);
  EXPECT_EQ(run("check --ignore DDP1 bad.py", dir.path()).rc, 0);
  EXPECT_EQ(run("check --select DDP101 bad.py", dir.path()).rc, 0);
  EXPECT_EQ(run("check --select DDP9XX bad.py", dir.path()).rc, 2);
  EXPECT_EQ(run("check --format yaml bad.py", dir.path()).rc, 2);
  EXPECT_EQ(run("frobnicate", dir.path()).rc, 2);
  EXPECT_EQ(run("check missing.py", dir.path()).rc, 1);
}

TEST(Cli, JsonOutput) {
  Invocation r = run("check --format json .", source_dir() + "/examples/rgbd_seg");
  ASSERT_EQ(r.rc, 1) << r.out;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_TRUE(doc.contains("diagnostics"));
  bool found = false;
  for (const auto& d : doc["diagnostics"]) {
    for (const char* k : {"code", "name", "severity", "message", "path", "line", "column", "end_line", "end_column",
                          "symbol", "scope", "notes"}) {
      EXPECT_TRUE(d.contains(k)) << k;
    }
    if (d["code"] == "DDP101" && d["symbol"] == "depth_embed.patch_embed") {
      found = true;
      EXPECT_EQ(d["path"], "models/rgbd_encoder.py");
      EXPECT_EQ(d["line"], 58);
      EXPECT_EQ(d["name"], "conditional-parameter-use");
      EXPECT_EQ(d["scope"], "RGBDSegmenter.forward");
      EXPECT_NE(d["symbol"].get<std::string>().find("depth_embed.patch_embed"), std::string::npos);
      ASSERT_FALSE(d["notes"].empty());
      EXPECT_EQ(d["notes"][0]["line"], 57);
    }
  }
  EXPECT_TRUE(found);
}

TEST(Cli, LowerRulesAndRule) {
  Invocation r = run("lower " + testdata("lower/early_exit.py") + " --class Gate --method forward");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("graph Gate.forward("), std::string::npos);
  EXPECT_EQ(r.out.find("graph Gate.__init__("), std::string::npos);
  EXPECT_EQ(run("lower " + testdata("lower/early_exit.py") + " --class Nope").rc, 2);
  r = run("rules");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("DDP101   conditional-parameter-use"), std::string::npos) << r.out;
  r = run("rule DDP102");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("# DDP102: parameter-never-used"), std::string::npos);
  EXPECT_EQ(run("rule DDP999").rc, 2);
}

TEST(Cli, NoColourWhenPiped) {
  TempDir dir;
  dir.write("m.py", "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                    "        self.b = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return x\n");
  Invocation r = run("check m.py", dir.path());
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos);
  r = run("check --color always m.py", dir.path());
  EXPECT_NE(r.out.find("\x1b["), std::string::npos);
}

}  // namespace

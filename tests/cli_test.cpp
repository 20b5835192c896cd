// The command line as users and CI call it: exit codes, formats, verbs.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <nlohmann/json.hpp>

#include "test_util.h"

using namespace ddplint::test_util;

namespace {

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

namespace {

// The parts of SARIF 2.1.0 a consumer (GitHub code scanning) requires, checked
// against the spec's required properties: sarifLog.version/runs, run.tool.driver.name,
// result.message.text, physicalLocation.artifactLocation.uri, region line/column >= 1,
// fix.artifactChanges[].replacements[].deletedRegion.
void expect_sarif_shape(const nlohmann::json& doc) {
  ASSERT_EQ(doc["version"], "2.1.0");
  ASSERT_TRUE(doc["runs"].is_array());
  ASSERT_EQ(doc["runs"].size(), 1u);
  const auto& run = doc["runs"][0];
  const auto& driver = run["tool"]["driver"];
  ASSERT_TRUE(driver["name"].is_string());
  std::set<std::string> ids;
  for (const auto& r : driver["rules"]) {
    ASSERT_TRUE(r["id"].is_string());
    ids.insert(r["id"]);
    EXPECT_TRUE(r["helpUri"].is_string());
    EXPECT_TRUE(r["shortDescription"]["text"].is_string());
  }
  ASSERT_TRUE(run["results"].is_array());
  for (const auto& res : run["results"]) {
    EXPECT_TRUE(ids.count(res["ruleId"].get<std::string>()));
    EXPECT_EQ(driver["rules"][res["ruleIndex"].get<size_t>()]["id"], res["ruleId"]);
    EXPECT_TRUE(res["message"]["text"].is_string());
    EXPECT_TRUE(res["level"] == "error" || res["level"] == "warning");
    const auto& pl = res["locations"][0]["physicalLocation"];
    EXPECT_TRUE(pl["artifactLocation"]["uri"].is_string());
    if (pl.contains("region")) {
      EXPECT_GE(pl["region"]["startLine"].get<int>(), 1);
      EXPECT_GE(pl["region"]["startColumn"].get<int>(), 1);
    }
    if (res.contains("logicalLocations")) ADD_FAILURE() << "logicalLocations belong inside a location";
    EXPECT_TRUE(res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].is_string());
    if (res.contains("fixes")) {
      for (const auto& fx : res["fixes"]) {
        EXPECT_TRUE(fx["description"]["text"].is_string());
        for (const auto& ch : fx["artifactChanges"]) {
          EXPECT_TRUE(ch["artifactLocation"]["uri"].is_string());
          for (const auto& rep : ch["replacements"]) {
            EXPECT_GE(rep["deletedRegion"]["startLine"].get<int>(), 1);
            EXPECT_TRUE(rep["insertedContent"]["text"].is_string());
          }
        }
      }
    }
  }
}

TEST(Cli, SarifGithubStatisticsAndOutputFile) {
  std::string ex = source_dir() + "/examples/rgbd_seg";
  Invocation r = run("check --format sarif .", ex);
  EXPECT_EQ(r.rc, 1);
  auto doc = nlohmann::json::parse(r.out);
  expect_sarif_shape(doc);
  EXPECT_GE(doc["runs"][0]["results"].size(), 2u);

  r = run("check --format github .", ex);
  EXPECT_NE(r.out.find("::error file=models/rgbd_encoder.py,line=58,col=28,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("title=DDP101 (conditional-parameter-use)::DDP101 "), std::string::npos) << r.out;

  r = run("check --statistics .", ex);
  EXPECT_NE(r.out.find("\tDDP101\tconditional-parameter-use"), std::string::npos) << r.out;

  TempDir dir;
  std::string out = dir.path() + "/report.json";
  r = run("check --format json --output-file " + out + " .", ex);
  EXPECT_EQ(r.rc, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NO_THROW(nlohmann::json::parse(read_file(out)));
}

TEST(Cli, OutputIsIdenticalAcrossRunsAndThreadCounts) {
  std::string first = run("check --format json -j 1 " + source_dir() + "/testdata").out;
  ASSERT_FALSE(first.empty());
  for (int threads : {1, 2}) {
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(run("check --format json -j " + std::to_string(threads) + " " + source_dir() + "/testdata").out, first)
          << "threads " << threads << ", run " << i;
    }
  }
}

TEST(Cli, GitignoreIsRespected) {
  TempDir dir;
  std::string bad = "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                    "        self.b = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return x\n";
  dir.write("generated/m.py", bad);
  dir.write("src/keep.py", bad);
  dir.write("src/skip_me.py", bad);
  dir.write(".gitignore", "generated/\n");
  dir.write("src/.gitignore", "skip_*.py\n");
  Invocation r = run("check -q .", dir.path());
  EXPECT_NE(r.out.find("keep.py"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("generated"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("skip_me.py"), std::string::npos) << r.out;
  r = run("check -q --no-respect-gitignore .", dir.path());
  EXPECT_NE(r.out.find("skip_me.py"), std::string::npos) << r.out;
}

TEST(Cli, GitignoreMatchesALinkByItsOwnName) {
  // As git does: a linked file is ignored by its name in the tree, not its target's.
  TempDir dir;
  std::string bad = "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                    "        self.b = nn.Linear(2, 2)\n\n    def forward(self, x):\n        return x\n";
  dir.write("elsewhere/target.py", bad);
  dir.write("src/.gitignore", "skip_*.py\n");
  std::error_code ec;
  std::filesystem::create_symlink(dir.path() + "/elsewhere/target.py", dir.path() + "/src/skip_link.py", ec);
  if (ec) GTEST_SKIP() << "cannot make a link here: " << ec.message();
  Invocation r = run("check -q src", dir.path());
  EXPECT_EQ(r.out.find("skip_link.py"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("target.py"), std::string::npos) << r.out;
}

}  // namespace

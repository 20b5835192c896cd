// The pre-commit hooks of .pre-commit-hooks.yaml, run by Debian's pre-commit against
// a temporary git repository, from this checkout (`pre-commit try-repo`).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "test_util.h"

namespace fs = std::filesystem;
using namespace ddplint::test_util;

namespace {

Invocation sh(const std::string& cmd) { return shell(cmd); }

const char* kModel = kUnusedModuleModel;

TEST(PreCommit, HooksRunFromThisCheckout) {
  if (sh("command -v pre-commit").rc != 0) GTEST_SKIP() << "pre-commit is not installed (scripts/bootstrap.sh installs it)";
  if (!fs::exists(source_dir() + "/.git")) GTEST_SKIP() << "the source tree is not a git checkout";
  TempDir dir;
  std::string repo = dir.path() + "/repo";
  fs::create_directories(repo);
  std::string bin_dir = fs::path(DDPLINT_BINARY).parent_path().string();
  std::string env = "cd '" + repo + "' && export PATH='" + bin_dir + "':\"$PATH\" PRE_COMMIT_HOME='" + dir.path() +
                    "/cache' GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t && ";
  ASSERT_EQ(sh(env + "git init -q . && git config user.email t@t && git config user.name t").rc, 0);
  write_file(repo + "/model.py", kModel);
  ASSERT_EQ(sh(env + "git add model.py").rc, 0);
  // The finding fails the hook and names the line.
  Invocation r = sh(env + "pre-commit try-repo '" + source_dir() + "' ddplint --all-files");
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("model.py:8:9: DDP102"), std::string::npos) << r.out;
  // Frozen, the module is ignored by DDP: the hook passes.
  std::string fixed = kModel;
  fixed.replace(fixed.find("        self.b = nn.Linear(2, 2)\n"), 33,
                "        self.b = nn.Linear(2, 2)\n        self.b.requires_grad_(False)\n");
  write_file(repo + "/model.py", fixed);
  ASSERT_EQ(sh(env + "git add model.py").rc, 0);
  r = sh(env + "pre-commit try-repo '" + source_dir() + "' ddplint --all-files");
  EXPECT_EQ(r.rc, 0) << r.out;
}

}  // namespace

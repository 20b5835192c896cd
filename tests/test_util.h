// Helpers shared by the test files.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lint/driver/driver.h"

namespace ddplint::test_util {

struct Invocation {
  int rc;
  std::string out;  ///< stdout and stderr together
};

/// A shell command line, stdout and stderr together.
inline Invocation shell(const std::string& cmd) {
  Invocation r{0, ""};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The ddplint binary with `args` (shell words), in `cwd` when given.
inline Invocation run(const std::string& args, const std::string& cwd = "") {
  return shell((cwd.empty() ? "" : "cd '" + cwd + "' && ") + std::string(DDPLINT_BINARY) + " " + args);
}

inline std::string source_dir() { return DDPLINT_SOURCE_DIR; }
inline std::string testdata(const std::string& rel) { return source_dir() + "/testdata/" + rel; }

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The .py files of testdata/<dir>, by name, sorted.
inline std::vector<std::string> python_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(testdata(dir), ec)) {
    if (e.path().extension() == ".py") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

/// A model with one module (`self.b`, line 8) that forward never uses: one DDP102.
inline const char* kUnusedModuleModel = R"(import torch.nn as nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 2)

    def forward(self, x):
        return self.a(x)
)";

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// A temporary folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    auto base = std::filesystem::temp_directory_path() / "ddplint-test-XXXXXX";
    std::string tmpl = base.string();
    char* p = mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    return p.string();
  }

 private:
  std::string path_;
};

/// Runs `ddplint check` in-process on a snippet written to a temporary file.
inline driver::CheckResult check_source(const std::string& text, const TempDir& dir, const std::string& name = "m.py") {
  std::string path = dir.write(name, text);
  driver::CheckOptions o;
  o.paths = {path};
  return driver::check(o);
}

}  // namespace ddplint::test_util

// `ddplint verify`: the static findings and fixes, confirmed under real DDP.
//
// The C++ side runs the analysis and the fixes (on copies, never on the user's files)
// and writes a plan: the project's Python files as they are (original/) and as fixed
// (fixed/), the findings with the classes and attribute paths they are about, and the
// DDP calls of both versions with their literal flags. The Python harness
// (verify/ddplint_verify, run with an interpreter that has torch) launches torchrun on
// each version, records what DDP reports, and prints the verdicts. A plan can be
// written here and run elsewhere (`--emit-plan`, then `python -m ddplint_verify run`),
// e.g. on a GPU machine without a ddplint build.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ddplint::verify {

struct VerifyOptions {
  std::string entry;               ///< "path/to/file.py:make" or "package.module:make"
  std::vector<std::string> paths;  ///< what to lint (default: the project root)
  std::string root;                ///< copied and put on sys.path (default: the entry file's folder, or .)
  std::optional<std::string> config;
  std::vector<std::string> select, ignore;
  bool unsafe = false;
  int iterations = 20;
  int world_size = 0;  ///< 0: one rank per GPU, or 2 on CPU
  int seed = 0;
  double timeout = 300;            ///< seconds per run
  double collective_timeout = 30;  ///< seconds a rank waits in a collective (hang detection)
  std::string backend = "auto", device = "auto";
  std::vector<std::string> ddp;    ///< KEY=VALUE: DDP flags for the harness's wrap, both runs
  std::string python;              ///< interpreter with torch (default: search)
  std::string format = "text", output_file;
  std::string emit_plan;           ///< write the plan to this folder and stop
  bool keep_runs = false;
};

/// Runs it all; returns the exit code (0 verified, 1 contradicted or a fix failed,
/// 2 usage or internal error, or the runs could not be made).
int run_verify(const VerifyOptions& options);

/// The first interpreter that can import torch.distributed: `requested`, else
/// $DDPLINT_PYTHON, python3, /usr/bin/python3, python. `tried` lists those asked.
std::string find_python(const std::string& requested, std::string& tried);

/// The folder holding the `ddplint_verify` package: $DDPLINT_HARNESS, then
/// <exe>/../share/ddplint/verify, then the source tree's verify/. Empty if none.
std::string harness_dir();

}  // namespace ddplint::verify

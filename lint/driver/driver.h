// The driver: files in, diagnostics out. Frontends, analyses and rules in order.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lint/diag/diagnostic.h"
#include "lint/ir/ir.h"

namespace ddplint::driver {

struct CheckOptions {
  std::vector<std::string> paths;
  /// Text to use instead of a file's bytes on disk (fixes computed but not written).
  const std::map<std::string, std::string>* overlay = nullptr;
  /// --config PATH: one configuration for every file (else the nearest one up).
  std::optional<std::string> config;
  unsigned threads = 0;  ///< 0: one per core
  bool respect_gitignore = true;
  bool quiet_progress = false;  ///< no progress line on a terminal
  std::vector<std::string> select;  ///< codes or prefixes ("DDP1"); empty = all
  std::vector<std::string> ignore;
  /// --source-root OLD=NEW for TorchScript archives (paths stored at save time).
  std::vector<std::pair<std::string, std::string>> source_roots;
};

struct AnalysisResults;  ///< driver.cpp: the participations and their context

struct CheckResult {
  CheckResult();
  ~CheckResult();
  CheckResult(CheckResult&&) noexcept;
  CheckResult& operator=(CheckResult&&) noexcept;

  std::unique_ptr<ir::Program> program;
  /// The analysis behind the diagnostics; it points into `program`. A caller that exits
  /// right after reporting may release both rather than free millions of small objects
  /// one by one (main.cpp does).
  std::unique_ptr<AnalysisResults> analysis;
  std::vector<Diagnostic> diagnostics;  ///< sorted by path, line, column, code
  size_t files = 0;                     ///< Python files read
  std::vector<std::string> info;        ///< --verbose messages
  std::string config_error;             ///< a configuration file is invalid ("path:line: ...")
};

CheckResult check(const CheckOptions& options);

/// Fixes computed in memory, round after round until nothing changes: nothing is
/// written. Only changed files appear in `fixed`.
struct AppliedFix {
  std::string code, path, title;
  uint32_t line = 0;  ///< in the text of the round that applied it
  Applicability applicability = Applicability::Safe;
  int round = 0;
  std::vector<std::string> symbols;
};
struct FixOutcome {
  std::map<std::string, std::string> original, fixed;  ///< path -> text
  size_t applied = 0;
  std::vector<AppliedFix> applied_fixes;
  std::vector<std::string> errors;  ///< fixes refused (overlap, invalid result)
  bool converged = true;
  std::string config_error;
};
FixOutcome compute_fixes(const CheckOptions& options, bool unsafe);

/// Whether a diagnostic's fix is applied with these settings.
bool fix_applies(const Diagnostic& d, bool unsafe);

/// Lowers `paths` without running rules (for `ddplint lower`).
CheckResult lower(const std::vector<std::string>& paths);

/// The text `ddplint lower` prints: class facts and graphs, optionally one class
/// (short or qualified name) and one method. Sets `found` to whether the class exists.
std::string print_lowered(const ir::Program& program, const std::string& cls, const std::string& method, bool& found);

bool is_selected(const std::string& code, const std::vector<std::string>& select,
                 const std::vector<std::string>& ignore);

/// The path a diagnostic belongs to.
std::string diagnostic_path(const Diagnostic& d, const ir::Program& program);

}  // namespace ddplint::driver

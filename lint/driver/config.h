// Configuration: `[tool.ddplint]` in pyproject.toml, or a .ddplint.toml (top-level
// keys), the nearest one up from each file; `--config PATH` overrides.
//
//   [tool.ddplint]
//   select = ["DDP1", "DDP2"]          # codes or prefixes; default: all
//   ignore = ["DDP103"]
//   extend-select = ["DDP902"]
//   exclude = ["legacy/**", "*_pb2.py"]
//   src = ["src"]                      # extra roots for resolving imports
//   [tool.ddplint.per-file-ignores]
//   "tests/**" = ["DDP102"]
//   [tool.ddplint.severity]
//   DDP103 = "error"
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lint/frontend/python/path_memo.h"

#include "lint/diag/diagnostic.h"

namespace ddplint::driver {

struct Settings {
  std::string source;  ///< the config file ("" when none: defaults)
  std::string root;    ///< its folder; globs and src are relative to it
  std::vector<std::string> select, ignore, extend_select, exclude, src;
  std::vector<std::pair<std::string, std::vector<std::string>>> per_file_ignores;
  std::map<std::string, Severity> severity;

  /// Whether `code` is reported for `path` under these settings (CLI patterns, when
  /// given, replace select/ignore).
  bool enabled(const std::string& code, const std::string& path, const std::vector<std::string>& cli_select,
               const std::vector<std::string>& cli_ignore) const;
  bool excluded(const std::string& path) const;
};

/// Loads one config file. Errors (syntax, unknown keys, bad values) come back as
/// "path:line: message".
bool load_settings(const std::string& path, Settings& out, std::string& error);

/// Settings for files, found by walking up from each file's folder; cached.
class SettingsResolver {
 public:
  /// `forced`: --config PATH, used for every file.
  explicit SettingsResolver(std::optional<std::string> forced = std::nullopt) : forced_(std::move(forced)) {}
  /// nullptr after an error (see error()).
  const Settings* for_path(const std::string& path);
  const std::string& error() const { return error_; }

 private:
  std::optional<std::string> forced_;
  std::map<std::string, Settings> by_file_;   ///< config file -> settings
  std::map<std::string, std::string> dirs_;   ///< folder -> config file ("" none)
  frontend::python::PathMemo paths_;
  Settings defaults_;
  std::string error_;
};

/// Prints effective settings (for `ddplint config`).
std::string describe_settings(const Settings& s);

/// Whether `pattern` (a code or a prefix like "DDP1", or "ALL") names a rule.
bool valid_code_pattern(const std::string& pattern);

/// fnmatch-style glob with `**` spanning folders, on '/'-separated paths.
bool glob_match(const std::string& pattern, const std::string& path);

}  // namespace ddplint::driver

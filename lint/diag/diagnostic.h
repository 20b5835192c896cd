// A finding, as rules produce it and reporters print it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lint/ir/ir.h"

namespace ddplint {

enum class Severity { Error, Warning };

struct Note {
  ir::Span span;  ///< may be invalid: a note without a location
  std::string message;
};

/// How far a fix may be trusted, as ruff: safe fixes keep behaviour, unsafe ones may
/// change it (applied with --unsafe-fixes), display-only ones are advice.
enum class Applicability { Safe, Unsafe, DisplayOnly };

/// Replace bytes [begin, end) of a file with `content`.
struct Edit {
  int file = -1;
  uint32_t begin = 0, end = 0;
  std::string content;
};

struct Fix {
  std::string title;
  Applicability applicability = Applicability::Safe;
  std::vector<Edit> edits;  ///< non-overlapping
};

struct Diagnostic {
  std::string code;                  ///< "DDP101"
  ir::Span span;
  std::string path;                  ///< for diagnostics without a span (a file that could not be read)
  std::string message;
  std::vector<std::string> symbols;  ///< dotted attribute paths involved
  std::string scope;                 ///< "Class.method", or "" at file level
  std::vector<Note> notes;
  std::optional<Fix> fix;
  std::optional<Severity> severity;  ///< set from configuration; else the rule's default
};

/// Collects diagnostics from frontends and rules.
class DiagnosticSink {
 public:
  void report(Diagnostic d) { diags_.push_back(std::move(d)); }
  std::vector<Diagnostic>& diagnostics() { return diags_; }
  /// Messages for --verbose (what ddplint could not decide, and why).
  void info(std::string message) { info_.push_back(std::move(message)); }
  std::vector<std::string>& infos() { return info_; }

 private:
  std::vector<Diagnostic> diags_;
  std::vector<std::string> info_;
};

}  // namespace ddplint

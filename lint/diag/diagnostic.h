// A finding, as rules produce it and reporters print it.
#pragma once

#include <string>
#include <vector>

#include "lint/ir/ir.h"

namespace ddplint {

enum class Severity { Error, Warning };

struct Note {
  ir::Span span;  ///< may be invalid: a note without a location
  std::string message;
};

struct Diagnostic {
  std::string code;                  ///< "DDP101"
  ir::Span span;
  std::string path;                  ///< for diagnostics without a span (a file that could not be read)
  std::string message;
  std::vector<std::string> symbols;  ///< dotted attribute paths involved
  std::string scope;                 ///< "Class.method", or "" at file level
  std::vector<Note> notes;
};

/// Collects diagnostics from frontends and rules.
class DiagnosticSink {
 public:
  void report(Diagnostic d) { diags_.push_back(std::move(d)); }
  std::vector<Diagnostic>& diagnostics() { return diags_; }

 private:
  std::vector<Diagnostic> diags_;
};

}  // namespace ddplint

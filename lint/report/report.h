// Reporters: human text (ruff/clang style) and JSON.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "lint/diag/diagnostic.h"
#include "lint/ir/ir.h"

namespace ddplint::report {

struct TextOptions {
  bool color = false;
  bool quiet = false;   ///< diagnostics only, no summary
  bool unsafe = false;  ///< --unsafe-fixes: unsafe fixes count as applicable
  size_t fixed = 0;     ///< fixes applied by --fix, for the summary
};

void write_text(std::ostream& out, const std::vector<Diagnostic>& diags, const ir::Program& program, size_t files,
                const TextOptions& options);
void write_json(std::ostream& out, const std::vector<Diagnostic>& diags, const ir::Program& program);
void write_sarif(std::ostream& out, const std::vector<Diagnostic>& diags, const ir::Program& program,
                 const std::string& version);
/// GitHub Actions workflow commands (`::error file=...,line=...,col=...::message`).
void write_github(std::ostream& out, const std::vector<Diagnostic>& diags);
/// One line per code: count, code, name; most frequent first.
void write_statistics(std::ostream& out, const std::vector<Diagnostic>& diags);

}  // namespace ddplint::report

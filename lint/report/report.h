// Reporters: human text (ruff/clang style) and JSON.
#pragma once

#include <ostream>
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

}  // namespace ddplint::report

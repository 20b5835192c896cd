// Suppression comments, as flake8/ruff spell them:
//   x = self.a(x)  # noqa: DDP101          this line (or the statement starting here)
//   x = self.a(x)  # noqa                  every code on this line
//   # ddplint: noqa: DDP103                 the whole file (bare: every code)
// and DDP902 for a `# noqa: DDPxxx` that suppresses nothing.
#pragma once

#include <vector>

#include "lint/diag/diagnostic.h"
#include "lint/ir/ir.h"

namespace ddplint::driver {

/// Drops suppressed diagnostics from `diags`, then reports each unused DDP code of a
/// suppression comment as DDP902 (when `report_unused`).
void apply_suppressions(std::vector<Diagnostic>& diags, const ir::Program& program, bool report_unused);

}  // namespace ddplint::driver

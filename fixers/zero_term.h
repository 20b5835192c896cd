// DDP101's model-side fix: make the path that skips some parameters touch them with a
// zero-valued term, so that every step gives them a (zero) gradient and DDP can keep
// find_unused_parameters=False. Built on the syntax tree; only where the skipping
// path is explicit: a missing else, a `continue`, a `return`.
#pragma once

#include <optional>
#include <string>

#include "lint/diag/diagnostic.h"
#include "lint/ir/ir.h"

namespace ddplint::fixers {

/// `if_span`: the if statement. `skip_is_then`: its then-branch is the path that
/// skips (ends in continue/return) rather than the missing else. `var`: the variable
/// that carries the parameters out of the branch that uses them. `term`: a
/// zero-valued Python expression of the parameters (`sum(p.sum() for p in ...)`).
std::optional<Edit> zero_term_edit(const ir::Program& program, int file_index, const ir::Span& if_span,
                                   bool skip_is_then, const std::string& var, const std::string& term);

}  // namespace ddplint::fixers

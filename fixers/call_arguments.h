// Fix builders for call arguments, on the syntax tree (never on the IR): set a
// keyword argument of a call, in the call's own layout.
#pragma once

#include <optional>
#include <string>

#include "lint/diag/diagnostic.h"
#include "lint/frontend/python/tree.h"

#include "lint/ir/ir.h"

namespace ddplint::fixers {

/// The edit that makes the call at `call` pass `name=value`: replaces the value when
/// the keyword is there, else adds it after the last argument, keeping a trailing
/// comma and a one-argument-per-line layout. nullopt when the call cannot be found.
std::optional<Edit> set_keyword(const ir::Program& program, int file_index, const ir::Span& call,
                                const std::string& name, const std::string& value);

/// Whether `text` parses as Python without errors (fixes are checked with it).
bool parses_cleanly(const std::string& text);

/// The syntax tree of `program.files[file]`, parsed once per run and cached.
const frontend::python::SyntaxTree* syntax_tree(const ir::Program& program, int file);

}  // namespace ddplint::fixers

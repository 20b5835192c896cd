// The rule table: one row per code, sorted. No self-registration.
#pragma once

#include <string>
#include <vector>

#include "lint/diag/diagnostic.h"
#include "passes/participation.h"

namespace ddplint::passes {

/// What a rule reads: the program and the facts the analyses computed for one root
/// class. Rules report; they never walk syntax trees.
struct RuleContext {
  const ir::Program& program;
  const Participation& participation;
  DiagnosticSink& sink;
  const ContextIndex& context;
  /// Iteration-varying, as far as the places the class is used tell (ContextIndex).
  bool varies(const Atom& a) const { return context.varies(a); }
};

enum class FixAvailability { None, DisplayOnly, Unsafe, Safe };

struct RuleInfo {
  const char* code;
  const char* slug;
  Severity severity;
  const char* summary;
  FixAvailability fix;
  void (*run)(const RuleContext&);  ///< nullptr: reported elsewhere (DDP901 by the frontends)
};

const std::vector<RuleInfo>& rule_table();
const RuleInfo* find_rule(const std::string& code);

}  // namespace ddplint::passes

// The rule table: one row per code, sorted. No self-registration.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lint/diag/diagnostic.h"
#include "passes/ddp_calls.h"
#include "passes/participation.h"

namespace ddplint::passes {

/// What a rule reads: the program and the facts the analyses computed for one root
/// class. Rules report; they never walk syntax trees.
struct RuleContext {
  const ir::Program& program;
  const Participation& participation;
  DiagnosticSink& sink;
  const ContextIndex& context;
  /// Classes of models converted to channels-last before their wrap, with their submodules.
  const std::set<const ir::ClassInfo*>* channels_last_models = nullptr;
  /// Iteration-varying, as far as the places the class is used tell (ContextIndex).
  bool varies(const Atom& a) const { return context.varies(a); }
};

/// What a program-level rule reads: every class's facts, the DDP call sites.
struct ProgramRuleContext {
  const ir::Program& program;
  const std::vector<Participation>& participations;
  const ContextIndex& context;
  const std::vector<DdpCall>& calls;
  const std::vector<LayoutConversion>& conversions;
  DiagnosticSink& sink;
  const Participation* of(const ir::ClassInfo* c) const {
    if (by_class.empty()) {
      for (const auto& p : participations) by_class.emplace(p.root, &p);
    }
    auto it = by_class.find(c);
    return it == by_class.end() ? nullptr : it->second;
  }
  mutable std::map<const ir::ClassInfo*, const Participation*> by_class;
};

enum class FixAvailability { None, DisplayOnly, Unsafe, Safe };

struct RuleInfo {
  const char* code;
  const char* slug;
  Severity severity;
  const char* summary;
  FixAvailability fix;
  void (*run)(const RuleContext&);  ///< per class; nullptr when not
  void (*run_program)(const ProgramRuleContext&);  ///< once per run; nullptr when not
};

const std::vector<RuleInfo>& rule_table();
const RuleInfo* find_rule(const std::string& code);

}  // namespace ddplint::passes

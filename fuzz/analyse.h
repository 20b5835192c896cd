// What every fuzz target runs after its frontend: each class the program analyses as a
// root, the context index, the DDP call sites, then every rule.
#pragma once

#include <vector>

#include "passes/ddp_calls.h"
#include "passes/participation.h"
#include "passes/registry.h"

namespace ddplint::fuzz {

inline void analyse_and_run_rules(const ir::Program& program, DiagnosticSink& sink) {
  std::vector<passes::Participation> parts;
  for (const auto& c : program.classes) {
    if (!c->analyse_as_root) continue;
    auto p = passes::analyze_participation(program, *c);
    if (p.analyzed) parts.push_back(std::move(p));
  }
  passes::ContextIndex context;
  for (const auto& p : parts) context.add(p);
  auto calls = passes::find_ddp_calls(program);
  auto conversions = passes::find_layout_conversions(program);
  passes::ProgramRuleContext pctx{program, parts, context, calls, conversions, sink};
  for (const auto& rule : passes::rule_table()) {
    if (rule.run_program) rule.run_program(pctx);
  }
  for (const auto& p : parts) {
    passes::RuleContext ctx{program, p, sink, context, nullptr};
    for (const auto& rule : passes::rule_table()) {
      if (rule.run) rule.run(ctx);
    }
  }
}

}  // namespace ddplint::fuzz

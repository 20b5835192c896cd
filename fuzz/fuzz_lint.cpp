// libFuzzer target: any bytes as a Python file through the frontend, the analyses and
// every rule. No crash, no sanitizer report, bounded time and memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lint/frontend/python/frontend.h"
#include "passes/participation.h"
#include "passes/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ddplint;
  ir::Program program;
  DiagnosticSink sink;
  {
    frontend::python::Frontend fe(program, sink);
    fe.add_source("fuzz.py", std::string(reinterpret_cast<const char*>(data), size));
    fe.lower();
  }
  std::vector<passes::Participation> parts;
  for (const auto& c : program.classes) {
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
  return 0;
}

// libFuzzer target: any bytes as a TorchScript archive through the plugin (LibTorch's
// loader, then ddplint's lowering), the analyses and every rule. No crash, no sanitizer
// report in ddplint's code, bounded time. The plugin is the main build's
// (DDPLINT_TORCHSCRIPT_PLUGIN): LibTorch itself is not instrumented. Seeded with real
// archives (testdata/torchscript/make_archives.py), so mutations reach past the zip layer.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "lint/frontend/torchscript/archive.h"
#include "passes/ddp_calls.h"
#include "passes/participation.h"
#include "passes/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ddplint;
  static const std::string path = "/tmp/ddplint-fuzz-" + std::to_string(getpid()) + ".pt";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ir::Program program;
  DiagnosticSink sink;
  torchscript::load_archives({path}, {}, program, sink);
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
  return 0;
}

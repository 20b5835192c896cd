// DDP201 unnecessary-find-unused-parameters: find_unused_parameters=True on a model
// whose trainable parameters all get a gradient on every path. DDP then traverses the
// autograd graph from the outputs after every forward for nothing, and warns.
#include "fixers/call_arguments.h"
#include "passes/rules/common.h"
#include "passes/rules/find_unused_parameters.h"

namespace ddplint::passes::rules {

void check_unnecessary_find_unused_parameters(const ProgramRuleContext& ctx) {
  for (const DdpCall& call : ctx.calls) {
    if (call.span.file < 0 || !ctx.program.files[static_cast<size_t>(call.span.file)].reported) continue;
    const auto& fup = call.find_unused_parameters;
    if (!call.model) continue;  // reported by DDP202's --verbose line
    const Participation* part = ctx.of(call.model);
    if (!part || !fup.literal || !*fup.literal) continue;
    // With static_graph=True DDP looks for unused parameters in the first iteration only.
    if (call.static_graph.literal && *call.static_graph.literal) continue;
    ModelUsage u = model_usage(*part, ctx.context, call.frozen_before_wrap);
    if (!u.skipping.empty() || !u.config_dependent.empty() || u.truncated || u.trainable == 0) continue;
    Diagnostic d;
    d.code = "DDP201";
    d.span = call.span;
    d.scope = call.scope;
    d.symbols = {call.model->name};
    d.message = fmt::format(
        "`find_unused_parameters=True`, but every trainable parameter of `{}` gets a gradient on every path of "
        "forward: DDP traverses the autograd graph after each forward for nothing, and warns",
        call.model->name);
    d.notes.push_back({call.model->span, fmt::format("all {} trainable parameters of `{}` were proven used{}",
                                                      u.trainable, call.model->name,
                                                      u.opaque ? " (some submodules ddplint cannot see into)" : "")});
    if (fup.positional) {
      d.fix = Fix{"Pass `False` as find_unused_parameters", Applicability::DisplayOnly, {}};
    } else if (auto e = fixers::set_keyword(ctx.program, call.span.file, call.span, "find_unused_parameters", "False")) {
      // Unseen submodules might skip parameters: then False would crash DDP.
      d.fix = Fix{"Set `find_unused_parameters=False`", u.opaque ? Applicability::Unsafe : Applicability::Safe, {*e}};
    }
    ctx.sink.report(std::move(d));
  }
}

}  // namespace ddplint::passes::rules

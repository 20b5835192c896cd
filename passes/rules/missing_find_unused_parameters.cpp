// DDP202 missing-find-unused-parameters: the wrapped model has parameters that get no
// gradient in some or all iterations (the DDP101/DDP102 findings), and the DDP call
// does not pass find_unused_parameters=True. The reducer then waits for their
// gradients and the next iteration fails with "Expected to have finished reduction
// in the prior iteration".
#include <algorithm>
#include <set>

#include "fixers/call_arguments.h"
#include "passes/rules/common.h"
#include "passes/rules/find_unused_parameters.h"

namespace ddplint::passes::rules {

void check_missing_find_unused_parameters(const ProgramRuleContext& ctx) {
  for (const DdpCall& call : ctx.calls) {
    if (call.span.file < 0 || !ctx.program.files[static_cast<size_t>(call.span.file)].reported) continue;
    if (!call.model) {
      ctx.sink.info(fmt::format("{}:{}: DDP call in `{}`: wrapped model not resolved ({}); DDP2xx checks skipped",
                                ctx.program.files[static_cast<size_t>(call.span.file)].path, call.span.line,
                                call.scope, call.unresolved_why));
      continue;
    }
    const Participation* part = ctx.of(call.model);
    if (!part) continue;
    const auto& fup = call.find_unused_parameters;
    if (fup.literal && *fup.literal) continue;  // needed, and passed
    ModelUsage u = model_usage(*part, ctx.context, call.frozen_before_wrap);
    // static_graph=True copes with parameters unused in every iteration alike.
    if (call.static_graph.literal && *call.static_graph.literal) {
      u.skipping.erase(std::remove_if(u.skipping.begin(), u.skipping.end(),
                                      [](const ParamFact* f) { return f->state == ParamFact::State::Never; }),
                       u.skipping.end());
    }
    if (u.skipping.empty()) continue;
    if ((fup.present && !fup.literal) || (!fup.present && fup.maybe_in_kwargs)) {
      ctx.sink.info(fmt::format("{}:{}: find_unused_parameters={} cannot be checked statically; `{}` needs it True",
                                ctx.program.files[static_cast<size_t>(call.span.file)].path, call.span.line,
                                fup.present ? fup.text : "(in **kwargs)", call.model->name));
      continue;
    }
    Diagnostic d;
    d.code = "DDP202";
    d.span = call.span;
    d.scope = call.scope;
    std::set<std::string> vias;
    for (const ParamFact* f : u.skipping) {
      std::string via = f->state == ParamFact::State::Never ? f->param->path.substr(0, f->param->path.rfind('.'))
                                                            : f->dep.via;
      if (vias.insert(via).second) d.symbols.push_back(via);
    }
    std::string first = d.symbols.empty() ? "" : attr_ref(d.symbols[0]);
    d.message = fmt::format(
        "DistributedDataParallel wraps `{}`, whose parameters in {}{} get no gradient in some iterations, but "
        "`find_unused_parameters` is {}: DDP fails with {} in the step after one is skipped",
        call.model->name, first, d.symbols.size() > 1 ? fmt::format(" and {} more", d.symbols.size() - 1) : "",
        fup.present ? "False" : "not set", kReductionError);
    std::set<std::pair<int, uint32_t>> noted;
    for (const ParamFact* f : u.skipping) {
      if (d.notes.size() >= 3) break;
      bool never = f->state == ParamFact::State::Never;
      const ModuleNode* node = part->tree->find(f->param->path.substr(0, f->param->path.rfind('.')));
      ir::Span at = never ? (node && node->def_span.valid() ? node->def_span : f->param->def_span) : f->dep.use;
      if (!noted.insert({at.file, at.begin}).second) continue;
      std::string owner = f->param->path.substr(0, f->param->path.rfind('.'));
      d.notes.push_back({at, never ? fmt::format("{} never gets a gradient (DDP102)", attr_ref(owner.empty() ? f->param->path : owner))
                                   : fmt::format("{} is used only on some paths (DDP101)", attr_ref(f->dep.via))});
    }
    if (call.static_graph.literal && *call.static_graph.literal) {
      // Under static_graph=True DDP ignores the flag: parameters skipped in some
      // iterations only need a model-side change.
      d.notes.push_back({{}, "static_graph=True: DDP expects the same parameters in every iteration; "
                             "find_unused_parameters does not help here"});
    } else if (fup.positional) {
      d.fix = Fix{"Pass `True` as find_unused_parameters", Applicability::DisplayOnly, {}};
    } else if (auto e = fixers::set_keyword(ctx.program, call.span.file, call.span, "find_unused_parameters", "True")) {
      d.fix = Fix{"Pass `find_unused_parameters=True`", Applicability::Safe, {*e}};
    }
    ctx.sink.report(std::move(d));
  }
}

}  // namespace ddplint::passes::rules

// DDP102 parameter-never-used: trainable parameters that never get a gradient in a
// training step: never referenced, result discarded, detached, under no_grad, only
// through an op without gradient, or only when `not self.training`. Reported once,
// at the attribute's definition, in the class whose code drops them.
#include "passes/rules/parameter_never_used.h"

#include "passes/rules/common.h"

namespace ddplint::passes::rules {
namespace {

bool dropped_by_root(const Participation& part, const ParamFact& f) {
  return f.state == ParamFact::State::Never && f.never.blamed == part.root;
}

/// The shortest path on `p`'s way whose trainable parameters are all dropped by the root.
std::string report_path(const Participation& part, const ParamInfo& p) {
  std::string prefix;
  size_t pos = 0;
  while (true) {
    size_t dot = p.path.find('.', pos);
    prefix = p.path.substr(0, dot);
    bool all = true;
    bool any = false;
    for (const auto& f : part.facts) {
      if (!f.param->trainable || !f.param->known || !path_under(f.param->path, prefix)) continue;
      any = true;
      if (!dropped_by_root(part, f)) {
        all = false;
        break;
      }
    }
    if (any && all) return prefix;
    if (dot == std::string::npos) return p.path;
    pos = dot + 1;
  }
}

std::string reason_text(const NeverReason& r, const std::string& method) {
  using K = NeverReason::Kind;
  switch (r.kind) {
    case K::NotReferenced: return fmt::format("is never used in `{}`", method);
    case K::Discarded: return "is called, but its result never reaches the output";
    case K::Detached: return fmt::format("reaches the output only through `{}`, which cuts the gradient", r.detail);
    case K::NoGrad:
      return r.detail == "@no_grad" ? "runs only in a method decorated with `@torch.no_grad()`"
                                    : fmt::format("runs only under `{}`", r.detail.empty() ? "torch.no_grad()" : r.detail);
    case K::NonDifferentiable: return fmt::format("reaches the output only through `{}`, which has no gradient", r.detail);
    case K::EvalOnly:
      if (r.detail.find("training") != std::string::npos) {
        return fmt::format("is used only when `{}`, which never holds in training (`self.training` is True)", r.detail);
      }
      return fmt::format("is used only when `{}`, which is false for this model (it is a constant)", r.detail);
    case K::Unreachable: return "is used only on a path that always raises";
  }
  return "";
}

std::string note_text(const NeverReason& r) {
  using K = NeverReason::Kind;
  switch (r.kind) {
    case K::Discarded: return "its result is computed here and then discarded";
    case K::Detached: return "the gradient stops here";
    case K::NoGrad: return "gradient recording is off in this block";
    case K::NonDifferentiable: return fmt::format("`{}` has no gradient", r.detail);
    case K::EvalOnly: return "this branch is never taken in a training step";
    default: return "";
  }
}

}  // namespace

void check_parameter_never_used(const RuleContext& ctx) {
  const Participation& part = ctx.participation;
  std::map<std::string, std::vector<const ParamFact*>> groups;
  std::vector<std::string> order;
  for (const auto& f : part.facts) {
    if (!f.param->trainable || !f.param->known || !dropped_by_root(part, f)) continue;
    std::string path = report_path(part, *f.param);
    if (!groups.count(path)) order.push_back(path);
    groups[path].push_back(&f);
  }
  for (const std::string& path : order) {
    const auto& facts = groups[path];
    const NeverReason& r = facts.front()->never;
    const ModuleNode* node = part.tree->find(path);
    ir::Span at = node && node->def_span.valid() ? node->def_span : facts.front()->param->def_span;
    Diagnostic d;
    d.code = "DDP102";
    d.span = at;
    d.symbols = {path};
    d.scope = scope_of(part, r.scope);
    d.message = fmt::format(
        "{} ({}) {}: its parameters never get a gradient, and DDP fails with {} unless "
        "`find_unused_parameters=True`",
        attr_ref(path), describe_count(facts), reason_text(r, part.method), kReductionError);
    std::string note = note_text(r);
    if (!note.empty() && r.span.valid()) d.notes.push_back({r.span, note});
    d.notes.push_back({{}, "help: remove it, or freeze it (`requires_grad_(False)`) so that DDP ignores it"});
    ctx.sink.report(std::move(d));
  }
}

}  // namespace ddplint::passes::rules

// What DDP201 and DDP202 share: how the wrapped model's parameters take part in a step.
#include "passes/rules/find_unused_parameters.h"

namespace ddplint::passes::rules {

ModelUsage model_usage(const Participation& part, const ContextIndex& context, const std::vector<std::string>& frozen) {
  ModelUsage u;
  u.truncated = part.truncated;
  u.opaque = part.calls_unknown_callable;  // `self.net(x)` with `self.net = hydra...instantiate(...)`
  for (const auto& f : part.facts) {
    if (!f.param->trainable) continue;
    bool frozen_here = false;
    for (const auto& p : frozen) frozen_here = frozen_here || path_under(f.param->path, p);
    if (frozen_here) continue;
    if (!f.param->known) u.opaque = true;
    else ++u.trainable;
    if (f.state == ParamFact::State::Always) continue;
    if (f.state == ParamFact::State::Never) {
      if (f.param->known) u.skipping.push_back(&f);
      else u.truncated = true;  // cannot prove an unseen module is used
      continue;
    }
    Guard g = part.model_guard(f);
    if (g.always()) continue;
    bool varies = false;
    for (const Lit& l : g.literals()) varies = varies || context.varies(part.atoms[static_cast<size_t>(l.atom)]);
    (varies ? u.skipping : u.config_dependent).push_back(&f);
  }
  return u;
}

}  // namespace ddplint::passes::rules

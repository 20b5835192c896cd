// DDP201 unnecessary-find-unused-parameters and DDP202 missing-find-unused-parameters:
// the find_unused_parameters flag of each DDP call, checked against the wrapped model.
#pragma once

#include "passes/registry.h"

namespace ddplint::passes::rules {

void check_unnecessary_find_unused_parameters(const ProgramRuleContext& ctx);
void check_missing_find_unused_parameters(const ProgramRuleContext& ctx);

/// How the wrapped model's parameters take part in a step, as DDP sees it.
struct ModelUsage {
  size_t trainable = 0;                  ///< known trainable parameters
  bool opaque = false;                   ///< some submodule's parameters are unseen
  bool truncated = false;                ///< the analysis stopped early
  std::vector<const ParamFact*> skipping;  ///< never used, or used only on iteration-varying paths
  std::vector<const ParamFact*> config_dependent;  ///< used only under configuration conditions
};
/// `frozen`: parts the training script froze before the wrap (DDP leaves them out).
ModelUsage model_usage(const Participation& part, const ContextIndex& context,
                       const std::vector<std::string>& frozen = {});

}  // namespace ddplint::passes::rules

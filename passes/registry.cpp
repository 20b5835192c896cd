#include "passes/registry.h"

#include "passes/rules/conditional_parameter_use.h"
#include "passes/rules/config_dependent_parameter_use.h"
#include "passes/rules/find_unused_parameters.h"
#include "passes/rules/layout_changed_after_wrap.h"
#include "passes/rules/mixed_memory_format_size1_kernels.h"
#include "passes/rules/parameter_never_used.h"

namespace ddplint::passes {

const std::vector<RuleInfo>& rule_table() {
  static const std::vector<RuleInfo> k = {
      {"DDP101", "conditional-parameter-use", Severity::Error,
       "trainable parameters get a gradient only on some iteration-varying paths of a training step",
       FixAvailability::Unsafe, rules::check_conditional_parameter_use, nullptr},
      {"DDP102", "parameter-never-used", Severity::Error,
       "trainable parameters never get a gradient in training", FixAvailability::DisplayOnly,
       rules::check_parameter_never_used, nullptr},
      {"DDP103", "config-dependent-parameter-use", Severity::Warning,
       "parameters are used only when a configuration constant holds, while the module is built either way",
       FixAvailability::DisplayOnly, rules::check_config_dependent_parameter_use, nullptr},
      {"DDP201", "unnecessary-find-unused-parameters", Severity::Warning,
       "`find_unused_parameters=True` on a model whose trainable parameters are all used on every path",
       FixAvailability::Safe, nullptr, rules::check_unnecessary_find_unused_parameters},
      {"DDP202", "missing-find-unused-parameters", Severity::Error,
       "the wrapped model has parameters that skip steps, and the call does not pass `find_unused_parameters=True`",
       FixAvailability::Safe, nullptr, rules::check_missing_find_unused_parameters},
      {"DDP301", "layout-changed-after-wrap", Severity::Warning,
       "parameter strides change after the DDP wrap (the model's memory format converted after DDP(...))",
       FixAvailability::Safe, nullptr, rules::check_layout_changed_after_wrap},
      {"DDP303", "mixed-memory-format-size1-kernels", Severity::Warning,
       "a conv weight with size-1 dims meets activations of another memory format",
       FixAvailability::Unsafe, rules::check_mixed_memory_format_size1_kernels, nullptr},
      {"DDP901", "unreadable-input", Severity::Error, "a file that cannot be read or parsed",
       FixAvailability::None, nullptr, nullptr},
      {"DDP902", "unused-suppression", Severity::Warning, "a `# noqa: DDPxxx` comment that suppresses nothing",
       FixAvailability::Safe, nullptr, nullptr},
  };
  return k;
}

const RuleInfo* find_rule(const std::string& code) {
  for (const auto& r : rule_table()) {
    if (code == r.code) return &r;
  }
  return nullptr;
}

}  // namespace ddplint::passes

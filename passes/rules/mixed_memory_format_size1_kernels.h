#pragma once

#include "passes/registry.h"

namespace ddplint::passes::rules {

void check_mixed_memory_format_size1_kernels(const RuleContext& ctx);

}  // namespace ddplint::passes::rules

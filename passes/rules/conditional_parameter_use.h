#pragma once

#include "passes/registry.h"

namespace ddplint::passes::rules {

void check_conditional_parameter_use(const RuleContext& ctx);

}  // namespace ddplint::passes::rules

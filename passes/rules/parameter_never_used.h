#pragma once

#include "passes/registry.h"

namespace ddplint::passes::rules {

void check_parameter_never_used(const RuleContext& ctx);

}  // namespace ddplint::passes::rules

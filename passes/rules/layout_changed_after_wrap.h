#pragma once

#include "passes/registry.h"

namespace ddplint::passes::rules {

void check_layout_changed_after_wrap(const ProgramRuleContext& ctx);

}  // namespace ddplint::passes::rules

// Fix builders for memory-format conversions (DDP301, DDP303), on the syntax tree.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lint/diag/diagnostic.h"
#include "lint/ir/ir.h"

namespace ddplint::fixers {

/// DDP301: move `x.to(memory_format=F)` from after the DDP wrap into the wrap's model
/// argument (`DDP(model.to(memory_format=F), ...)`), dropping the later statement when
/// it only reassigns the conversion. nullopt when the layout is not that simple.
std::optional<std::vector<Edit>> move_conversion_before_wrap(const ir::Program& program, int file_index,
                                                             const ir::Span& conversion, const ir::Span& ddp_call);

/// DDP303: keep the activations contiguous: `x.to(memory_format=...)` /
/// `x.contiguous(memory_format=...)` becomes `x`.
std::optional<Edit> drop_conversion(const ir::Program& program, int file_index, const ir::Span& conversion);

}  // namespace ddplint::fixers

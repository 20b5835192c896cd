// DDP call sites: every construction of torch.nn.parallel.DistributedDataParallel in
// the lowered code (functions, methods, module-level statements), its keyword
// arguments, and the class of the model it wraps, followed through local
// assignments, `.to()`/`.cuda()` chains and project functions that build the model.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lint/ir/ir.h"

namespace ddplint::passes {

struct DdpKeyword {
  bool present = false;
  std::optional<bool> literal;  ///< set when the value is a literal True/False
  ir::Span value_span;          ///< the value expression
  std::string text;             ///< its source text, for "cannot tell" messages
  bool positional = false;      ///< passed by position: a fix cannot add it by name
  bool maybe_in_kwargs = false; ///< not named, but the call passes **kwargs
};

struct DdpCall {
  const ir::Node* node = nullptr;  ///< the prim::CallFunction
  ir::Span span;
  std::string scope;               ///< "build", "<module>", "Trainer.setup"
  const ir::ClassInfo* model = nullptr;  ///< the wrapped model's class, when resolved
  std::string unresolved_why;            ///< otherwise, why not
  DdpKeyword find_unused_parameters, static_graph, gradient_as_bucket_view, broadcast_buffers;
  /// Parts of the model the script froze before the wrap (`model.backbone.requires_grad_(False)`,
  /// `for p in model.head.parameters(): p.requires_grad = False`), as paths; "" = all.
  std::vector<std::string> frozen_before_wrap;
};

std::vector<DdpCall> find_ddp_calls(const ir::Program& program);

/// `model.to(memory_format=...)` in the project's scripts and functions.
struct LayoutConversion {
  const ir::Node* node = nullptr;
  ir::Span span;
  std::string scope;
  std::string memory_format;             ///< "torch.channels_last", ...
  const ir::ClassInfo* model = nullptr;  ///< the converted model's class, when resolved
  /// When the conversion comes after the model was wrapped in DDP: that call
  /// (same function), and the node of its model argument.
  const ir::Node* after_wrap = nullptr;
  const ir::Value* wrapped_model_arg = nullptr;
};
std::vector<LayoutConversion> find_layout_conversions(const ir::Program& program);

bool is_ddp_constructor(const std::string& qualified);

}  // namespace ddplint::passes

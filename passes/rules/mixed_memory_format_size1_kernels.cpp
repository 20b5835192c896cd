// DDP303 mixed-memory-format-size1-kernels: a convolution whose weight has size-1
// dims (1x1 kernels [O,I,1,1], depthwise [C,1,k,k]) meets channels-last activations
// while its weight stays contiguous. The backend returns the weight gradient in the
// activations' format; autograd's layout contract (obeys_layout_contract) ignores
// size-1 dims and keeps it; DDP's Reducer::check_grad_layout compares every stride
// with the bucket view and warns. Memory is identical: a warning and a copy per step.
#include "passes/rules/mixed_memory_format_size1_kernels.h"

#include <algorithm>
#include <map>

#include "fixers/layout.h"
#include "passes/rules/common.h"

namespace ddplint::passes::rules {

void check_mixed_memory_format_size1_kernels(const RuleContext& ctx) {
  const Participation& part = ctx.participation;
  // A model converted to channels-last before its wrap has channels-last weights too.
  if (ctx.channels_last_models && ctx.channels_last_models->count(part.root)) return;
  std::map<std::pair<int, uint32_t>, std::vector<const Participation::LayoutMix*>> by_conversion;
  for (const auto& m : part.layout_mixes) {
    if (m.converted_in != part.root) continue;  // reported in the class whose code converts
    by_conversion[{m.conversion.file, m.conversion.begin}].push_back(&m);
  }
  for (const auto& [key, mixes] : by_conversion) {
    Diagnostic d;
    d.code = "DDP303";
    d.span = mixes.front()->conversion;
    d.scope = part.root->name + "." + part.method;
    std::string hit;
    for (const auto* m : mixes) {
      if (std::find(d.symbols.begin(), d.symbols.end(), m->module_path) != d.symbols.end()) continue;
      d.symbols.push_back(m->module_path);
      hit += (hit.empty() ? "" : ", ") + attr_ref(m->module_path) + " (" + m->weight->size1_kernel + ")";
    }
    d.message = fmt::format(
        "channels-last activations made here reach {}, whose weight stays contiguous: the weight gradient comes "
        "back channels-last, autograd keeps it (its layout contract ignores size-1 dims) and DDP, comparing every "
        "stride with its bucket view, warns \"Grad strides do not match bucket view strides\" (same memory: a "
        "warning and a copy per step); convert the model with `.to(memory_format=torch.channels_last)` before "
        "wrapping it, or keep these activations contiguous",
        hit);
    for (const auto* m : mixes) {
      if (d.notes.size() >= 3) break;
      std::string detail = m->weight->layout_detail.empty() ? "" : "; " + m->weight->layout_detail;
      d.notes.push_back({m->use, fmt::format("{} has size-1 dims ({}{}) and receives them here",
                                             attr_ref(m->module_path), m->weight->size1_kernel, detail)});
    }
    const ir::Span& at = d.span;
    if (auto e = fixers::drop_conversion(ctx.program, at.file, at)) {
      d.fix = Fix{"Keep the activations contiguous", Applicability::Unsafe, {*e}};
    }
    ctx.sink.report(std::move(d));
  }
}

}  // namespace ddplint::passes::rules

// DDP301 layout-changed-after-wrap: the model's memory format changes after it was
// wrapped in DistributedDataParallel. The reducer made its bucket views at
// construction (Reducer::initialize_bucket_views) with the parameters' strides then;
// afterwards every convolution weight has other strides, so each step its gradient is
// copied through a strided view, and DDP warns "Grad strides do not match bucket view
// strides".
#include "passes/rules/layout_changed_after_wrap.h"

#include "fixers/layout.h"
#include "passes/rules/common.h"

namespace ddplint::passes::rules {

void check_layout_changed_after_wrap(const ProgramRuleContext& ctx) {
  for (const LayoutConversion& c : ctx.conversions) {
    if (!c.after_wrap || c.span.file < 0 || !ctx.program.files[static_cast<size_t>(c.span.file)].reported) continue;
    // preserve_format / contiguous_format on a never-converted model change nothing.
    if (c.memory_format.find("channels_last") == std::string::npos) continue;
    // Module.to applies a memory format to 4-D/5-D parameters only: a model without
    // convolutions keeps its strides.
    if (c.model) {
      const Participation* part = ctx.of(c.model);
      bool convs = false;
      if (part) {
        for (const ParamInfo* p : part->tree->params()) {
          const ModuleNode* owner = part->tree->find(p->path.substr(0, p->path.rfind('.')));
          convs = convs || (owner && owner->class_name.find(".Conv") != std::string::npos && p->name == "weight");
        }
        if (!convs) continue;
      }
    }
    Diagnostic d;
    d.code = "DDP301";
    d.span = c.span;
    d.scope = c.scope;
    std::string model = c.model ? "`" + c.model->name + "`" : "the model";
    d.symbols = {c.model ? c.model->name : "model"};
    d.message = fmt::format(
        "{} changes memory format (`{}`) after it was wrapped in DistributedDataParallel: DDP's gradient buckets "
        "keep the old strides, so affected weights' gradients are copied through strided views (every step with "
        "find_unused_parameters=True, until DDP rebuilds its buckets otherwise) and DDP warns \"Grad strides do "
        "not match bucket view strides\"; convert before wrapping",
        model, c.memory_format);
    d.notes.push_back({c.after_wrap->span(), "wrapped here: DDP's bucket views take the parameters' strides now"});
    if (c.after_wrap->span().file == c.span.file) {
      if (auto edits = fixers::move_conversion_before_wrap(ctx.program, c.span.file, c.span, c.after_wrap->span())) {
        d.fix = Fix{"Convert the model before wrapping it", Applicability::Safe, *edits};
      }
    }
    ctx.sink.report(std::move(d));
  }
}

}  // namespace ddplint::passes::rules

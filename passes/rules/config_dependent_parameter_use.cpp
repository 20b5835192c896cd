// DDP103 config-dependent-parameter-use: parameters used only when a configuration
// constant holds (`if self.use_mask:`), while __init__ builds the module either way.
// Fixed for one model instance, so not an iteration-to-iteration risk, but a model
// configured the other way holds parameters that never get a gradient.
#include "passes/rules/config_dependent_parameter_use.h"

#include <set>

#include "passes/rules/common.h"

namespace ddplint::passes::rules {
namespace {


}  // namespace

void check_config_dependent_parameter_use(const RuleContext& ctx) {
  const Participation& part = ctx.participation;
  auto only_config = [&](const Guard& guard) {
    for (const Lit& l : guard.literals()) {
      if (part.atoms[static_cast<size_t>(l.atom)].provenance != Provenance::Config) return false;
    }
    return true;
  };
  for (const UseGroup& g : group_by_use(part, only_config)) {
    std::string cond_text = describe_guard(part, g.guard, [](const Atom&) { return true; });
    std::vector<Note> notes;
    std::set<int> noted;
    for (const Lit& l : g.guard.literals()) {
      const Atom& a = part.atoms[static_cast<size_t>(l.atom)];
      if (!noted.insert(l.atom).second) continue;
      auto global = part.globals ? part.globals->find(a.global) : decltype(part.globals->end()){};
      if (!a.global.empty() && part.globals && global != part.globals->end()) {
        notes.push_back({global->second, fmt::format("`{}` is a module-level constant, set here", a.text)});
      } else if (a.flag && a.flag->def_span.valid()) {
        notes.push_back({a.flag->def_span, fmt::format("`self.{}` is set here and never changed after __init__: "
                                                       "a configuration constant", a.flag->name)});
      } else {
        notes.push_back({a.span, "a condition on configuration constants only"});
      }
    }
    Diagnostic d;
    d.code = "DDP103";
    d.span = g.dep.use;
    d.symbols = {g.dep.via};
    d.scope = scope_of(part, g.dep.scope);
    d.message = fmt::format(
        "{} ({}) gets a gradient only when {}; __init__ builds it either way, so with the other setting its "
        "parameters never get a gradient and DDP fails with {}",
        attr_ref(g.dep.via), describe_count(g.facts), cond_text, kReductionError);
    d.notes = std::move(notes);
    d.notes.push_back({{}, "help: build the module only when the configuration uses it "
                           "(`Head(...) if flag else None`), or freeze it when unused"});
    ctx.sink.report(std::move(d));
  }
}

}  // namespace ddplint::passes::rules

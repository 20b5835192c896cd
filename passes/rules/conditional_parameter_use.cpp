// DDP101 conditional-parameter-use: trainable parameters that get a gradient only on
// some iteration-varying paths of a training step. DDP's reducer expects every
// parameter in every iteration unless find_unused_parameters=True, and fails with
// "Expected to have finished reduction in the prior iteration" in the first
// iteration after one was skipped.
#include "passes/rules/conditional_parameter_use.h"

#include <set>

#include "fixers/zero_term.h"
#include "passes/rules/common.h"

namespace ddplint::passes::rules {
namespace {


std::string why(const Atom& a, bool positive) {
  switch (a.kind) {
    case Atom::Kind::ZeroTrip:
      return fmt::format("`{}` is empty when its bound is 0 or less, and the bound is only known at run time", a.text);
    case Atom::Kind::Select:
      return fmt::format("`{}` picks one element at run time; the others get no gradient in that step", a.text);
    case Atom::Kind::Branch:
      break;
  }
  if (a.skips_rest && positive) {
    return fmt::format("when `{}` holds the rest of the loop body is skipped; it changes from iteration to iteration", a.text);
  }
  return fmt::format("{} decides it, and can change from one iteration to the next (and between ranks)",
                     describe_literal(a, positive));
}

/// "trunk.1.fc" -> "self.trunk[1].fc"
std::string python_path(const std::string& path) {
  std::string r = attr_ref(path);
  return r.substr(1, r.size() - 2);
}

/// Unsafe: the skipping path touches the parameters with a zero-valued term. Only for
/// one iteration-varying if-condition whose skipping path is explicit; otherwise the
/// help note stays the advice.
std::optional<Fix> model_side_fix(const RuleContext& ctx, const UseGroup& g, const std::string& term) {
  const Participation& part = ctx.participation;
  if (g.guard.terms().size() != 1 || g.guard.terms()[0].size() != 1) return std::nullopt;
  const Lit& l = g.guard.terms()[0][0];
  const Atom& a = part.atoms[static_cast<size_t>(l.atom)];
  if (a.kind != Atom::Kind::Branch || !a.node || !a.node->is(ir::kind::If) || !ctx.varies(a) || !a.then_known) {
    return std::nullopt;
  }
  // The parameters are used on the then-branch when the literal agrees with it.
  bool used_in_then = l.positive == a.then_when;
  auto car = part.carriers.find(a.node);
  std::string var;
  const std::string& param = g.facts.front()->param->path;
  if (car != part.carriers.end()) {
    const auto& side = used_in_then ? car->second.then_only : car->second.else_only;
    auto it = side.find(param);
    if (it != side.end()) var = it->second;
  }
  const ir::Span& at = a.node->span();
  if (at.file < 0) return std::nullopt;
  // Parameters touched only through a `.parameters()` sum (an earlier zero term, with
  // parameters nothing else uses): another term would not settle it.
  const ir::Span& use = g.dep.use;
  if (use.file >= 0) {
    const std::string& text = ctx.program.files[static_cast<size_t>(use.file)].text;
    if (text.compare(use.begin, use.end - use.begin, "") != 0 &&
        std::string_view(text).substr(use.begin, use.end - use.begin).find(".parameters()") != std::string_view::npos) {
      return std::nullopt;
    }
  }
  auto e = fixers::zero_term_edit(ctx.program, at.file, at, /*skip_is_then=*/!used_in_then, var, term);
  if (!e) return std::nullopt;
  return Fix{"Touch the skipped parameters with a zero-valued term", Applicability::Unsafe, {*e}};
}

}  // namespace

void check_conditional_parameter_use(const RuleContext& ctx) {
  const Participation& part = ctx.participation;
  auto varying = [&](const Atom& a) { return ctx.varies(a); };
  auto any_varying = [&](const Guard& guard) {
    for (const Lit& l : guard.literals()) {
      if (varying(part.atoms[static_cast<size_t>(l.atom)])) return true;
    }
    return false;
  };
  for (const UseGroup& g : group_by_use(part, any_varying)) {
    std::vector<Note> notes;
    std::set<int> noted;
    for (const Lit& l : g.guard.literals()) {
      const Atom& a = part.atoms[static_cast<size_t>(l.atom)];
      if (!varying(a) || !noted.insert(l.atom).second) continue;
      notes.push_back({a.span, why(a, l.positive)});
    }
    std::string cond_text =
        describe_guard(part, g.guard, varying);
    const ModuleNode* via = part.tree->find(g.dep.via);
    bool elements = via && via->kind == ModuleNode::Kind::Container;
    std::string subject = elements ? "each element of " + attr_ref(g.dep.via) : attr_ref(g.dep.via);
    Diagnostic d;
    d.code = "DDP101";
    d.span = g.dep.use;
    d.symbols = {g.dep.via};
    d.scope = scope_of(part, g.dep.scope);
    d.message = fmt::format(
        "{} ({}) gets a gradient only when {}; in an iteration where it does not, DDP fails with {} unless "
        "`find_unused_parameters=True`",
        subject, describe_count(g.facts), cond_text, kReductionError);
    d.notes = std::move(notes);
    std::string dotted = python_path(g.dep.via);  // for elements: the whole container
    std::string term = part.tree->find(g.dep.via) ? fmt::format("sum(p.sum() for p in {}.parameters())", dotted)
                                                  : fmt::format("{}.sum()", dotted);
    d.notes.push_back({{}, fmt::format("help: pass `find_unused_parameters=True` to DistributedDataParallel, or make the "
                                       "skipping path add a zero-valued term of these parameters (`x = x + 0.0 * {}`)",
                                       term)});
    d.fix = model_side_fix(ctx, g, term);
    ctx.sink.report(std::move(d));
  }
}

}  // namespace ddplint::passes::rules

// Gradient participation: for every parameter of a root class, whether it gets a
// gradient on every path of a training step (ALWAYS), only on some (CONDITIONAL,
// with the guard), or never (NEVER, with the reason and the class to blame).
//
// An abstract interpretation of `forward` over the IR. Each value carries the set
// of parameters that reach it through differentiable data flow, each with a guard
// (the conditions under which it does). At a prim::If join a parameter that comes
// from one branch only gets that branch's condition; from both, the guards are
// OR-ed. detach/.data/.item(), comparisons, integer ops and no_grad regions drop
// parameters. Calls into submodules and helper methods are interpreted in place
// (context-sensitive: the callee sees the caller's arguments), bounded in depth
// and count. A use counts when it reaches forward's return or is stored on the
// module (`self.aux_loss = ...`).
#pragma once

#include <map>
#include <set>
#include <tuple>
#include <memory>
#include <string>
#include <vector>

#include "lint/ir/ir.h"
#include "passes/conditions.h"
#include "passes/module_model.h"

namespace ddplint::passes {

/// How one parameter reaches a value.
struct Dep {
  Guard guard;
  ir::Span use;       ///< where it entered the data flow, in the code of the class that uses it
  std::string via;    ///< the module path used there ("depth_embed.patch_embed")
  std::string scope;  ///< "Class.method" of the use
};

struct NeverReason {
  enum class Kind { NotReferenced, Discarded, Detached, NoGrad, NonDifferentiable, EvalOnly, Unreachable };
  Kind kind = Kind::NotReferenced;
  ir::Span span;           ///< where it was dropped (the detach, the no_grad, the discarded call, the eval-only branch)
  std::string detail;      ///< e.g. the op name or the condition text
  const ir::ClassInfo* blamed = nullptr;  ///< the class whose code drops it
  std::string scope;
};

struct ParamFact {
  enum class State { Always, Conditional, Never };
  const ParamInfo* param = nullptr;
  State state = State::Never;
  Dep dep;             ///< for Always/Conditional
  NeverReason never;   ///< for Never
};

struct Participation {
  const ir::ClassInfo* root = nullptr;
  std::unique_ptr<ModuleTree> tree;
  std::vector<Atom> atoms;
  std::vector<ParamFact> facts;  ///< one per parameter of the tree, in tree order
  bool analyzed = false;         ///< false: no forward, or forward always raises
  bool truncated = false;        ///< the interpretation hit its budget; findings are partial
  bool calls_unknown_callable = false;  ///< forward calls an attribute ddplint cannot type
  std::string method;            ///< the method analysed as the training step ("forward")
  const std::map<std::string, ir::Span>* globals = nullptr;  ///< the program's module-level names
  /// For each prim::If of the root's code: which variable carries each parameter out
  /// of only one branch (then / else) — where a model-side fix would add a term.
  struct Carriers {
    std::map<std::string, std::string> then_only, else_only;  ///< param path -> variable
  };
  std::map<const ir::Node*, Carriers> carriers;
  /// A convolution whose weight has size-1 dims meets channels-last activations made
  /// by a memory-format conversion in the model's own code (DDP303's facts).
  struct LayoutMix {
    const ParamInfo* weight = nullptr;
    std::string module_path;  ///< the convolution
    ir::Span conversion;      ///< where the activations became channels-last
    std::string conversion_text;
    const ir::ClassInfo* converted_in = nullptr;  ///< the class whose code converts
    ir::Span use;
  };
  std::vector<LayoutMix> layout_mixes;
  /// Other classes whose code ran inside this one's forward (as submodules).
  std::set<const ir::ClassInfo*> entered_classes;

  const ParamFact* fact(const std::string& param_path) const;
  /// The part of a fact's guard that the root class's own code decides, without
  /// conditions that are satisfied whenever the parameter exists (`self.x is not
  /// None` guarding self.x, the flag __init__ built it under).
  Guard root_guard(const ParamFact& f) const { return guard_for(f, true); }
  /// The whole guard, whoever's code holds the conditions, with the same filtering.
  Guard model_guard(const ParamFact& f) const { return guard_for(f, false); }
  Guard guard_for(const ParamFact& f, bool only_root) const;
};

Participation analyze_participation(const ir::Program& program, const ir::ClassInfo& root);

/// What the classes that contain a class tell about its conditions. A class used as
/// a submodule is analysed on its own with every forward argument unknown; where it
/// is used, an argument may always be None (a `kv_cache` only inference passes) and
/// the condition never varies. A condition counts as iteration-varying when it
/// varies in some context the class is used in, or when the class is used nowhere.
class ContextIndex {
 public:
  /// `p` must outlive the index.
  void add(const Participation& p);
  /// A class wrapped by DDP itself: a model of its own, its analysis a real context.
  void add_root(const ir::ClassInfo* c);
  bool varies(const Atom& a) const;

 private:
  static std::tuple<const ir::ClassInfo*, int, uint32_t, std::string> key(const Atom& a) {
    return {a.owner, a.span.file, a.span.begin, a.text};
  }
  std::vector<const Participation*> parts_;
  std::set<const ir::ClassInfo*> roots_;
  mutable bool built_ = false;
  mutable std::set<const ir::ClassInfo*> used_as_child_;
  void build() const;
  mutable std::set<std::tuple<const ir::ClassInfo*, int, uint32_t, std::string>> varying_;
};

/// `cls` or the nearest project base class that defines `method`.
const ir::Method* find_method(const ir::Program& program, const ir::ClassInfo& cls, const std::string& method,
                              const ir::ClassInfo** owner = nullptr);
/// The attribute fact `name` of `cls` or of its project bases.
const ir::AttrFact* find_attr(const ir::Program& program, const ir::ClassInfo& cls, const std::string& name);

}  // namespace ddplint::passes

// Condition atoms and guards, and how a condition is classified.
//
// A guard is a condition over atoms, in disjunctive normal form: "this parameter
// reaches the output only when `n_i > 0` holds". An atom is one condition met while
// interpreting a graph: an If's condition, a loop that may run zero times, or a
// module selected by a runtime key (`self.heads[task]`).
//
// Condition classes: a condition on configuration constants only (attributes set in
// __init__ and never reassigned, `is not None` of an optional submodule, literals,
// module-level constants) is fixed for a model instance; anything that depends on
// forward arguments, tensor values, randomness or mutable state is iteration-varying.
// `self.training` is True under DDP training and folds away.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "lint/ir/ir.h"

namespace ddplint::passes {

enum class Provenance { Constant, Config, Varying };

/// The more varying of two provenances.
inline Provenance join(Provenance a, Provenance b) { return a > b ? a : b; }

struct Atom {
  enum class Kind {
    Branch,    ///< prim::If condition
    ZeroTrip,  ///< a loop that may run zero times (`range(n)` with runtime n, `while`)
    Select,    ///< one element of a ModuleList/ModuleDict picked by a runtime key
  };
  Kind kind = Kind::Branch;
  Provenance provenance = Provenance::Varying;
  ir::Span span;
  std::string text;                      ///< source text of the condition
  const ir::ClassInfo* owner = nullptr;  ///< the class whose code holds it
  std::string scope;                     ///< "Class.method"
  bool skips_rest = false;               ///< its then-branch ends in continue/return
  /// When the atom is `self.X is not None` (or `if self.X:`): X's path, and the
  /// polarity under which X is not None.
  std::string nonnull_path;
  bool nonnull_when = true;
  /// When the atom reads one configuration attribute: the attribute, and the text
  /// __init__ assigned to it (`self.use_mask = use_mask` -> "use_mask").
  const ir::AttrFact* flag = nullptr;
  std::string flag_init_text;
  bool flag_negated = false;
  /// When the atom reads a module-level constant of the project: its qualified name.
  std::string global;
  /// Loops whose iteration the condition depends on (it can differ per iteration).
  std::set<int> iter_loops;
  const ir::Node* node = nullptr;  ///< the prim::If / prim::Loop / __getitem__ it comes from
  /// For a Branch atom: the value of this test under which the If's then-branch runs
  /// (`if not x:` runs it when x is false), when the condition pins it (no `or`).
  bool then_known = false;
  bool then_when = true;
};

struct Lit {
  int atom = -1;
  bool positive = true;
  bool operator<(const Lit& o) const { return atom != o.atom ? atom < o.atom : positive < o.positive; }
  bool operator==(const Lit& o) const { return atom == o.atom && positive == o.positive; }
};

/// A conjunction of literals, sorted and unique.
using Conj = std::vector<Lit>;

/// A condition in disjunctive normal form: the parameter reaches the value when any
/// of the terms holds. Kept small: past a few terms it widens to what all terms
/// share, which errs toward "always" (a missed finding, never a false one).
class Guard {
 public:
  Guard() = default;  ///< always
  explicit Guard(Lit l) : always_(false), terms_{Conj{l}} {}
  static Guard never() {
    Guard g;
    g.always_ = false;
    return g;
  }
  bool always() const { return always_; }
  /// No path at all (contradictory conditions: `c and not c`).
  bool is_never() const { return !always_ && terms_.empty(); }
  const std::vector<Conj>& terms() const { return always_ ? always_terms() : terms_; }
  /// Every literal, once.
  std::vector<Lit> literals() const;
  /// Sets the literals `keep` rejects to true (they stop constraining).
  template <typename Pred>
  Guard filtered(Pred keep) const {
    if (always_) return *this;
    Guard g = never();
    for (const Conj& c : terms_) {
      Conj k;
      for (const Lit& l : c) {
        if (keep(l)) k.push_back(l);
      }
      g.terms_.push_back(std::move(k));
    }
    g.simplify();
    return g;
  }

  friend Guard guard_and(const Guard& a, const Guard& b);
  friend Guard guard_or(const Guard& a, const Guard& b);
  bool operator==(const Guard& o) const { return always_ == o.always_ && terms_ == o.terms_; }

 private:
  /// The one term without literals: "always" as a list of terms.
  static const std::vector<Conj>& always_terms();
  void simplify();
  // "Always" (the common case: most parameters are used unconditionally) is a flag,
  // so that it costs no allocation; terms_ is then empty.
  bool always_ = true;
  std::vector<Conj> terms_;
};

Guard guard_and(const Guard& a, const Guard& b);
Guard guard_or(const Guard& a, const Guard& b);
Guard guard_with(const Guard& g, Lit l);

/// How a literal reads in a message: "`n_i > 0`", "not `txt is None`".
std::string describe_literal(const Atom& a, bool positive);

}  // namespace ddplint::passes

#include "passes/conditions.h"

#include <algorithm>

#include <fmt/format.h>

namespace ddplint::passes {

Guard guard_and(const Guard& a, const Guard& b) {
  Guard out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Guard guard_or(const Guard& a, const Guard& b) {
  Guard out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Guard guard_with(const Guard& g, Lit l) { return guard_and(g, Guard{l}); }

std::string describe_literal(const Atom& a, bool positive) {
  switch (a.kind) {
    case Atom::Kind::ZeroTrip:
      return fmt::format("`{}` runs at least once", a.text);
    case Atom::Kind::Select:
      return fmt::format("`{}` selects it", a.text);
    case Atom::Kind::Branch:
      break;
  }
  return positive ? fmt::format("`{}`", a.text) : fmt::format("not `{}`", a.text);
}

}  // namespace ddplint::passes

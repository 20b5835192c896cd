#include "passes/conditions.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace ddplint::passes {

namespace {

constexpr size_t kMaxTerms = 8;

bool subset(const Conj& a, const Conj& b) { return std::includes(b.begin(), b.end(), a.begin(), a.end()); }

}  // namespace

const std::vector<Conj>& Guard::always_terms() {
  static const std::vector<Conj> terms{Conj{}};
  return terms;
}

std::vector<Lit> Guard::literals() const {
  std::vector<Lit> out;
  for (const Conj& c : terms_) out.insert(out.end(), c.begin(), c.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void Guard::simplify() {
  for (Conj& c : terms_) {
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
  }
  for (bool changed = true; changed;) {
    changed = false;
    std::sort(terms_.begin(), terms_.end());
    terms_.erase(std::unique(terms_.begin(), terms_.end()), terms_.end());
    // Absorption: a term implied by a weaker one adds nothing.
    for (size_t i = 0; i < terms_.size() && !changed; ++i) {
      for (size_t j = 0; j < terms_.size() && !changed; ++j) {
        if (i != j && subset(terms_[i], terms_[j])) {
          terms_.erase(terms_.begin() + static_cast<long>(j));
          changed = true;
        }
      }
    }
    // Self-subsuming resolution: (A and x) or (B and not x) with B within A makes
    // the first term A: (C and x) or (C and not x) is C, (g and n) or (not n) is g or not n.
    for (size_t i = 0; i < terms_.size() && !changed; ++i) {
      for (size_t j = 0; j < terms_.size() && !changed; ++j) {
        if (i == j) continue;
        Conj& a = terms_[i];
        const Conj& b = terms_[j];
        for (const Lit& l : b) {
          Lit neg{l.atom, !l.positive};
          auto pos = std::lower_bound(a.begin(), a.end(), neg);
          if (pos == a.end() || !(*pos == neg)) continue;
          Conj rest_b;
          for (const Lit& x : b) {
            if (!(x == l)) rest_b.push_back(x);
          }
          Conj rest_a = a;
          rest_a.erase(rest_a.begin() + (pos - a.begin()));
          if (std::includes(rest_a.begin(), rest_a.end(), rest_b.begin(), rest_b.end())) {
            a = rest_a;
            changed = true;
            break;
          }
        }
      }
    }
    // Resolution: (C and x) or (C and not x) is C.
    for (size_t i = 0; i < terms_.size() && !changed; ++i) {
      for (size_t j = i + 1; j < terms_.size() && !changed; ++j) {
        const Conj& a = terms_[i];
        const Conj& b = terms_[j];
        if (a.size() != b.size()) continue;
        Conj common;
        std::optional<int> pivot;
        bool ok = true;
        for (const Lit& l : a) {
          if (std::binary_search(b.begin(), b.end(), l)) {
            common.push_back(l);
          } else if (std::binary_search(b.begin(), b.end(), Lit{l.atom, !l.positive}) && !pivot) {
            pivot = l.atom;
          } else {
            ok = false;
          }
        }
        if (ok && pivot) {
          terms_.erase(terms_.begin() + static_cast<long>(j));
          terms_[i] = common;
          changed = true;
        }
      }
    }
  }
  if (terms_.empty()) return;  // never
  if (terms_.size() > kMaxTerms) {
    Conj shared = terms_[0];
    for (const Conj& c : terms_) {
      Conj k;
      std::set_intersection(shared.begin(), shared.end(), c.begin(), c.end(), std::back_inserter(k));
      shared = k;
    }
    terms_ = {shared};
  }
  if (terms_.size() == 1 && terms_[0].empty()) {
    terms_.clear();
    always_ = true;
  }
}

Guard guard_and(const Guard& a, const Guard& b) {
  // Guards are kept simplified: "always" and "never" decide at once.
  if (a.always_ || b.is_never()) return b;
  if (b.always_ || a.is_never()) return a;
  Guard g = Guard::never();
  for (const Conj& x : a.terms_) {
    for (const Conj& y : b.terms_) {
      Conj c;
      std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(c));
      bool contradiction = false;
      for (size_t i = 0; i + 1 < c.size(); ++i) {
        if (c[i].atom == c[i + 1].atom) contradiction = true;
      }
      if (!contradiction) g.terms_.push_back(std::move(c));
    }
  }
  g.simplify();
  return g;
}

Guard guard_or(const Guard& a, const Guard& b) {
  if (a.always_ || b.is_never()) return a;
  if (b.always_ || a.is_never()) return b;
  Guard g = Guard::never();
  g.terms_ = a.terms_;
  g.terms_.insert(g.terms_.end(), b.terms_.begin(), b.terms_.end());
  g.simplify();
  return g;
}

Guard guard_with(const Guard& g, Lit l) { return guard_and(g, Guard(l)); }

std::string describe_literal(const Atom& a, bool positive) {
  switch (a.kind) {
    case Atom::Kind::ZeroTrip:
      return fmt::format("the loop over `{}` runs at least once", a.text);
    case Atom::Kind::Select:
      return fmt::format("`{}` selects it", a.text);
    case Atom::Kind::Branch:
      break;
  }
  return positive ? fmt::format("`{}`", a.text) : fmt::format("not `{}`", a.text);
}

}  // namespace ddplint::passes

// Helpers the DDP1xx rules share for grouping facts and wording messages.
#pragma once

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "passes/participation.h"

namespace ddplint::passes::rules {

inline constexpr const char* kReductionError = "\"Expected to have finished reduction in the prior iteration\"";

/// "depth_embed.patch_embed" -> "`self.depth_embed.patch_embed`"; "layers.*.fc1" -> "`self.layers[*].fc1`".
inline std::string attr_ref(const std::string& path) {
  std::string out = "self";
  size_t pos = 0;
  while (pos <= path.size() && !path.empty()) {
    size_t dot = path.find('.', pos);
    std::string seg = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    bool index = seg == "*" || (!seg.empty() && std::isdigit(static_cast<unsigned char>(seg[0])));
    out += index ? "[" + seg + "]" : "." + seg;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return "`" + out + "`";
}

inline std::string count_text(size_t n, bool unknown) {
  if (n == 0 && unknown) return "parameters ddplint cannot see";
  std::string s = fmt::format("{} trainable parameter{}", n, n == 1 ? "" : "s");
  if (unknown) s += " and parameters ddplint cannot see";
  return s;
}

/// Conditional facts of the root grouped by where they are used (one finding per use site).
struct UseGroup {
  Dep dep;
  std::vector<const ParamFact*> facts;
  Guard guard;  ///< root_guard of the first fact
};

template <typename Keep>
std::vector<UseGroup> group_by_use(const Participation& part, Keep keep) {
  std::map<std::tuple<int, uint32_t, std::string>, UseGroup> groups;
  for (const auto& f : part.facts) {
    if (f.state != ParamFact::State::Conditional || !f.param->trainable) continue;
    Guard g = part.root_guard(f);
    if (g.always() || !keep(g)) continue;
    auto key = std::make_tuple(f.dep.use.file, f.dep.use.begin, f.dep.via);
    auto& grp = groups[key];
    if (grp.facts.empty()) {
      grp.dep = f.dep;
      grp.guard = g;
    }
    grp.facts.push_back(&f);
  }
  std::vector<UseGroup> out;
  for (auto& [k, g] : groups) out.push_back(std::move(g));
  return out;
}

inline std::string describe_count(const std::vector<const ParamFact*>& facts) {
  size_t known = 0;
  bool unknown = false;
  for (const auto* f : facts) {
    if (f->param->known) ++known;
    else unknown = true;
  }
  return count_text(known, unknown);
}

/// "`a` and not `b`", or "(`a`) or (`c`)" for several terms; only literals `pick` keeps.
template <typename Pick>
std::string describe_guard(const Participation& part, const Guard& g, Pick pick) {
  std::vector<std::string> terms;
  for (const Conj& c : g.terms()) {
    std::string t;
    for (const Lit& l : c) {
      const Atom& a = part.atoms[static_cast<size_t>(l.atom)];
      if (!pick(a)) continue;
      t += (t.empty() ? "" : " and ") + describe_literal(a, l.positive);
    }
    if (!t.empty()) terms.push_back(t);
  }
  if (terms.size() == 1) return terms[0];
  std::string out;
  for (const auto& t : terms) out += (out.empty() ? "(" : " or (") + t + ")";
  return out;
}

inline std::string scope_of(const Participation& part, const std::string& scope) {
  return scope.empty() ? part.root->name + "." + part.method : scope;
}

}  // namespace ddplint::passes::rules

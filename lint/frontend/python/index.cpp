#include "lint/frontend/python/index.h"

#include <cctype>

namespace ddplint::frontend::python {
namespace {

const std::set<std::string>& builtins() {
  static const std::set<std::string> k = {
      "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "getattr", "hasattr",
      "int", "isinstance", "iter", "len", "list", "map", "max", "min", "next", "print", "range",
      "reversed", "round", "set", "setattr", "sorted", "str", "sum", "super", "tuple", "type", "zip",
      "ValueError", "RuntimeError", "TypeError", "NotImplementedError", "AssertionError", "KeyError"};
  return k;
}

std::string head_of(const std::string& dotted, std::string& rest) {
  auto dot = dotted.find('.');
  if (dot == std::string::npos) {
    rest.clear();
    return dotted;
  }
  rest = dotted.substr(dot);
  return dotted.substr(0, dot);
}

}  // namespace

bool is_torch_nn_module_name(const std::string& q) {
  if (q.rfind("torch.nn.", 0) != 0) return false;
  auto last = q.substr(q.rfind('.') + 1);
  if (last.empty() || !std::isupper(static_cast<unsigned char>(last[0]))) return false;
  return last != "Parameter" && last != "Module" && q.find(".functional.") == std::string::npos &&
         q.find(".init.") == std::string::npos && q.find(".utils.") == std::string::npos;
}

void ProjectIndex::add(Unit* u) {
  units_.push_back(u);
  by_module_.emplace(u->module_name, u);
  if (!u->import_name.empty()) by_import_.emplace(u->import_name, u);
}

std::string ProjectIndex::qualify(const Unit& u, const std::string& dotted) const {
  if (dotted.empty()) return "";
  std::string rest;
  std::string head = head_of(dotted, rest);
  if (u.classes.count(head) || u.functions.count(head) || u.globals.count(head)) {
    return u.module_name + "." + head + rest;
  }
  auto it = u.imports.find(head);
  if (it != u.imports.end()) return it->second + rest;
  if (builtins().count(head)) return "builtins." + head + rest;
  return "?" + dotted;
}

const Unit* ProjectIndex::find_unit(const std::string& module) const {
  auto exact = by_module_.find(module);
  if (exact != by_module_.end()) return exact->second;
  auto imported = by_import_.find(module);  // ambiguous between same-named files: the first
  if (imported != by_import_.end()) return imported->second;
  // `models.x` written from a folder above the package root: a unique suffix match.
  auto memo = suffix_memo_.find(module);
  if (memo != suffix_memo_.end() && memo->second.second == units_.size()) return memo->second.first;
  const Unit* suffix_match = nullptr;
  int matches = 0;
  for (const Unit* u : units_) {
    const std::string& m = u->module_name;
    if (m.size() > module.size() && m.compare(m.size() - module.size(), module.size(), module) == 0 &&
        m[m.size() - module.size() - 1] == '.') {
      suffix_match = u;
      ++matches;
    }
  }
  const Unit* result = matches == 1 ? suffix_match : nullptr;
  suffix_memo_[module] = {result, units_.size()};
  return result;
}

std::optional<Definition> ProjectIndex::find(const std::string& qualified, int which) const {
  std::string q = qualified;
  for (int hops = 0; hops < 8; ++hops) {
    auto dot = q.rfind('.');
    if (dot == std::string::npos || q[0] == '?') return std::nullopt;
    std::string module = q.substr(0, dot), member = q.substr(dot + 1);
    const Unit* u = find_unit(module);
    if (!u) return std::nullopt;
    const auto& table = which == 0 ? u->classes : which == 1 ? u->functions : u->globals;
    auto it = table.find(member);
    if (it != table.end()) return Definition{u, it->second, u->module_name + "." + member};
    auto imp = u->imports.find(member);
    if (imp == u->imports.end()) return std::nullopt;
    q = imp->second;  // a re-export: follow it
  }
  return std::nullopt;
}

std::optional<Definition> ProjectIndex::find_class(const std::string& q) const { return find(q, 0); }
std::optional<Definition> ProjectIndex::find_function(const std::string& q) const { return find(q, 1); }
std::optional<Definition> ProjectIndex::find_global(const std::string& q) const { return find(q, 2); }

}  // namespace ddplint::frontend::python

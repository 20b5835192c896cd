// The project index: every parsed file's imports and top-level definitions, and
// name resolution across files (relative and absolute imports, re-exports).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include <tree_sitter/api.h>

#include "lint/frontend/python/syntax.h"
#include "lint/ir/ir.h"

namespace ddplint::frontend::python {

/// An assignment to an attribute (`self.x = ...`, `m.flag += 1`), found by the walk
/// that checks the tree (prepare_source): later passes look these up instead of
/// walking whole files again.
struct AttrAssignment {
  SyntaxNode node{};           ///< the assignment or augmented_assignment; its left side is an attribute
  bool in_method = false;  ///< inside a def that sits in a class body (or nested in one)
  bool in_init = false;    ///< the innermost def around it is named __init__
};

struct Unit {
  int file = -1;
  std::shared_ptr<const SyntaxTree> tree;
  std::string module_name;   ///< unique in the run; names its classes ("pkg.blocks")
  std::string import_name;   ///< when module_name had to be made unique: the name imports use
  bool is_package = false;  ///< an __init__.py
  std::string root_dir;     ///< the folder imports start from (first one up that is not a package)
  std::map<std::string, std::string> imports;  ///< local name -> qualified name
  std::map<std::string, SyntaxNode> classes, functions;
  std::map<std::string, SyntaxNode> globals;  ///< module-level `NAME = expr`: the expr
  std::vector<AttrAssignment> attr_assignments;  ///< in document order
};

struct Definition {
  const Unit* unit = nullptr;
  SyntaxNode node{};
  std::string qualified;
};

class ProjectIndex {
 public:
  explicit ProjectIndex(const ir::Program& program) : program_(program) {}
  void add(Unit* u);

  /// Qualifies a dotted name as written in `u` ("nn.Linear" -> "torch.nn.Linear",
  /// "GatedFusion" -> "pkg.blocks.GatedFusion"). Unknown heads keep their text
  /// behind a "?" ("?foo.bar").
  std::string qualify(const Unit& u, const std::string& dotted) const;
  /// Follows re-exports (`from .blocks import X` in a package __init__) and suffix
  /// matches (`models.x.Y` written from a folder above) to a definition.
  std::optional<Definition> find_class(const std::string& qualified) const;
  std::optional<Definition> find_function(const std::string& qualified) const;
  /// A module-level constant (`EPS = 1e-5`) as an expression node.
  std::optional<Definition> find_global(const std::string& qualified) const;

  const std::vector<Unit*>& units() const { return units_; }
  const ir::Program& program() const { return program_; }

 private:
  std::optional<Definition> find(const std::string& qualified, int which) const;
  const Unit* find_unit(const std::string& module) const;

  const ir::Program& program_;
  std::vector<Unit*> units_;
  std::unordered_map<std::string, const Unit*> by_module_, by_import_;
  /// module -> (suffix match, number of units when computed)
  mutable std::unordered_map<std::string, std::pair<const Unit*, size_t>> suffix_memo_;
};

bool is_torch_nn_module_name(const std::string& qualified);

}  // namespace ddplint::frontend::python

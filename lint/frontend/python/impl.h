// Internal state of the Python frontend, shared by its translation units.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "lint/frontend/python/frontend.h"
#include "lint/frontend/python/index.h"
#include "lint/frontend/python/path_memo.h"
#include "lint/frontend/python/syntax.h"

namespace ddplint::frontend::python {

/// A file read and parsed, not yet part of the program (thread-safe to make).
struct Prepared {
  std::string path;
  bool reported = true;
  bool has_file = false;  ///< `file` holds the text (it passed the byte checks)
  ir::SourceFile file;
  std::shared_ptr<const SyntaxTree> tree;  ///< null when the file cannot be linted
  std::string error;       ///< DDP901 message
  std::optional<ir::Span> error_span;
  bool is_package = false;
  std::string root_dir;
  std::vector<AttrAssignment> attr_assignments;
};

Prepared prepare_source(const std::string& path, std::string text, bool reported, PathMemo& paths);

struct Frontend::Impl {
  Impl(ir::Program& p, DiagnosticSink& s);
  ~Impl();

  ir::Program& program;
  DiagnosticSink& sink;
  std::vector<std::unique_ptr<Unit>> units;
  ProjectIndex index;
  std::map<std::string, ir::ClassInfo*> classes;  ///< nn.Module subclasses by qualified name
  std::map<std::string, int> module_memo;         ///< 0 computing, 1 yes, 2 no
  std::map<std::string, std::optional<ir::ModuleExpr>> returns_module_memo;
  std::set<std::string> returns_module_busy;
  std::vector<std::string> search_roots;  ///< configuration `src`
  PathMemo paths;                         ///< this run's file-system answers
  bool lower_init = true;                 ///< lower __init__ too (for `ddplint lower`)

  bool parse(const std::string& path, std::string text, bool reported);
  bool commit(Prepared&& p);
  void index_unit(Unit& u);
  bool is_module_class(const std::string& qualified);

  /// The attribute `name` of class `c` or of its project base classes.
  const ir::AttrFact* find_attr(const ir::ClassInfo* c, const std::string& name, int depth = 0) const;
  const ir::ClassInfo* find_method_owner(const ir::ClassInfo* c, const std::string& name, int depth = 0) const;
  /// The method definition node of `name` in class `c` or its project bases.
  std::optional<std::pair<const Unit*, SyntaxNode>> method_node(const std::string& cls, const std::string& name,
                                                            int depth = 0) const;
  /// A class definition's methods with their names, in order (method_node's memo).
  /// Keyed by the definition's tree and start byte.
  mutable std::map<std::pair<const SyntaxTree*, uint32_t>, std::vector<std::pair<std::string, SyntaxNode>>> methods_of;

  // module_facts.cpp
  void collect_facts(ir::ClassInfo& info, const Unit& u, SyntaxNode class_node);
  std::optional<ir::ModuleExpr> function_returns_module(const std::string& qualified);
  /// "torch.nn.Sequential" when the project class derives from a torch.nn container.
  std::string container_base(const std::string& qualified, int depth = 0);

  // lower.cpp
  void lower_class_methods(ir::ClassInfo& info, const Unit& u, SyntaxNode class_node);
  void lower_function(const Unit& u, const std::string& name, SyntaxNode fn);
  void lower_module_body(const Unit& u);

  void report_syntax(const Unit& u, const TooDeep& e);
  void mark_external_assignments();
  bool mentions_ddp(const Unit& u, SyntaxNode n) const;
  void load_imported_files();
};

/// `def` nodes of a class body, unwrapping decorators.
std::vector<SyntaxNode> class_methods(SyntaxNode class_node);
SyntaxNode unwrap_decorated(SyntaxNode n);

}  // namespace ddplint::frontend::python

// Reading and parsing files, indexing them, and driving the two lowering phases.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <sstream>

#include <fmt/format.h>

#include "lint/frontend/python/impl.h"
#include "lint/frontend/python/parse_arena.h"

namespace ddplint::frontend::python {
namespace {

constexpr size_t kMaxFileBytes = 16u << 20;

/// The dotted name Python imports the file by: its path from the first folder up
/// that is not a package (has no __init__.py), as when that folder is on sys.path.
std::string module_name_for(const std::string& path, bool& is_package, PathMemo& paths,
                            std::string* root_dir = nullptr) {
  namespace fs = std::filesystem;
  fs::path p(path);
  is_package = p.filename() == "__init__.py";
  std::vector<std::string> parts;
  if (!is_package) parts.push_back(p.stem().string());
  const fs::path& cwd = paths.current_path();
  fs::path dir = (p.is_absolute() || cwd.empty() ? p : cwd / p).parent_path();
  // A package's own folder is part of its name; so is every enclosing package folder.
  for (int guard = 0; guard < 64 && !dir.empty() && dir.has_filename(); ++guard) {
    if (!fs::exists(paths.status(dir / "__init__.py"))) break;
    parts.push_back(dir.filename().string());
    dir = dir.parent_path();
  }
  if (root_dir) *root_dir = dir.string();
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : ".") + *it;
  return out;
}

/// The first ERROR or MISSING node of tree-sitter's tree, without recursion (inputs
/// may nest deeply).
TSNode first_error(TSNode root) {
  TSTreeCursor c = ts_tree_cursor_new(root);
  TSNode found{};
  bool have = false;
  for (;;) {
    TSNode n = ts_tree_cursor_current_node(&c);
    if (std::strcmp(ts_node_type(n), "ERROR") == 0 || ts_node_is_missing(n)) {
      found = n;
      have = true;
      break;
    }
    if (ts_node_has_error(n) && ts_tree_cursor_goto_first_child(&c)) continue;
    bool moved = false;
    while (!moved) {
      if (ts_tree_cursor_goto_next_sibling(&c)) {
        moved = true;
      } else if (!ts_tree_cursor_goto_parent(&c)) {
        break;
      }
    }
    if (!moved) break;
  }
  ts_tree_cursor_delete(&c);
  return have ? found : root;
}

/// Where a node of tree-sitter's tree is, as a span of `file` (-1: none yet).
ir::Span raw_span(TSNode n) {
  ir::Span s;
  s.begin = ts_node_start_byte(n);
  s.end = ts_node_end_byte(n);
  TSPoint a = ts_node_start_point(n), b = ts_node_end_point(n);
  s.line = a.row + 1;
  s.col = a.column + 1;
  s.end_line = b.row + 1;
  s.end_col = b.column + 1;
  return s;
}

/// What scan_tree looks for in a node type.
enum class NodeRole : uint8_t { kOther, kComment, kSimpleStatement, kClass, kFunction, kAssignment };

NodeRole node_role(const char* type) {
  if (std::strcmp(type, "comment") == 0) return NodeRole::kComment;
  if (std::strstr(type, "statement") && std::strcmp(type, "if_statement") != 0 &&
      std::strcmp(type, "for_statement") != 0 && std::strcmp(type, "while_statement") != 0 &&
      std::strcmp(type, "with_statement") != 0 && std::strcmp(type, "try_statement") != 0 &&
      std::strcmp(type, "match_statement") != 0) {
    return NodeRole::kSimpleStatement;  // when the node is named
  }
  if (std::strcmp(type, "class_definition") == 0) return NodeRole::kClass;
  if (std::strcmp(type, "function_definition") == 0) return NodeRole::kFunction;
  if (std::strcmp(type, "assignment") == 0 || std::strcmp(type, "augmented_assignment") == 0) {
    return NodeRole::kAssignment;
  }
  return NodeRole::kOther;
}

/// node_role of a node, by its symbol from a table made once (the type's name is the
/// symbol's name).
NodeRole node_role(SyntaxNode n) {
  static const std::vector<NodeRole> roles = [] {
    const TSLanguage* lang = tree_sitter_python();
    std::vector<NodeRole> r(ts_language_symbol_count(lang));
    for (TSSymbol sym = 0; sym < r.size(); ++sym) r[sym] = node_role(ts_language_symbol_name(lang, sym));
    return r;
  }();
  TSSymbol sym = n.symbol();
  return sym < roles.size() ? roles[sym] : node_role(n.type());
}

/// One pass over the flat tree, in document order: its comments, where multi-line
/// simple statements start, and its assignments to attributes.
void scan_tree(const SyntaxTree& tree, ir::SourceFile& file, std::vector<AttrAssignment>& assignments) {
  // Where a node's children sit: at module level (or in a def there), in a class body,
  // or in a method (a def in a class body, and anything nested in one).
  enum Scope : uint8_t { kFree, kClassBody, kMethod };
  struct Where {
    Scope scope = kFree;
    bool in_init = false;
  };
  std::vector<Where> inner_of(tree.size());
  for (uint32_t id = 0; id < tree.size(); ++id) {
    SyntaxNode cur(&tree, id);
    const uint32_t parent = tree.entry(id).parent;
    const Where here = parent == SyntaxTree::kNone ? Where{} : inner_of[parent];
    Where& inner = inner_of[id];
    inner = here;
    switch (node_role(cur)) {
      case NodeRole::kComment: {
        uint32_t b = cur.start_byte(), e = cur.end_byte();
        file.comments.push_back({cur.start_point().row + 1, b, file.text.substr(b, e - b)});
        break;
      }
      case NodeRole::kSimpleStatement:
        if (cur.is_named()) {
          uint32_t first = cur.start_point().row + 1, last = cur.end_point().row + 1;
          for (uint32_t l = first + 1; l <= last; ++l) file.statement_start.emplace(l, first);
        }
        break;
      case NodeRole::kClass:
        inner.scope = kClassBody;
        break;
      case NodeRole::kFunction: {
        SyntaxNode name = Syntax::field(cur, "name");
        inner.in_init = !name.is_null() && name.end_byte() - name.start_byte() == 8 &&
                        file.text.compare(name.start_byte(), 8, "__init__") == 0;
        inner.scope = here.scope == kFree ? kFree : kMethod;
        break;
      }
      case NodeRole::kAssignment:
        if (Syntax::is(Syntax::field(cur, "left"), "attribute")) {
          assignments.push_back({cur, here.scope == kMethod, here.in_init});
        }
        break;
      case NodeRole::kOther:
        break;
    }
  }
}

// CPython itself rejects much shallower nesting (200 parentheses, 100 indents).
constexpr uint32_t kMaxTreeDepth = 1000;

}  // namespace

TSFieldId Syntax::field_id(std::string_view name) {
  static const std::unordered_map<std::string_view, TSFieldId> ids = [] {
    std::unordered_map<std::string_view, TSFieldId> m;
    const TSLanguage* lang = tree_sitter_python();
    for (TSFieldId id = 1; id <= ts_language_field_count(lang); ++id) {
      if (const char* f = ts_language_field_name_for_id(lang, id)) m.emplace(f, id);
    }
    return m;
  }();
  auto it = ids.find(name);
  return it == ids.end() ? 0 : it->second;
}

SyntaxNode unwrap_decorated(SyntaxNode n) {
  if (Syntax::is(n, "decorated_definition")) return Syntax::field(n, "definition");
  return n;
}

std::vector<SyntaxNode> class_methods(SyntaxNode class_node) {
  std::vector<SyntaxNode> out;
  SyntaxNode body = Syntax::field(class_node, "body");
  for (SyntaxNode st : Syntax::children(body)) {
    SyntaxNode d = unwrap_decorated(st);
    if (Syntax::is(d, "function_definition")) out.push_back(d);
  }
  return out;
}

Frontend::Impl::Impl(ir::Program& p, DiagnosticSink& s) : program(p), sink(s), index(p) {
}

Frontend::Impl::~Impl() {
  // The trees outlive the frontend: fix builders read them (Program::syntax_cache).
  for (auto& u : units) {
    if (!u->tree) continue;
    program.syntax_cache[u->file] = u->tree;
  }
}

Prepared prepare_source(const std::string& path, std::string text, bool reported, PathMemo& paths) {
  Prepared p;
  p.path = path;
  p.reported = reported;
  auto fail = [&](std::optional<ir::Span> span, std::string msg) {
    p.error = std::move(msg);
    p.error_span = span;
    return std::move(p);
  };
  if (text.size() > kMaxFileBytes) {
    return fail(std::nullopt, fmt::format("file is {} bytes, over ddplint's limit of {} bytes; not linted",
                                          text.size(), kMaxFileBytes));
  }
  if (text.find('\0') != std::string::npos) {
    return fail(std::nullopt, "binary file (contains NUL bytes), not Python source");
  }
  size_t bad = 0;
  if (!valid_utf8(text, bad)) {
    size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(bad), '\n'));
    return fail(std::nullopt,
                fmt::format("invalid UTF-8 at byte {} (line {}); Python source must be UTF-8", bad, line));
  }
  ir::SourceFile& f = p.file;
  f.path = path;
  f.reported = reported;
  f.set_text(std::move(text));
  f.module_name = module_name_for(path, p.is_package, paths, &p.root_dir);
  p.has_file = true;
  // tree-sitter's memory for this file comes from an arena that is dropped whole at the
  // end of this function: the tree is flattened and never deleted node by node.
  ParseArena::Scope arena;
  struct Parser {
    TSParser* p = ts_parser_new();
    ~Parser() { ts_parser_delete(p); }
  } parser;
  ts_parser_set_language(parser.p, tree_sitter_python());
  TSTree* tree = ts_parser_parse_string(parser.p, nullptr, f.text.data(), static_cast<uint32_t>(f.text.size()));
  if (!tree) return fail(std::nullopt, "the parser gave up on this file");
  TSNode root = ts_tree_root_node(tree);
  if (ts_node_has_error(root)) {
    TSNode err = first_error(root);
    std::string what = ts_node_is_missing(err) ? fmt::format("missing `{}`", ts_node_type(err)) : "invalid syntax";
    return fail(raw_span(err), fmt::format("syntax error: {}; this file was not linted", what));
  }
  TSNode deepest{};
  p.tree = SyntaxTree::flatten(root, f.line_starts, kMaxTreeDepth, &deepest);  // the file's line table, copied
  if (!p.tree) {
    return fail(raw_span(deepest),
                fmt::format("syntax nested more than {} levels deep; this file was not linted", kMaxTreeDepth));
  }
  scan_tree(*p.tree, f, p.attr_assignments);
  return p;
}

bool Frontend::Impl::commit(Prepared&& p) {
  int index_of_file = -1;
  if (p.has_file) {
    index_of_file = static_cast<int>(program.files.size());
    if (p.tree == nullptr) p.file.reported = false;  // kept for the diagnostic's snippet, not linted
    program.files.push_back(std::move(p.file));
  }
  if (!p.tree) {
    if (p.reported) {
      ir::Span span;
      if (p.error_span) {
        span = *p.error_span;
        span.file = index_of_file;
      }
      sink.report({"DDP901", span, p.path, p.error, {}, "", {}, {}, {}});
    }
    return false;
  }
  auto u = std::make_unique<Unit>();
  u->file = index_of_file;
  u->tree = p.tree;
  u->module_name = program.files.back().module_name;
  u->is_package = p.is_package;
  u->root_dir = p.root_dir;
  u->attr_assignments = std::move(p.attr_assignments);
  units.push_back(std::move(u));
  return true;
}

bool Frontend::Impl::parse(const std::string& path, std::string text, bool reported) {
  return commit(prepare_source(path, std::move(text), reported, paths));
}

void Frontend::Impl::index_unit(Unit& u) {
  u.imports.clear();
  u.classes.clear();
  u.functions.clear();
  u.globals.clear();
  const std::string& text = program.files[static_cast<size_t>(u.file)].text;
  Syntax syn(text, u.file);
  SyntaxNode root = u.tree->root();
  // The package a relative import starts from.
  std::string package = u.import_name.empty() ? u.module_name : u.import_name;
  if (!u.is_package) {
    auto dot = package.rfind('.');
    package = dot == std::string::npos ? "" : package.substr(0, dot);
  }
  auto relative = [&](SyntaxNode rel) {
    std::string base = package;
    std::string prefix, name;
    for (SyntaxNode ch : Syntax::children(rel)) {
      if (Syntax::is(ch, "import_prefix")) prefix = syn.text(ch);
      if (Syntax::is(ch, "dotted_name")) name = syn.text(ch);
    }
    for (size_t i = 1; i < prefix.size(); ++i) {
      auto dot = base.rfind('.');
      base = dot == std::string::npos ? "" : base.substr(0, dot);
    }
    if (name.empty()) return base;
    return base.empty() ? name : base + "." + name;
  };

  for (SyntaxNode st : Syntax::children(root)) {
    SyntaxNode d = unwrap_decorated(st);
    if (Syntax::is(d, "class_definition")) {
      u.classes[syn.text(Syntax::field(d, "name"))] = d;
    } else if (Syntax::is(d, "function_definition")) {
      u.functions[syn.text(Syntax::field(d, "name"))] = d;
    } else if (Syntax::is(st, "import_statement")) {
      for (SyntaxNode n : Syntax::fields(st, "name")) {
        if (Syntax::is(n, "aliased_import")) {
          u.imports[syn.text(Syntax::field(n, "alias"))] = syn.text(Syntax::field(n, "name"));
        } else {
          std::string full = syn.text(n);
          std::string head = full.substr(0, full.find('.'));
          u.imports[head] = head;
        }
      }
    } else if (Syntax::is(st, "import_from_statement")) {
      SyntaxNode mod = Syntax::field(st, "module_name");
      std::string base = Syntax::is(mod, "relative_import") ? relative(mod) : syn.text(mod);
      for (SyntaxNode n : Syntax::fields(st, "name")) {
        std::string name, alias;
        if (Syntax::is(n, "aliased_import")) {
          name = syn.text(Syntax::field(n, "name"));
          alias = syn.text(Syntax::field(n, "alias"));
        } else {
          name = alias = syn.text(n);
        }
        u.imports[alias] = base.empty() ? name : base + "." + name;
      }
    } else if (Syntax::is(st, "expression_statement")) {
      auto kids = Syntax::children(st);
      if (kids.size() == 1 && Syntax::is(kids[0], "assignment")) {
        SyntaxNode left = Syntax::field(kids[0], "left"), right = Syntax::field(kids[0], "right");
        if (Syntax::is(left, "identifier") && !right.is_null()) u.globals[syn.text(left)] = right;
      }
    }
  }
}

bool Frontend::Impl::is_module_class(const std::string& q) {
  auto it = module_memo.find(q);
  if (it != module_memo.end()) return it->second == 1;
  auto def = index.find_class(q);
  if (!def) return false;
  module_memo[q] = 0;
  const Unit& u = *def->unit;
  Syntax syn(program.files[static_cast<size_t>(u.file)].text, u.file);
  bool yes = false;
  bool unresolved_base = false;
  SyntaxNode supers = Syntax::field(def->node, "superclasses");
  for (SyntaxNode b : Syntax::children(supers)) {
    if (Syntax::is(b, "keyword_argument")) continue;
    std::string bq = index.qualify(u, syn.dotted(b));
    if (bq == "torch.nn.Module" || is_torch_nn_module_name(bq)) yes = true;
    else if (index.find_class(bq)) yes = yes || is_module_class(index.find_class(bq)->qualified);
    else if (!bq.empty() && bq[0] == '?') unresolved_base = true;
  }
  // A class deriving from something ddplint cannot see (a third-party block) is a
  // module when it defines forward.
  if (!yes && unresolved_base) {
    for (SyntaxNode m : class_methods(def->node)) {
      if (syn.text(Syntax::field(m, "name")) == "forward") yes = true;
    }
  }
  module_memo[q] = yes ? 1 : 2;
  return yes;
}

const ir::AttrFact* Frontend::Impl::find_attr(const ir::ClassInfo* c, const std::string& name, int depth) const {
  if (!c || depth > 16) return nullptr;
  if (const ir::AttrFact* a = c->attr(name)) return a;
  for (const auto& b : c->bases) {
    auto it = classes.find(b);
    if (it != classes.end()) {
      if (const ir::AttrFact* a = find_attr(it->second, name, depth + 1)) return a;
    }
  }
  return nullptr;
}

std::optional<std::pair<const Unit*, SyntaxNode>> Frontend::Impl::method_node(const std::string& cls,
                                                                          const std::string& name,
                                                                          int depth) const {
  if (depth > 16) return std::nullopt;
  auto def = index.find_class(cls);
  if (!def) return std::nullopt;
  auto [memo, fresh] = methods_of.try_emplace(std::make_pair(def->node.tree(), def->node.start_byte()));
  if (fresh) {
    Syntax syn(program.files[static_cast<size_t>(def->unit->file)].text, def->unit->file);
    for (SyntaxNode m : class_methods(def->node)) memo->second.emplace_back(syn.text(Syntax::field(m, "name")), m);
  }
  for (const auto& [method, m] : memo->second) {
    if (method == name) return std::make_pair(def->unit, m);
  }
  auto it = classes.find(def->qualified);
  if (it == classes.end()) return std::nullopt;
  for (const auto& b : it->second->bases) {
    if (auto r = method_node(b, name, depth + 1)) return r;
  }
  return std::nullopt;
}

const ir::ClassInfo* Frontend::Impl::find_method_owner(const ir::ClassInfo* c, const std::string& name,
                                                       int depth) const {
  if (!c || depth > 16) return nullptr;
  if (method_node(c->qualified_name, name, 16)) return c;  // defined directly (depth 16: no base walk)
  for (const auto& b : c->bases) {
    auto it = classes.find(b);
    if (it != classes.end()) {
      if (auto* o = find_method_owner(it->second, name, depth + 1)) return o;
    }
  }
  return nullptr;
}

bool Frontend::Impl::mentions_ddp(const Unit& u, SyntaxNode n) const {
  // A cheap syntactic filter: the text names DistributedDataParallel, an alias of it,
  // or a memory format conversion.
  const std::string& text = program.files[static_cast<size_t>(u.file)].text;
  std::string_view body(text.data() + n.start_byte(), n.end_byte() - n.start_byte());
  if (body.find("DistributedDataParallel") != std::string_view::npos ||
      body.find("memory_format") != std::string_view::npos) {
    return true;
  }
  for (const auto& [local, target] : u.imports) {
    if (target.size() >= 23 && target.compare(target.size() - 23, 23, "DistributedDataParallel") == 0 &&
        body.find(local + "(") != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

void Frontend::Impl::mark_external_assignments() {
  // `self.encoder.gradient_checkpointing = True`, `model.head.use_aux = False`: an
  // attribute set from outside its class is not the constant __init__ wrote. Set in
  // another __init__ it is still configuration, of unknown value; set anywhere else it
  // is state.
  std::map<std::string, bool> assigned;  // name -> set outside any __init__
  for (auto& u : units) {
    const std::string& text = program.files[static_cast<size_t>(u->file)].text;
    Syntax syn(text, u->file);
    for (const AttrAssignment& a : u->attr_assignments) {  // found by prepare_source's walk
      if (!a.in_method) continue;
      SyntaxNode l = Syntax::field(a.node, "left");
      SyntaxNode obj = Syntax::field(l, "object");
      std::string d = syn.dotted(obj);
      // `self.encoder.flag = ...` or `m.flag = ...` (m from self.modules()); not
      // `self.flag` (the class's own) nor `args.flag` in a script.
      bool other_module = d.rfind("self.", 0) == 0 || (Syntax::is(obj, "identifier") && d != "self");
      if (other_module) {
        bool& outside = assigned[syn.text(Syntax::field(l, "attribute"))];
        outside = outside || !a.in_init;
      }
    }
  }
  for (auto& [q, info] : classes) {
    for (auto& a : info->attrs) {
      auto it = assigned.find(a.name);
      if (it == assigned.end() || a.kind != ir::AttrFact::Kind::Plain) continue;
      a.constant_value_known = false;
      if (it->second) a.set_outside_init = true;
    }
  }
}

void Frontend::Impl::report_syntax(const Unit& u, const TooDeep& e) {
  auto& file = program.files[static_cast<size_t>(u.file)];
  if (!file.reported) return;
  file.reported = false;  // one diagnostic per file, and no findings from a partial lowering
  std::string msg = e.too_large
                        ? "a function here lowers to more IR than ddplint follows; this file was not linted"
                        : fmt::format("expression or statement nested more than {} levels deep; this file was not linted",
                                      kMaxDepth);
  sink.report({"DDP901", e.span, file.path, msg, {}, "", {}, {}, {}});
}

// ---------------------------------------------------------------------------

Frontend::Frontend(ir::Program& program, DiagnosticSink& sink) : impl_(std::make_unique<Impl>(program, sink)) {}
Frontend::~Frontend() = default;

bool Frontend::add_file(const std::string& path, bool reported) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (reported) {
      impl_->sink.report({"DDP901", {}, path, fmt::format("cannot read file: {}", std::strerror(errno)), {}, "", {}, {}, {}});
    }
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    if (reported) impl_->sink.report({"DDP901", {}, path, "read error", {}, "", {}, {}, {}});
    return false;
  }
  return impl_->parse(path, ss.str(), reported);
}

void Frontend::add_files(const std::vector<std::string>& paths, unsigned threads,
                         const std::map<std::string, std::string>* overlay) {
  std::vector<Prepared> prepared(paths.size());
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t i = next++; i < paths.size(); i = next++) {
      const std::string& path = paths[i];
      auto it = overlay ? overlay->find(path) : decltype(overlay->end()){};
      if (overlay && it != overlay->end()) {
        prepared[i] = prepare_source(path, it->second, true, impl_->paths);
        continue;
      }
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        prepared[i].path = path;
        prepared[i].reported = true;
        prepared[i].error = fmt::format("cannot read file: {}", std::strerror(errno));
        continue;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      prepared[i] = prepare_source(path, ss.str(), true, impl_->paths);
    }
  };
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(paths.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (auto& p : prepared) impl_->commit(std::move(p));  // in order: the run stays deterministic
}

bool Frontend::add_source(const std::string& path, std::string text, bool reported) {
  return impl_->parse(path, std::move(text), reported);
}

void Frontend::Impl::load_imported_files() {
  // `ddplint check train.py` must still see the model train.py imports: modules of
  // the project that were not given are loaded as context (not reported on).
  namespace fs = std::filesystem;
  std::set<std::string> loaded;
  for (const auto& f : program.files) {
    loaded.insert(paths.weakly_canonical(f.path));
  }
  constexpr size_t kMaxContextFiles = 256;
  size_t added = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    Unit& u = *units[i];
    index_unit(u);  // every unit, also once the context cap is reached
    if (added >= kMaxContextFiles) continue;
    std::string own_dir = fs::path(program.files[static_cast<size_t>(u.file)].path).parent_path().string();
    for (const auto& [local, target] : u.imports) {
      std::string t = target;
      if (t.rfind("torch", 0) == 0 || t.rfind("typing", 0) == 0 || t.rfind("collections", 0) == 0) continue;
      std::vector<std::string> parts;
      for (size_t pos = 0;;) {
        size_t dot = t.find('.', pos);
        parts.push_back(t.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
        if (dot == std::string::npos) break;
        pos = dot + 1;
      }
      // The longest prefix naming a file: `models.rgbd_encoder.RGBDSegmenter` -> models/rgbd_encoder.py.
      for (size_t n = parts.size(); n > 0 && added < kMaxContextFiles; --n) {
        fs::path rel;
        for (size_t k = 0; k < n; ++k) rel /= parts[k];
        bool found = false;
        std::vector<std::string> bases{u.root_dir, own_dir};
        bases.insert(bases.end(), search_roots.begin(), search_roots.end());
        for (const std::string& base : bases) {
          if (base.empty()) continue;
          for (fs::path cand : {fs::path(base) / rel += ".py", fs::path(base) / rel / "__init__.py"}) {
            if (!fs::is_regular_file(paths.status(cand))) continue;
            std::string key = paths.weakly_canonical(cand.string());
            found = true;
            if (!loaded.insert(key).second) break;
            std::error_code ec;
            std::string shown = fs::relative(cand, fs::current_path(ec), ec).string();
            if (ec || shown.empty() || shown.rfind("..", 0) == 0) shown = cand.string();
            std::ifstream in(cand, std::ios::binary);
            std::ostringstream ss;
            ss << in.rdbuf();
            if (in && parse(shown, ss.str(), /*reported=*/false)) ++added;
            break;
          }
          if (found) break;
        }
        if (found) break;
      }
    }
  }
}

void Frontend::set_lower_init(bool on) { impl_->lower_init = on; }

void Frontend::add_search_root(const std::string& dir) {
  if (std::find(impl_->search_roots.begin(), impl_->search_roots.end(), dir) == impl_->search_roots.end()) {
    impl_->search_roots.push_back(dir);
  }
}

void Frontend::lower() {
  Impl& im = *impl_;
  im.load_imported_files();
  // Two files imported by the same name (two `model.py` in different folders): all
  // of them are named by their path, so that every class has one qualified name;
  // imports by the short name still find them (the first wins).
  std::map<std::string, int> uses;
  for (auto& u : im.units) uses[u->module_name]++;
  for (auto& u : im.units) {
    if (uses[u->module_name] < 2) continue;
    std::string path = im.program.files[static_cast<size_t>(u->file)].path;
    std::string alt;
    for (char c : path.substr(0, path.size() - (path.size() > 3 ? 3 : 0))) alt += (c == '/' || c == '\\') ? '.' : c;
    while (!alt.empty() && alt[0] == '.') alt.erase(alt.begin());
    u->import_name = u->module_name;
    u->module_name = alt;
    im.program.files[static_cast<size_t>(u->file)].module_name = alt;
  }
  for (auto& u : im.units) im.index.add(u.get());  // indexed by load_imported_files
  // Classes first (facts of every class must exist before any method is lowered:
  // lowering types `self.x` by them), then methods and functions.
  struct Pending {
    ir::ClassInfo* info;
    const Unit* unit;
    SyntaxNode node;
  };
  std::vector<Pending> pending;
  for (auto& u : im.units) {
    Syntax syn(im.program.files[static_cast<size_t>(u->file)].text, u->file);
    for (auto& [name, node] : u->classes) {
      std::string q = u->module_name.empty() ? name : u->module_name + "." + name;
      if (!im.is_module_class(q)) {
        // A trainer class that wraps the model (`def setup(self): self.model = DDP(...)`):
        // its methods are lowered as functions, for the call-site rules.
        if (im.mentions_ddp(*u, node)) {
          for (SyntaxNode m : class_methods(node)) {
            try {
              im.lower_function(*u, name + "." + syn.text(Syntax::field(m, "name")), m);
            } catch (const TooDeep& e) {
              im.report_syntax(*u, e);
            }
          }
        }
        continue;
      }
      auto info = std::make_unique<ir::ClassInfo>();
      info->qualified_name = q;
      info->name = name;
      info->file = u->file;
      info->span = syn.span(Syntax::field(node, "name"));
      for (SyntaxNode b : Syntax::children(Syntax::field(node, "superclasses"))) {
        if (Syntax::is(b, "keyword_argument")) continue;
        std::string bq = im.index.qualify(*u, syn.dotted(b));
        if (auto d = im.index.find_class(bq)) bq = d->qualified;
        info->bases.push_back(bq);
      }
      im.classes[q] = info.get();
      pending.push_back({info.get(), u.get(), node});
      im.program.classes.push_back(std::move(info));
    }
  }
  // Facts of every class first: lowering types `self.x` by them, bases included.
  for (auto& p : pending) {
    try {
      im.collect_facts(*p.info, *p.unit, p.node);
    } catch (const TooDeep& e) {
      im.report_syntax(*p.unit, e);
    }
  }
  im.mark_external_assignments();
  for (auto& p : pending) {
    try {
      im.lower_class_methods(*p.info, *p.unit, p.node);
    } catch (const TooDeep& e) {
      im.report_syntax(*p.unit, e);
    }
  }
  for (auto& u : im.units) {
    try {
      for (auto& [name, node] : u->functions) im.lower_function(*u, name, node);
      im.lower_module_body(*u);
    } catch (const TooDeep& e) {
      im.report_syntax(*u, e);
    }
  }
}

}  // namespace ddplint::frontend::python

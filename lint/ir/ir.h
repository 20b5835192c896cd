// ddplint IR: a TorchScript-shaped SSA graph with structured control flow.
//
// Graph -> Block -> Node -> Value, as in torch/csrc/jit/ir/ir.h:
//   %3 : Tensor = prim::CallMethod[name="forward"](%2, %x)   # model.py:12:9
//   %4 : Tensor = prim::If(%c)
//     block0():  -> (%3)
//     block1():  -> (%x)
// Node kinds use TorchScript's symbols where one exists; ddplint adds a few that
// only Python source needs (see kinds below). Every node has a source span.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <variant>
#include <vector>

namespace ddplint::ir {

/// A source range: 0-based byte offsets plus 1-based line/column (columns count
/// bytes, as clang and ruff's JSON do).
struct Span {
  int file = -1;  ///< index into Program::files, -1 when unknown
  uint32_t begin = 0, end = 0;
  uint32_t line = 0, col = 0, end_line = 0, end_col = 0;
  bool valid() const { return file >= 0 && line > 0; }
};

class Node;
class Block;
class Graph;

class Value {
 public:
  Node* node() const { return node_; }  ///< defining node; nullptr for block params
  Block* owning_block() const { return block_; }
  int id() const { return id_; }
  const std::string& debug_name() const { return *name_; }
  void set_debug_name(std::string n);
  const std::vector<Node*>& uses() const { return uses_; }
  void replace_all_uses_with(Value* other);

 private:
  friend class Node;
  friend class Block;
  friend class Graph;
  Node* node_ = nullptr;
  Block* block_ = nullptr;
  int id_ = 0;
  const std::string* name_ = &no_name();  ///< interned, as Node's kind
  static const std::string& no_name();
  std::vector<Node*> uses_;
};

/// Constant payloads of prim::Constant.
struct NoneConst {
  bool operator==(const NoneConst&) const { return true; }
};
using Constant = std::variant<NoneConst, bool, int64_t, double, std::string>;

namespace kind {
// TorchScript symbols.
inline constexpr const char* Constant = "prim::Constant";
inline constexpr const char* GetAttr = "prim::GetAttr";
inline constexpr const char* SetAttr = "prim::SetAttr";
inline constexpr const char* CallMethod = "prim::CallMethod";
inline constexpr const char* CallFunction = "prim::CallFunction";
inline constexpr const char* If = "prim::If";
inline constexpr const char* Loop = "prim::Loop";
inline constexpr const char* ListConstruct = "prim::ListConstruct";
inline constexpr const char* TupleConstruct = "prim::TupleConstruct";
inline constexpr const char* DictConstruct = "prim::DictConstruct";
inline constexpr const char* TupleUnpack = "prim::TupleUnpack";
inline constexpr const char* Uninitialized = "prim::Uninitialized";
inline constexpr const char* RaiseException = "prim::RaiseException";
inline constexpr const char* BreakStmt = "prim::BreakStmt";
inline constexpr const char* ContinueStmt = "prim::ContinueStmt";
inline constexpr const char* GetItem = "aten::__getitem__";
inline constexpr const char* SetItem = "aten::_set_item";  // returns the updated container
inline constexpr const char* Detach = "aten::detach";
inline constexpr const char* Not = "aten::__not__";
inline constexpr const char* And = "aten::__and__";
inline constexpr const char* Or = "aten::__or__";
inline constexpr const char* Is = "aten::__is__";
inline constexpr const char* IsNot = "aten::__isnot__";
// ddplint additions.
// `with torch.no_grad():` / inference_mode(): markers around the region; every node
// inside has grad_off set (the region may be split across blocks by early exits).
inline constexpr const char* NoGradEnter = "ddplint::NoGradEnter";
inline constexpr const char* NoGradExit = "ddplint::NoGradExit";
inline constexpr const char* Iterate = "ddplint::Iterate";      // the iterable of a for loop
inline constexpr const char* Opaque = "ddplint::Opaque";        // an expression ddplint does not model
inline constexpr const char* CallValue = "ddplint::CallValue";  // calling a local that is not known to be a module
inline constexpr const char* Global = "ddplint::Global";        // a module-level name of the project (configuration)
}  // namespace kind

class Node {
 public:
  const std::string& kind() const { return *kind_; }
  bool is(const char* k) const { return std::string_view(*kind_) == k; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  Value* input(size_t i) const { return inputs_.at(i); }
  const std::vector<Value*>& outputs() const { return outputs_; }
  Value* output(size_t i = 0) const { return outputs_.at(i); }
  const std::vector<std::unique_ptr<Block>>& blocks() const { return blocks_ ? *blocks_ : no_blocks(); }
  Block* block(size_t i) const { return blocks().at(i).get(); }
  Block* owning_block() const { return owner_; }
  const Span& span() const { return span_; }
  void set_span(const Span& s) { span_ = s; }

  void add_input(Value* v);
  void remove_input(size_t i);
  Value* add_output();
  Block* add_block();

  /// The keyword input i was passed by ("" for a positional input).
  const std::string& input_name(size_t i) const;
  void add_input(Value* v, std::string keyword);

  // Attributes, as TorchScript's node attributes.
  std::string name;                   ///< GetAttr/SetAttr/CallMethod name; CallFunction callee
  std::optional<Constant> value;      ///< prim::Constant payload
  std::string text;                   ///< source text of the construct, for messages
  const Node* grad_off = nullptr;     ///< the NoGradEnter whose region holds this node

 private:
  friend class Block;
  friend class Graph;
  friend class Value;
  // A graph holds hundreds of thousands of nodes: what most nodes lack is not stored.
  const std::string* kind_ = nullptr;  ///< interned: one string per kind for the process
  static const std::vector<std::unique_ptr<Block>>& no_blocks();
  std::vector<Value*> inputs_;
  /// Keyword names aligned with inputs_, or empty while every input is positional (most
  /// nodes: no string per input for them).
  std::unique_ptr<std::vector<std::string>> input_names_;
  std::vector<Value*> outputs_;
  std::unique_ptr<std::vector<std::unique_ptr<Block>>> blocks_;  ///< If and Loop nodes only
  Block* owner_ = nullptr;
  Graph* graph_ = nullptr;
  Span span_;
};

class Block {
 public:
  const std::vector<Value*>& params() const { return params_; }
  const std::vector<Value*>& returns() const { return returns_; }
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  Node* owning_node() const { return owner_; }
  Graph* graph() const { return graph_; }

  Value* add_param(std::string debug_name = "");
  void remove_param(size_t i);
  void add_return(Value* v) { returns_.push_back(v); }
  void set_return(size_t i, Value* v) { returns_.at(i) = v; }
  Node* append(std::string kind, const Span& span);
  /// Inserts a node before `before` (which must be in this block).
  Node* insert_before(const Node* before, std::string kind, const Span& span);

 private:
  friend class Node;
  friend class Graph;
  std::vector<Value*> params_;
  std::vector<Value*> returns_;
  std::vector<std::unique_ptr<Node>> nodes_;
  Node* owner_ = nullptr;
  Graph* graph_ = nullptr;
};

class Graph {
 public:
  Graph();
  Block* block() const { return top_.get(); }
  int next_value_id() { return next_id_++; }
  /// Values are numbered 0..value_count()-1 (Value::id) in their graph.
  int value_count() const { return next_id_; }
  std::vector<std::unique_ptr<Value>>& value_pool() { return values_; }

 private:
  std::unique_ptr<Block> top_;
  std::vector<std::unique_ptr<Value>> values_;
  int next_id_ = 0;
};

// ---------------------------------------------------------------------------
// Module-level facts, beside the graphs.

struct ModuleChild;

/// How a submodule attribute is built, as far as the source says.
struct ModuleExpr {
  enum class Kind {
    Class,      ///< a known class: `nn.Linear(...)`, `Block(dim)`; see class_name
    Container,  ///< nn.Sequential / nn.ModuleList / nn.ModuleDict with children
    Opaque,     ///< a module whose parameters ddplint cannot see
  };
  Kind kind = Kind::Opaque;
  std::string class_name;  ///< qualified: "torch.nn.Linear", "pkg.blocks.GatedFusion"
  std::string container_kind;  ///< for containers: "torch.nn.Sequential" (also for project subclasses)
  /// Children of a container; the name "*" stands for every element of a
  /// homogeneous container built by a comprehension or `[X] * n`.
  std::vector<ModuleChild> children;
  /// Literal constructor arguments (positional as "0", "1", ...), as source text.
  std::map<std::string, std::string> args;
  std::string why_opaque;  ///< for Opaque: what could not be resolved
  Span span;
};

/// A named child of a container (a pair, spelled out: the type is recursive).
struct ModuleChild {
  std::string first;  ///< the child's name ("0", "*", a ModuleDict key)
  ModuleExpr second;
};

struct AttrFact {
  enum class Kind { Submodule, Parameter, Buffer, Plain };
  std::string name;
  Kind kind = Kind::Plain;
  ModuleExpr module;        ///< for Submodule
  bool optional = false;    ///< may be None (`X(...) if flag else None`, a constructor argument)
  bool trainable = true;    ///< for Parameter: false with requires_grad=False
  bool set_outside_init = false;  ///< assigned in a method other than __init__ (not a config constant)
  bool constant_value_known = false;
  Constant constant;        ///< for Plain attributes assigned a literal
  Span def_span;            ///< the `self.name = ...` statement in __init__
  /// The conditions (conjuncts, normalized by normalize_condition) under which
  /// __init__ builds it, e.g. {"use_aux"} for `if use_aux: self.aux = Head()`.
  std::vector<std::string> built_when;
  /// For Plain attributes: the source text assigned in __init__ (`self.use_mask = use_mask`).
  std::string init_text;
  /// For Parameters known from a TorchScript archive: a convolution weight with size-1
  /// dims whose exact strides are row-major ("1x1 kernel", "depthwise"), and its real
  /// sizes and strides for messages.
  std::string size1_kernel, layout_detail;
};

struct Method {
  std::string name;
  std::unique_ptr<Graph> graph;
  std::vector<std::string> param_names;  ///< including self
  std::vector<std::optional<Constant>> param_defaults;  ///< literal defaults, aligned with param_names
  Span no_grad;  ///< valid when decorated with @torch.no_grad() / @torch.inference_mode()
  Span span;
};

struct ClassInfo {
  std::string qualified_name;  ///< "pkg.blocks.GatedFusion"
  std::string name;            ///< "GatedFusion"
  int file = -1;
  Span span;
  std::vector<std::string> bases;  ///< qualified names as resolved through imports
  std::vector<AttrFact> attrs;     ///< in definition order
  std::vector<std::unique_ptr<Method>> methods;
  /// Attribute paths frozen in __init__ (`self.teacher.requires_grad_(False)`,
  /// `for p in self.x.parameters(): p.requires_grad = False`), relative to self.
  std::vector<std::pair<std::string, Span>> frozen;
  /// Class-level assignments (`expansion = 1`).
  std::map<std::string, Constant> class_constants;
  /// False for the submodule instances of a TorchScript archive: they are analysed as
  /// the archive's root calls them, never as models of their own.
  bool analyse_as_root = true;

  const AttrFact* attr(const std::string& n) const;
  const Method* method(const std::string& n) const;
};

struct Function {
  std::string qualified_name;  ///< "pkg.blocks.mlp"
  std::unique_ptr<Graph> graph;
  std::vector<std::string> param_names;
  std::vector<std::optional<Constant>> param_defaults;
  /// When every `return` builds a module (`return nn.Sequential(...)`), how.
  std::optional<ModuleExpr> returns_module;
  bool module_body = false;  ///< the file's top-level statements ("pkg.train.<module>")
  Span span;
};

/// The byte offset where each line of `text` starts: 0, then one past each '\n'.
std::vector<uint32_t> line_starts_of(std::string_view text);

struct SourceFile {
  std::string path;         ///< as given or discovered, relative to the cwd when possible
  std::string module_name;  ///< dotted module name used for imports
  std::string text;
  std::vector<uint32_t> line_starts;
  bool reported = true;     ///< false for files loaded only to resolve imports
  struct Comment {
    uint32_t line = 0;   ///< 1-based
    uint32_t begin = 0;  ///< byte offset of the '#'
    std::string text;    ///< with the leading '#'
  };
  std::vector<Comment> comments;  ///< for suppressions
  /// Lines inside a simple statement that spans several: line -> the statement's first line.
  std::map<uint32_t, uint32_t> statement_start;
  /// Set when the text is not the file on disk (a TorchScript archive's copy of a source
  /// that changed or is missing): a note every diagnostic here gets.
  std::string stale_note;

  /// Sets `text` and the line starts that position() and line_text() use.
  void set_text(std::string t);
  std::string_view line_text(uint32_t line) const;
  /// 1-based (line, column) of a byte offset.
  std::pair<uint32_t, uint32_t> position(uint32_t offset) const;
};

/// Everything the frontends produced for one run.
struct Program {
  std::vector<SourceFile> files;
  std::vector<std::unique_ptr<ClassInfo>> classes;
  std::vector<std::unique_ptr<Function>> functions;
  /// Module-level names read by the lowered code (`USE_AUX = os.environ...`): where each is set.
  std::map<std::string, Span> globals;
  /// Syntax trees the fix builders parsed, per file index (opaque here; see
  /// fixers::syntax_tree). Rules run one at a time, so no lock.
  mutable std::map<int, std::shared_ptr<const void>> syntax_cache;

  /// Lookups build their tables on first use after the program grew: call each once
  /// before sharing the program between threads.
  const ClassInfo* find_class(const std::string& qualified) const;
  const Function* find_function(const std::string& qualified) const;

 private:
  // Lookup tables, rebuilt when the vectors above grew since the last lookup.
  mutable std::unordered_map<std::string, const ClassInfo*> class_index_;
  mutable std::unordered_map<std::string, const Function*> function_index_;
  mutable size_t indexed_classes_ = 0, indexed_functions_ = 0;
};

/// Condition text with each `self.x` replaced by the text __init__ assigned to x
/// (when that is a plain name), whitespace squeezed: "self.c_dim > 0" -> "c_dim > 0".
std::string normalize_condition(const std::string& text, const ClassInfo& cls);

/// Prints a graph in TorchScript's text form with `# file:line:col` comments.
std::string print_graph(const Graph& g, const Program& p, const std::string& header);
std::string print_class(const ClassInfo& c, const Program& p);
std::string print_constant(const Constant& c);

}  // namespace ddplint::ir

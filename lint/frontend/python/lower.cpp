// Lowering Python function bodies into SSA graphs with structured control flow.
//
// Early exits become structure: in
//     if c:
//         continue
//     x = layer(x)
// what follows the `if` runs only when `not c`, so it is lowered into the If's
// else-block (the "continuation"). `return v` assigns the pseudo-variable $ret.
// Mutation of locals is data flow: `out[i] = y` rebinds `out` to the result of
// aten::_set_item, `feats.append(y)` rebinds `feats`, `h += y` rebinds `h`.
#include <algorithm>

#include <fmt/format.h>

#include "lint/frontend/python/impl.h"

namespace ddplint::frontend::python {
namespace {

using ir::Block;
using ir::Node;
using ir::Value;
namespace kind = ir::kind;

constexpr size_t kMaxNodes = 400000;

const char* binary_op(const std::string& op) {
  static const std::map<std::string, const char*> k = {
      {"+", "aten::add"},        {"-", "aten::sub"},       {"*", "aten::mul"},         {"/", "aten::div"},
      {"//", "aten::floordiv"},  {"%", "aten::remainder"}, {"**", "aten::pow"},        {"@", "aten::matmul"},
      {"&", "aten::__and__"},    {"|", "aten::__or__"},    {"^", "aten::__xor__"},     {"<<", "aten::__lshift__"},
      {">>", "aten::__rshift__"}};
  auto it = k.find(op);
  return it == k.end() ? "aten::binary_op" : it->second;
}

const char* compare_op(const std::string& op) {
  static const std::map<std::string, const char*> k = {
      {"<", "aten::lt"}, {">", "aten::gt"},  {"<=", "aten::le"},         {">=", "aten::ge"},
      {"==", "aten::eq"}, {"!=", "aten::ne"}, {"<>", "aten::ne"},        {"in", "aten::__contains__"},
      {"not in", "aten::__not_contains__"},  {"is", kind::Is},           {"is not", kind::IsNot}};
  auto it = k.find(op);
  return it == k.end() ? "aten::compare" : it->second;
}

/// Methods that mutate their receiver in place: the receiver is rebound to the result.
bool mutates_receiver(const std::string& m) {
  static const std::set<std::string> k = {"append", "extend", "insert", "update", "setdefault", "add", "pop",
                                          "clear", "remove"};
  if (k.count(m)) return true;
  return m.size() > 1 && m.back() == '_' && m.rfind("__", 0) != 0;
}

enum class Term { None, Return, Continue, Break, Raise };

class Lowerer {
 public:
  Lowerer(Frontend::Impl& im, const Unit& u, const ir::ClassInfo* cls, ir::Graph& g)
      : im_(im), u_(u), syn_(im.program.files[static_cast<size_t>(u.file)].text, u.file), cls_(cls), g_(g) {
    cur_ = g.block();
  }

  /// Module-level statements (a training script's top level, `if __name__ == "__main__":`).
  void lower_module(SyntaxNode root) {
    env_["$ret"] = constant(ir::NoneConst{}, syn_.span(root));
    std::vector<SyntaxNode> stmts;
    for (SyntaxNode st : Syntax::children(root)) {
      SyntaxNode d = unwrap_decorated(st);
      if (Syntax::is(d, "class_definition") || Syntax::is(d, "function_definition") ||
          Syntax::is(st, "import_statement") || Syntax::is(st, "import_from_statement") ||
          Syntax::is(st, "future_import_statement")) {
        continue;
      }
      stmts.push_back(st);
    }
    lower_seq(stmts, 0);
    g_.block()->add_return(env_["$ret"]);
  }

  void lower(SyntaxNode fn, std::vector<std::string>& param_names, std::vector<std::optional<ir::Constant>>& defaults) {
    for (SyntaxNode p : Syntax::children(Syntax::field(fn, "parameters"))) {
      std::string name;
      std::optional<ir::Constant> dflt;
      if (Syntax::is(p, "identifier")) name = syn_.text(p);
      else if (Syntax::is(p, "default_parameter") || Syntax::is(p, "typed_default_parameter")) {
        name = syn_.text(Syntax::field(p, "name"));
        dflt = literal(Syntax::field(p, "value"));
      } else {
        for (SyntaxNode ch : Syntax::children(p)) {
          if (Syntax::is(ch, "identifier")) name = syn_.text(ch);
          for (SyntaxNode gch : Syntax::children(ch)) {
            if (Syntax::is(gch, "identifier") && name.empty()) name = syn_.text(gch);
          }
        }
      }
      if (name.empty()) continue;
      Value* v = g_.block()->add_param(name);
      if (param_names.empty() && cls_ && name == "self") mtypes_[v] = MType{cls_, nullptr, false};
      param_names.push_back(name);
      defaults.push_back(dflt);
      env_[name] = v;
    }
    // Falling off the end returns None: paths without `return` carry that.
    env_["$ret"] = constant(ir::NoneConst{}, syn_.span(Syntax::field(fn, "name")));
    lower_seq(Syntax::children(Syntax::field(fn, "body")), 0);
    g_.block()->add_return(env_["$ret"]);
  }

 private:
  struct MType {
    const ir::ClassInfo* cls = nullptr;
    const ir::ModuleExpr* expr = nullptr;
    bool any = false;
  };
  using Env = std::map<std::string, Value*>;

  // ---- helpers ---------------------------------------------------------------

  Node* emit(const std::string& k, SyntaxNode at, std::vector<Value*> inputs = {}, int outputs = 1) {
    if (g_.value_pool().size() > kMaxNodes) throw TooDeep{syn_.span(at), /*too_large=*/true};
    Node* n = cur_->append(k, syn_.span(at));
    if (!no_grad_stack_.empty()) n->grad_off = no_grad_stack_.back();
    for (Value* v : inputs) n->add_input(v);
    for (int i = 0; i < outputs; ++i) n->add_output();
    return n;
  }

  Value* constant(ir::Constant c, const ir::Span& span) {
    Node* n = cur_->append(kind::Constant, span);
    if (!no_grad_stack_.empty()) n->grad_off = no_grad_stack_.back();
    n->value = std::move(c);
    return n->add_output();
  }

  Value* opaque(SyntaxNode at, const std::string& name = "") {
    Node* n = emit(kind::Opaque, at);
    n->name = name;
    n->text = syn_.text(at).substr(0, 80);
    return n->output();
  }

  std::optional<MType> type_of(const ir::ModuleExpr& e) const {
    if (e.kind == ir::ModuleExpr::Kind::Class) {
      auto it = im_.classes.find(e.class_name);
      if (it != im_.classes.end()) return MType{it->second, nullptr, false};
      return MType{nullptr, &e, false};
    }
    return MType{nullptr, &e, e.kind == ir::ModuleExpr::Kind::Opaque};
  }

  std::optional<MType> attr_type(const MType& recv, const std::string& name) const {
    if (recv.cls) {
      const ir::AttrFact* a = im_.find_attr(recv.cls, name);
      if (a && a->kind == ir::AttrFact::Kind::Submodule) return type_of(a->module);
      return std::nullopt;
    }
    if (recv.expr && recv.expr->kind == ir::ModuleExpr::Kind::Container) {
      for (const auto& [n, child] : recv.expr->children) {
        if (n == name) return type_of(child);
      }
    }
    return std::nullopt;
  }

  std::optional<MType> element_type(const MType& container) const {
    if (!container.expr || container.expr->kind != ir::ModuleExpr::Kind::Container) return std::nullopt;
    const auto& ch = container.expr->children;
    if (ch.empty()) return std::nullopt;
    bool same = std::all_of(ch.begin(), ch.end(), [&](const auto& c) {
      return c.second.kind == ch[0].second.kind && c.second.class_name == ch[0].second.class_name;
    });
    if (same) return type_of(ch[0].second);
    return MType{nullptr, nullptr, true};
  }

  std::optional<MType> mtype(Value* v) const {
    auto it = mtypes_.find(v);
    if (it == mtypes_.end()) return std::nullopt;
    return it->second;
  }

  bool is_local(const std::string& name) const { return env_.count(name) > 0; }

  /// An import-rooted dotted name (`torch.cat`, `F.relu`, `random.random`), qualified.
  std::string global_name(SyntaxNode n) const {
    std::string d = syn_.dotted(n);
    if (d.empty()) return "";
    std::string head = d.substr(0, d.find('.'));
    if (is_local(head) || head == "self") return "";
    return im_.index.qualify(u_, d);
  }

  // ---- statements ---------------------------------------------------------

  static bool contains_exit(SyntaxNode n, bool loop_exits, int depth = 0) {
    if (depth > kMaxDepth) return false;
    if (Syntax::is(n, "return_statement") || Syntax::is(n, "raise_statement")) return true;
    if (loop_exits && (Syntax::is(n, "continue_statement") || Syntax::is(n, "break_statement"))) return true;
    if (Syntax::is(n, "function_definition") || Syntax::is(n, "class_definition") || Syntax::is(n, "lambda")) return false;
    bool inner_loop = Syntax::is(n, "for_statement") || Syntax::is(n, "while_statement");
    for (SyntaxNode ch = n.first_child(); !ch.is_null(); ch = ch.next_sibling()) {
      if (ch.is_named() && contains_exit(ch, loop_exits && !inner_loop, depth + 1)) return true;
    }
    return false;
  }

  static std::vector<SyntaxNode> concat(std::vector<SyntaxNode> a, const std::vector<SyntaxNode>& b, size_t from) {
    for (size_t i = from; i < b.size(); ++i) a.push_back(b[i]);
    return a;
  }

  /// Lowers stmts[i..]; returns how the path ends (None: it falls through).
  Term lower_seq(const std::vector<SyntaxNode>& stmts, size_t i) {
    if (++depth_ > kMaxDepth) throw TooDeep{stmts.empty() ? ir::Span{} : syn_.span(stmts[std::min(i, stmts.size() - 1)])};
    Term t = Term::None;
    for (; i < stmts.size(); ++i) {
      SyntaxNode st = stmts[i];
      if (Syntax::is(st, "if_statement")) {
        if (contains_exit(st, true)) {  // the rest runs only where the branches fall through
          t = lower_if(st, stmts, i + 1);
          --depth_;
          return t == Term::None ? Term::Return : t;
        }
        lower_if(st, {}, 0);
        continue;
      }
      if (Syntax::is(st, "with_statement") && region_ends_.count(st.start_byte()) &&
          !no_grad_stack_.empty() && no_grad_stack_.back()->span().begin == st.start_byte()) {
        emit(kind::NoGradExit, st, {}, 0);
        no_grad_stack_.pop_back();
        continue;
      }
      if (Syntax::is(st, "with_statement")) {
        Term w = lower_with(st, stmts, i + 1);  // lowers the rest too
        --depth_;
        return w;
      }
      if (Syntax::is(st, "try_statement")) {
        std::vector<SyntaxNode> body = Syntax::children(Syntax::field(st, "body"));
        for (SyntaxNode ch : Syntax::children(st)) {
          if (Syntax::is(ch, "finally_clause")) {
            for (SyntaxNode f : Syntax::children(ch)) {
              if (Syntax::is(f, "block")) body = concat(body, Syntax::children(f), 0);
            }
          }
        }
        t = lower_seq(concat(body, stmts, i + 1), 0);
        --depth_;
        return t;
      }
      t = lower_stmt(st);
      if (t != Term::None) break;
    }
    --depth_;
    return t;
  }

  Term lower_stmt(SyntaxNode st) {
    if (Syntax::is(st, "expression_statement")) {
      for (SyntaxNode e : Syntax::children(st)) lower_expr_stmt(e);
      return Term::None;
    }
    if (Syntax::is(st, "return_statement")) {
      auto k = Syntax::children(st);
      env_["$ret"] = k.empty() ? constant(ir::NoneConst{}, syn_.span(st)) : lower_expr(k[0]);
      return Term::Return;
    }
    if (Syntax::is(st, "raise_statement")) {
      std::vector<Value*> in;
      for (SyntaxNode k : Syntax::children(st)) in.push_back(lower_expr(k));
      emit(kind::RaiseException, st, in, 0);
      return Term::Raise;
    }
    if (Syntax::is(st, "continue_statement")) {
      emit(kind::ContinueStmt, st, {}, 0);
      return Term::Continue;
    }
    if (Syntax::is(st, "break_statement")) {
      emit(kind::BreakStmt, st, {}, 0);
      return Term::Break;
    }
    if (Syntax::is(st, "for_statement")) {
      lower_for(st);
      return Term::None;
    }
    if (Syntax::is(st, "while_statement")) {
      lower_while(st);
      return Term::None;
    }
    if (Syntax::is(st, "function_definition") || Syntax::is(st, "class_definition")) {
      env_[syn_.text(Syntax::field(st, "name"))] = opaque(st, "local definition");
      return Term::None;
    }
    if (Syntax::is(st, "decorated_definition")) {
      SyntaxNode d = unwrap_decorated(st);
      env_[syn_.text(Syntax::field(d, "name"))] = opaque(st, "local definition");
    }
    // pass, assert, del, global, import, match: no data flow ddplint follows.
    return Term::None;
  }

  void lower_expr_stmt(SyntaxNode e) {
    if (Syntax::is(e, "assignment")) {
      lower_assignment(e);
    } else if (Syntax::is(e, "augmented_assignment")) {
      std::string op = syn_.text(Syntax::field(e, "operator"));
      op.pop_back();  // "+=" -> "+"
      SyntaxNode left = Syntax::field(e, "left");
      Value* rhs = lower_expr(Syntax::field(e, "right"));
      Value* cur = lower_expr(left);
      std::string k = binary_op(op);
      if (Syntax::is(left, "identifier")) k += "_";  // in place on a local, as TorchScript's aten::add_
      Node* n = emit(k, e, {cur, rhs});
      assign(left, n->output());
    } else {
      lower_expr(e);
    }
  }

  void lower_assignment(SyntaxNode e) {
    SyntaxNode right = Syntax::field(e, "right");
    Value* v;
    if (Syntax::is(right, "assignment")) {  // a = b = v
      lower_assignment(right);
      v = lower_expr(Syntax::field(right, "left"));
    } else if (right.is_null()) {
      return;  // a bare annotation: `x: int`
    } else {
      v = lower_expr(right);
    }
    assign(Syntax::field(e, "left"), v);
  }

  void assign(SyntaxNode target, Value* v, const std::vector<std::optional<MType>>& types = {}) {
    if (Syntax::is(target, "identifier")) {
      std::string name = syn_.text(target);
      env_[name] = v;
      if (v->debug_name().empty() && v->node() && !v->node()->is(kind::Constant)) v->set_debug_name(name);
      if (!types.empty() && types[0]) mtypes_[v] = *types[0];
      return;
    }
    if (Syntax::is(target, "pattern_list") || Syntax::is(target, "tuple_pattern") || Syntax::is(target, "list_pattern") ||
        Syntax::is(target, "tuple") || Syntax::is(target, "list") || Syntax::is(target, "expression_list")) {
      auto parts = Syntax::children(target);
      Node* n = emit(kind::TupleUnpack, target, {v}, static_cast<int>(parts.size()));
      for (size_t i = 0; i < parts.size(); ++i) {
        std::vector<std::optional<MType>> t;
        if (i < types.size() && types.size() > 1) t.push_back(types[i]);
        assign(parts[i], n->output(i), t);
      }
      return;
    }
    if (Syntax::is(target, "parenthesized_expression")) {
      auto k = Syntax::children(target);
      if (!k.empty()) assign(k[0], v, types);
      return;
    }
    if (Syntax::is(target, "list_splat_pattern")) {
      auto k = Syntax::children(target);
      if (!k.empty()) assign(k[0], v);
      return;
    }
    if (Syntax::is(target, "attribute")) {
      Value* obj = lower_expr(Syntax::field(target, "object"));
      Node* n = emit(kind::SetAttr, target, {obj, v}, 0);
      n->name = syn_.text(Syntax::field(target, "attribute"));
      return;
    }
    if (Syntax::is(target, "subscript")) {
      SyntaxNode base = Syntax::field(target, "value");
      Value* container = lower_expr(base);
      Value* key = lower_subscript_key(target);
      Node* n = emit(kind::SetItem, target, {container, key, v});
      if (Syntax::is(base, "identifier")) assign(base, n->output());
      return;
    }
  }

  Term lower_if(SyntaxNode st, const std::vector<SyntaxNode>& rest, size_t rest_from) {
    auto alts = Syntax::fields(st, "alternative");
    return lower_if_chain(Syntax::field(st, "condition"), Syntax::field(st, "consequence"), st, alts, 0, rest, rest_from);
  }

  Term lower_if_chain(SyntaxNode cond_node, SyntaxNode then_block, SyntaxNode at, const std::vector<SyntaxNode>& alts, size_t alt,
                      const std::vector<SyntaxNode>& rest, size_t rest_from) {
    Value* cond = lower_expr(cond_node);
    Node* n = emit(kind::If, at, {cond}, 0);
    n->text = syn_.text(cond_node).substr(0, 200);
    Block* then_b = n->add_block();
    Block* else_b = n->add_block();
    Env saved = env_;
    Block* outer = cur_;
    auto saved_regions = no_grad_stack_;

    cur_ = then_b;
    Term t_then = lower_seq(concat(Syntax::children(then_block), rest, rest_from), 0);
    Env env_then = std::move(env_);

    env_ = saved;
    no_grad_stack_ = saved_regions;
    cur_ = else_b;
    Term t_else = Term::None;
    if (alt < alts.size()) {
      SyntaxNode a = alts[alt];
      if (Syntax::is(a, "elif_clause")) {
        t_else = lower_if_chain(Syntax::field(a, "condition"), Syntax::field(a, "consequence"), a, alts, alt + 1, rest,
                                rest_from);
      } else {
        t_else = lower_seq(concat(Syntax::children(Syntax::field(a, "body")), rest, rest_from), 0);
      }
    } else {
      t_else = lower_seq(concat({}, rest, rest_from), 0);
    }
    Env env_else = std::move(env_);
    no_grad_stack_ = saved_regions;
    cur_ = outer;
    env_ = merge(n, {then_b, else_b}, {&env_then, &env_else}, std::move(saved));
    if (t_then != Term::None && t_else != Term::None) return t_then == Term::Raise ? t_else : t_then;
    return Term::None;
  }

  /// Outputs of a structured node for every variable its blocks leave different.
  /// `before`: the variables before the node (taken over as the result's start).
  Env merge(Node* n, const std::vector<Block*>& blocks, const std::vector<Env*>& envs, Env before) {
    std::set<std::string> names;
    for (Env* e : envs) {
      for (auto& [k, v] : *e) names.insert(k);
    }
    // A name's entry in `out` is still its value before the node until the name's own
    // turn below (each name is set once, after its lookup).
    Env out = std::move(before);
    for (const std::string& name : names) {
      bool same = true;
      Value* first = nullptr;
      for (Env* e : envs) {
        auto it = e->find(name);
        Value* v = it == e->end() ? nullptr : it->second;
        if (!first) first = v;
        if (v != first || !v) same = false;
      }
      auto prior = out.find(name);
      // A single block: a value it defines must leave through an output.
      if (same && blocks.size() == 1 && (prior == out.end() || prior->second != first)) same = false;
      if (same && first) {
        out[name] = first;
        continue;
      }
      for (size_t b = 0; b < blocks.size(); ++b) {
        auto it = envs[b]->find(name);
        Value* v;
        if (it != envs[b]->end()) {
          v = it->second;
        } else {
          Block* saved = cur_;
          cur_ = blocks[b];
          v = cur_->append(kind::Uninitialized, n->span())->add_output();
          cur_ = saved;
        }
        blocks[b]->add_return(v);
      }
      Value* o = n->add_output();
      o->set_debug_name(name == "$ret" ? "return" : name[0] == '$' ? name.substr(1) : name);
      // A module on every path stays a module.
      std::optional<MType> t;
      for (Env* e : envs) {
        auto it = e->find(name);
        if (it != e->end()) {
          if (auto mt = mtype(it->second)) t = mt;
        }
      }
      if (t) mtypes_[o] = *t;
      out[name] = o;
    }
    return out;
  }

  bool is_no_grad_context(SyntaxNode item_value) const {
    SyntaxNode v = item_value;
    if (Syntax::is(v, "as_pattern")) v = Syntax::children(v).empty() ? v : Syntax::children(v)[0];
    if (!Syntax::is(v, "call")) return false;
    std::string q = global_name(Syntax::field(v, "function"));
    if (q == "torch.no_grad" || q == "torch.inference_mode" || q == "torch.autograd.no_grad") return true;
    if (q == "torch.set_grad_enabled" || q == "torch.enable_grad") {
      auto args = Syntax::children(Syntax::field(v, "arguments"));
      return q == "torch.set_grad_enabled" && !args.empty() && syn_.text(args[0]) == "False";
    }
    return false;
  }

  Term lower_with(SyntaxNode st, const std::vector<SyntaxNode>& rest, size_t rest_from) {
    bool no_grad = false;
    std::string no_grad_text;
    for (SyntaxNode clause : Syntax::children(st)) {
      if (!Syntax::is(clause, "with_clause")) continue;
      for (SyntaxNode item : Syntax::children(clause)) {
        SyntaxNode v = Syntax::field(item, "value");
        if (is_no_grad_context(v)) {
          no_grad = true;
          no_grad_text = syn_.text(v);
        } else if (Syntax::is(v, "as_pattern")) {
          auto k = Syntax::children(v);
          Value* ctx = k.empty() ? opaque(v) : lower_expr(k[0]);
          for (SyntaxNode ch : k) {
            if (Syntax::is(ch, "as_pattern_target")) {
              auto t = Syntax::children(ch);
              if (!t.empty()) assign(t[0], ctx);
            }
          }
        } else {
          lower_expr(v);
        }
      }
    }
    auto body = Syntax::children(Syntax::field(st, "body"));
    if (!no_grad) return lower_seq(concat(body, rest, rest_from), 0);
    // The region is marked, not nested: an early exit inside it splits it across
    // blocks like any other code. The with statement itself, placed after the body,
    // marks where the region ends.
    Node* enter = emit(kind::NoGradEnter, st, {}, 0);
    enter->text = no_grad_text;
    enter->name = no_grad_text;
    no_grad_stack_.push_back(enter);
    region_ends_.insert(st.start_byte());
    auto seq = body;
    seq.push_back(st);
    return lower_seq(concat(seq, rest, rest_from), 0);
  }

  // ---- loops ----------------------------------------------------------------

  /// Element types of `for target in iterable` when the iterable holds modules:
  /// one entry for a plain target, one per position for enumerate/zip/items.
  std::vector<std::optional<MType>> element_types(SyntaxNode iterable, Value* lowered) {
    if (auto t = mtype(lowered)) return {element_type(*t)};
    if (!Syntax::is(iterable, "call")) return {};
    SyntaxNode fn = Syntax::field(iterable, "function");
    auto args = Syntax::children(Syntax::field(iterable, "arguments"));
    std::string q = global_name(fn);
    auto arg_type = [&](size_t i) -> std::optional<MType> {
      if (i >= args.size()) return std::nullopt;
      auto it = arg_values_.find(args[i].start_byte());
      if (it == arg_values_.end()) return std::nullopt;
      if (auto t = mtype(it->second)) return element_type(*t);
      return std::nullopt;
    };
    if (q == "builtins.enumerate") return {std::nullopt, arg_type(0)};
    if (q == "builtins.zip") {
      std::vector<std::optional<MType>> out;
      for (size_t i = 0; i < args.size(); ++i) out.push_back(arg_type(i));
      return out;
    }
    if (Syntax::is(fn, "attribute")) {
      std::string m = syn_.text(Syntax::field(fn, "attribute"));
      auto it = receiver_values_.find(iterable.start_byte());
      if (it != receiver_values_.end()) {
        if (auto t = mtype(it->second)) {
          if (m == "items") return {std::nullopt, element_type(*t)};
          if (m == "values" || m == "children" || m == "modules") return {element_type(*t)};
        }
      }
    }
    return {};
  }

  template <typename Body>
  void lower_loop(SyntaxNode at, const std::string& loop_kind, Value* iterable, Body&& body, bool leak = true) {
    Node* n = emit(kind::Loop, at, {iterable}, 0);
    n->name = loop_kind;
    n->text = syn_.text(at).substr(0, syn_.text(at).find('\n'));
    Block* b = n->add_block();
    b->add_param(loop_kind == "while" ? "cond" : "elem");
    Env saved = env_;
    std::vector<std::string> names;
    for (auto& [name, v] : env_) {
      names.push_back(name);
      n->add_input(v);
      Value* p = b->add_param(name == "$ret" ? "return" : name[0] == '$' ? name.substr(1) : name);
      if (auto t = mtype(v)) mtypes_[p] = *t;
      env_[name] = p;
    }
    Block* outer = cur_;
    cur_ = b;
    body(b->params()[0]);
    Env inner = std::move(env_);
    cur_ = outer;
    env_ = saved;
    // Keep only the carried values the body changes.
    std::vector<std::pair<std::string, Value*>> kept;
    for (size_t i = names.size(); i-- > 0;) {
      Value* p = b->params()[i + 1];
      Value* fin = inner[names[i]];
      if (fin == p) {
        p->replace_all_uses_with(saved[names[i]]);
        b->remove_param(i + 1);
        n->remove_input(i + 1);
      } else {
        kept.insert(kept.begin(), {names[i], fin});
      }
    }
    // Names first bound inside the body leak out of the loop, as in Python.
    for (auto& [name, v] : inner) {
      if (saved.count(name) || !leak) continue;
      Node* un = outer->insert_before(n, kind::Uninitialized, n->span());
      n->add_input(un->add_output());
      b->add_param(name[0] == '$' ? name.substr(1) : name);
      kept.push_back({name, v});
    }
    for (auto& [name, fin] : kept) {
      b->add_return(fin);
      Value* o = n->add_output();
      o->set_debug_name(name == "$ret" ? "return" : name[0] == '$' ? name.substr(1) : name);
      if (auto t = mtype(fin)) mtypes_[o] = *t;
      env_[name] = o;
    }
  }

  void lower_for(SyntaxNode st) {
    SyntaxNode right = Syntax::field(st, "right");
    Value* it = lower_expr(right);
    auto types = element_types(right, it);
    SyntaxNode left = Syntax::field(st, "left");
    lower_loop(st, "for", iterate(it, right), [&](Value* elem) {
      assign(left, elem, types);
      lower_seq(Syntax::children(Syntax::field(st, "body")), 0);
    });
    loop_text(syn_.text(right));
    SyntaxNode alt = Syntax::field(st, "alternative");
    if (!alt.is_null()) lower_seq(Syntax::children(Syntax::field(alt, "body")), 0);
  }

  /// Names a for loop by its iterable (`range(steps)`) rather than its header line.
  void loop_text(const std::string& t) {
    for (auto it = cur_->nodes().rbegin(); it != cur_->nodes().rend(); ++it) {
      if ((*it)->is(kind::Loop)) {
        (*it)->text = t.substr(0, 120);
        return;
      }
    }
  }

  Value* iterate(Value* iterable, SyntaxNode at) {
    Node* n = emit(kind::Iterate, at, {iterable});
    if (auto t = mtype(iterable)) mtypes_[n->output()] = *t;
    return n->output();
  }

  void lower_while(SyntaxNode st) {
    Value* cond = lower_expr(Syntax::field(st, "condition"));
    lower_loop(st, "while", cond, [&](Value*) { lower_seq(Syntax::children(Syntax::field(st, "body")), 0); });
  }

  /// [body for x in xs if c] and friends, as a loop that appends to an accumulator.
  Value* lower_comprehension(SyntaxNode comp) {
    bool dict = Syntax::is(comp, "dictionary_comprehension");
    Value* acc = emit(dict ? kind::DictConstruct : kind::ListConstruct, comp)->output();
    Env saved = env_;
    const std::string acc_name = fmt::format("$comp{}", comp_counter_++);
    env_[acc_name] = acc;
    std::vector<SyntaxNode> clauses;
    for (SyntaxNode ch : Syntax::children(comp)) {
      if (Syntax::is(ch, "for_in_clause") || Syntax::is(ch, "if_clause")) clauses.push_back(ch);
    }
    lower_clauses(comp, clauses, 0, acc_name, dict);
    Value* result = env_[acc_name];
    // Comprehension variables do not leak; mutations of outer locals would.
    Env after = std::move(env_);
    env_ = saved;
    for (auto& [k, v] : after) {
      if (saved.count(k)) env_[k] = v;
    }
    return result;
  }

  void lower_clauses(SyntaxNode comp, const std::vector<SyntaxNode>& clauses, size_t i, const std::string& acc, bool dict) {
    if (++depth_ > kMaxDepth) throw TooDeep{syn_.span(comp)};
    if (i == clauses.size()) {
      SyntaxNode body = Syntax::field(comp, "body");
      Node* n;
      if (dict) {
        Value* k = lower_expr(Syntax::field(body, "key"));
        Value* v = lower_expr(Syntax::field(body, "value"));
        n = emit(kind::SetItem, body, {env_[acc], k, v});
      } else {
        n = emit("aten::append", body, {env_[acc], lower_expr(body)});
      }
      env_[acc] = n->output();
    } else if (Syntax::is(clauses[i], "for_in_clause")) {
      SyntaxNode right = Syntax::field(clauses[i], "right");
      Value* it = lower_expr(right);
      auto types = element_types(right, it);
      SyntaxNode left = Syntax::field(clauses[i], "left");
      lower_loop(clauses[i], "for", iterate(it, right), [&](Value* elem) {
        assign(left, elem, types);
        lower_clauses(comp, clauses, i + 1, acc, dict);
      }, /*leak=*/false);
    } else {
      auto k = Syntax::children(clauses[i]);
      Value* cond = k.empty() ? opaque(clauses[i]) : lower_expr(k[0]);
      Node* n = emit(kind::If, clauses[i], {cond}, 0);
      n->text = syn_.text(clauses[i]);
      Block* tb = n->add_block();
      Block* eb = n->add_block();
      Env saved = env_;
      Block* outer = cur_;
      cur_ = tb;
      lower_clauses(comp, clauses, i + 1, acc, dict);
      Env env_then = std::move(env_);
      env_ = saved;
      Env env_else = std::move(env_);
      cur_ = outer;
      env_ = merge(n, {tb, eb}, {&env_then, &env_else}, std::move(saved));
    }
    --depth_;
  }

  // ---- expressions ------------------------------------------------------------

  Value* lower_subscript_key(SyntaxNode sub) {
    auto keys = Syntax::fields(sub, "subscript");
    if (keys.size() == 1) return lower_expr(keys[0]);
    std::vector<Value*> parts;
    for (SyntaxNode k : keys) parts.push_back(lower_expr(k));
    return emit(kind::TupleConstruct, sub, parts)->output();
  }

  Value* lower_call(SyntaxNode call) {
    SyntaxNode fn = Syntax::field(call, "function");
    SyntaxNode args_node = Syntax::field(call, "arguments");
    std::vector<std::pair<std::string, Value*>> args;
    auto lower_args = [&]() {
      if (Syntax::is(args_node, "generator_expression")) {
        args.push_back({"", lower_comprehension(args_node)});
        return;
      }
      for (SyntaxNode a : Syntax::children(args_node)) {
        Value* v;
        if (Syntax::is(a, "keyword_argument")) {
          v = lower_expr(Syntax::field(a, "value"));
          args.push_back({syn_.text(Syntax::field(a, "name")), v});
        } else if (Syntax::is(a, "list_splat") || Syntax::is(a, "dictionary_splat")) {
          auto k = Syntax::children(a);
          v = k.empty() ? opaque(a) : lower_expr(k[0]);
          args.push_back({Syntax::is(a, "list_splat") ? "*" : "**", v});
        } else {
          v = lower_expr(a);
          args.push_back({"", v});
        }
        arg_values_[a.start_byte()] = v;
      }
    };
    auto finish = [&](Node* n) {
      for (auto& [k, v] : args) n->add_input(v, k);
      n->text = syn_.text(call).substr(0, 120);
      return n->add_output();
    };

    std::string q = global_name(fn);
    if (!q.empty()) {  // torch.cat, F.relu, random.random, a project function or class
      lower_args();
      Node* n = emit(kind::CallFunction, call, {}, 0);
      n->name = q[0] == '?' ? q.substr(1) : q;
      // Project classes and functions by their one canonical name, whatever the import path.
      if (auto c = im_.index.find_class(q)) n->name = c->qualified;
      else if (auto f = im_.index.find_function(q)) n->name = f->qualified;
      return finish(n);
    }
    if (Syntax::is(fn, "attribute")) {
      std::string method = syn_.text(Syntax::field(fn, "attribute"));
      SyntaxNode obj = Syntax::field(fn, "object");
      Value* recv = lower_expr(obj);
      receiver_values_[call.start_byte()] = recv;
      lower_args();
      auto rt = mtype(recv);
      Node* n;
      if (rt) {
        bool self_method = rt->cls && im_.find_method_owner(rt->cls, method) && !im_.find_attr(rt->cls, method);
        if (self_method || !attr_type(*rt, method)) {
          n = emit(kind::CallMethod, call, {recv}, 0);
          n->name = method;
        } else {
          Node* get = emit(kind::GetAttr, fn, {recv});
          get->name = method;
          mtypes_[get->output()] = *attr_type(*rt, method);
          n = emit(kind::CallMethod, call, {get->output()}, 0);
          n->name = "forward";
        }
        return finish(n);
      }
      n = emit("aten::" + method, call, {recv}, 0);
      Value* out = finish(n);
      if (mutates_receiver(method) && Syntax::is(obj, "identifier") && is_local(syn_.text(obj))) {
        env_[syn_.text(obj)] = out;
        out->set_debug_name(syn_.text(obj));
      }
      return out;
    }
    Value* callee = lower_expr(fn);
    lower_args();
    Node* n;
    if (mtype(callee)) {
      n = emit(kind::CallMethod, call, {callee}, 0);
      n->name = "forward";
    } else {
      n = emit(kind::CallValue, call, {callee}, 0);
    }
    return finish(n);
  }

  std::optional<ir::Constant> literal(SyntaxNode n) const { return syn_.literal(n); }

  Value* lower_expr(SyntaxNode e) {
    if (++depth_ > kMaxDepth) throw TooDeep{syn_.span(e)};
    Value* v = lower_expr_inner(e);
    --depth_;
    return v;
  }

  Value* lower_expr_inner(SyntaxNode e) {
    if (e.is_null()) return constant(ir::NoneConst{}, {});
    if (auto c = literal(e)) return constant(*c, syn_.span(e));
    if (Syntax::is(e, "identifier")) {
      std::string name = syn_.text(e);
      auto it = env_.find(name);
      if (it != env_.end()) return it->second;
      std::string q = im_.index.qualify(u_, name);
      if (auto g = im_.index.find_global(q)) {  // a module-level constant
        if (auto c = literal(g->node); c && g->unit == &u_) return constant(*c, syn_.span(e));
        Node* n = emit(kind::Global, e);
        n->name = g->qualified;
        n->text = name;
        const auto& file = im_.program.files[static_cast<size_t>(g->unit->file)];
        Syntax gs(file.text, g->unit->file);
        SyntaxNode stmt = g->node.parent();
        im_.program.globals.emplace(g->qualified, gs.span(stmt.is_null() ? g->node : stmt));
        return n->output();
      }
      return opaque(e, q[0] == '?' ? q.substr(1) : q);
    }
    if (Syntax::is(e, "attribute")) {
      std::string q = global_name(e);
      if (!q.empty() && q[0] != '?') return opaque(e, q);
      Value* obj = lower_expr(Syntax::field(e, "object"));
      std::string name = syn_.text(Syntax::field(e, "attribute"));
      Node* n = emit(kind::GetAttr, e, {obj});
      n->name = name;
      n->text = syn_.text(e).substr(0, 120);
      if (auto t = mtype(obj)) {
        if (auto at = attr_type(*t, name)) mtypes_[n->output()] = *at;
      }
      return n->output();
    }
    if (Syntax::is(e, "call")) return lower_call(e);
    if (Syntax::is(e, "parenthesized_expression")) {
      auto k = Syntax::children(e);
      return k.empty() ? opaque(e) : lower_expr(k[0]);
    }
    if (Syntax::is(e, "subscript")) {
      Value* base = lower_expr(Syntax::field(e, "value"));
      Value* key = lower_subscript_key(e);
      Node* n = emit(kind::GetItem, e, {base, key});
      n->text = syn_.text(e).substr(0, 120);
      if (auto t = mtype(base)) {
        auto keys = Syntax::fields(e, "subscript");
        std::optional<ir::Constant> c = keys.size() == 1 ? literal(keys[0]) : std::nullopt;
        std::optional<MType> et;
        if (c && std::holds_alternative<std::string>(*c)) et = attr_type(*t, std::get<std::string>(*c));
        if (c && std::holds_alternative<int64_t>(*c)) et = attr_type(*t, std::to_string(std::get<int64_t>(*c)));
        if (!et) et = element_type(*t);
        if (et) mtypes_[n->output()] = *et;
      }
      return n->output();
    }
    if (Syntax::is(e, "slice")) {
      std::vector<Value*> parts;
      for (SyntaxNode k : Syntax::children(e)) parts.push_back(lower_expr(k));
      Node* n = emit("prim::slice", e, parts);
      return n->output();
    }
    if (Syntax::is(e, "binary_operator")) {
      Value* l = lower_expr(Syntax::field(e, "left"));
      Value* r = lower_expr(Syntax::field(e, "right"));
      return emit(binary_op(syn_.text(Syntax::field(e, "operator"))), e, {l, r})->output();
    }
    if (Syntax::is(e, "unary_operator")) {
      std::string op = syn_.text(Syntax::field(e, "operator"));
      Value* a = lower_expr(Syntax::field(e, "argument"));
      if (op == "+") return a;
      return emit(op == "-" ? "aten::neg" : "aten::bitwise_not", e, {a})->output();
    }
    if (Syntax::is(e, "not_operator")) {
      Node* n = emit(kind::Not, e, {lower_expr(Syntax::field(e, "argument"))});
      n->text = syn_.text(e).substr(0, 120);
      return n->output();
    }
    if (Syntax::is(e, "boolean_operator")) {
      Value* l = lower_expr(Syntax::field(e, "left"));
      Value* r = lower_expr(Syntax::field(e, "right"));
      std::string op = syn_.text(Syntax::field(e, "operator"));
      Node* n = emit(op == "and" ? kind::And : kind::Or, e, {l, r});
      n->text = syn_.text(e).substr(0, 120);
      return n->output();
    }
    if (Syntax::is(e, "comparison_operator")) {
      auto operands = Syntax::children(e);
      auto ops = Syntax::fields(e, "operators");
      std::vector<Value*> vals;
      for (SyntaxNode o : operands) vals.push_back(lower_expr(o));
      Value* result = nullptr;
      for (size_t i = 0; i < ops.size() && i + 1 < vals.size(); ++i) {
        std::string op = ops[i].type();
        Value* c;
        std::string part = syn_.text(operands[i]) + " " + op + " " + syn_.text(operands[i + 1]);
        Node* cn;
        if (op == "in") {
          cn = emit("aten::__contains__", e, {vals[i + 1], vals[i]});
        } else if (op == "not in") {
          Node* inner = emit("aten::__contains__", e, {vals[i + 1], vals[i]});
          inner->text = syn_.text(operands[i]) + " in " + syn_.text(operands[i + 1]);
          cn = emit(kind::Not, e, {inner->output()});
        } else {
          cn = emit(compare_op(op), e, {vals[i], vals[i + 1]});
        }
        cn->text = part.substr(0, 120);
        c = cn->output();
        result = result ? emit(kind::And, e, {result, c})->output() : c;
      }
      return result ? result : opaque(e);
    }
    if (Syntax::is(e, "conditional_expression")) {
      auto k = Syntax::children(e);
      if (k.size() != 3) return opaque(e);
      Value* cond = lower_expr(k[1]);
      Node* n = emit(kind::If, k[1], {cond}, 0);
      n->text = syn_.text(k[1]).substr(0, 200);
      Block* tb = n->add_block();
      Block* eb = n->add_block();
      Block* outer = cur_;
      cur_ = tb;
      Value* a = lower_expr(k[0]);
      tb->add_return(a);
      cur_ = eb;
      Value* b = lower_expr(k[2]);
      eb->add_return(b);
      cur_ = outer;
      Value* o = n->add_output();
      auto ta = mtype(a), tb2 = mtype(b);
      if (ta || tb2) mtypes_[o] = ta ? *ta : *tb2;
      return o;
    }
    if (Syntax::is(e, "tuple") || Syntax::is(e, "expression_list") || Syntax::is(e, "list") || Syntax::is(e, "set")) {
      std::vector<std::pair<std::string, Value*>> parts;
      for (SyntaxNode k : Syntax::children(e)) {
        if (Syntax::is(k, "list_splat") || Syntax::is(k, "parenthesized_list_splat")) {
          auto kk = Syntax::children(k);
          parts.push_back({"*", kk.empty() ? opaque(k) : lower_expr(kk[0])});
        } else {
          parts.push_back({"", lower_expr(k)});
        }
      }
      Node* n = emit(Syntax::is(e, "list") || Syntax::is(e, "set") ? kind::ListConstruct : kind::TupleConstruct, e, {}, 0);
      for (auto& [k, v] : parts) n->add_input(v, k);
      return n->add_output();
    }
    if (Syntax::is(e, "dictionary")) {
      std::vector<std::pair<std::string, Value*>> parts;
      for (SyntaxNode p : Syntax::children(e)) {
        if (Syntax::is(p, "pair")) {
          parts.push_back({"", lower_expr(Syntax::field(p, "key"))});
          parts.push_back({"", lower_expr(Syntax::field(p, "value"))});
        } else if (Syntax::is(p, "dictionary_splat")) {
          auto kk = Syntax::children(p);
          parts.push_back({"**", kk.empty() ? opaque(p) : lower_expr(kk[0])});
        }
      }
      Node* n = emit(kind::DictConstruct, e, {}, 0);
      for (auto& [k, v] : parts) n->add_input(v, k);
      return n->add_output();
    }
    if (Syntax::is(e, "list_comprehension") || Syntax::is(e, "set_comprehension") ||
        Syntax::is(e, "generator_expression") || Syntax::is(e, "dictionary_comprehension")) {
      return lower_comprehension(e);
    }
    if (Syntax::is(e, "named_expression")) {
      Value* v = lower_expr(Syntax::field(e, "value"));
      assign(Syntax::field(e, "name"), v);
      return v;
    }
    if (Syntax::is(e, "await")) {
      auto k = Syntax::children(e);
      return k.empty() ? opaque(e) : lower_expr(k[0]);
    }
    if (Syntax::is(e, "concatenated_string")) {
      std::string s;
      for (SyntaxNode k : Syntax::children(e)) {
        auto c = literal(k);
        if (!c || !std::holds_alternative<std::string>(*c)) return opaque(e, "str");
        s += std::get<std::string>(*c);
      }
      return constant(s, syn_.span(e));
    }
    if (Syntax::is(e, "string")) return opaque(e, "str");  // an f-string
    if (Syntax::is(e, "lambda")) return opaque(e, "lambda");
    return opaque(e);
  }

  Frontend::Impl& im_;
  const Unit& u_;
  Syntax syn_;
  const ir::ClassInfo* cls_;
  ir::Graph& g_;
  Block* cur_;
  Env env_;
  std::map<const Value*, MType> mtypes_;
  std::map<uint32_t, Value*> arg_values_;       ///< lowered call arguments by start byte
  std::map<uint32_t, Value*> receiver_values_;  ///< lowered method receivers by call start byte
  int depth_ = 0;
  int comp_counter_ = 0;
  std::vector<Node*> no_grad_stack_;   ///< open no_grad regions (innermost last)
  std::set<uint32_t> region_ends_;     ///< with statements used as region-end markers
};

}  // namespace

void Frontend::Impl::lower_class_methods(ir::ClassInfo& info, const Unit& u, SyntaxNode class_node) {
  Syntax syn(program.files[static_cast<size_t>(u.file)].text, u.file);
  for (SyntaxNode m : class_methods(class_node)) {
    // __init__'s facts come from its syntax tree (module_facts.cpp); its graph is only
    // for `ddplint lower`.
    if (!lower_init && syn.text(Syntax::field(m, "name")) == "__init__" && !mentions_ddp(u, m)) continue;
    auto method = std::make_unique<ir::Method>();
    SyntaxNode parent = m.parent();
    if (Syntax::is(parent, "decorated_definition")) {
      for (SyntaxNode d : Syntax::children(parent)) {
        if (!Syntax::is(d, "decorator")) continue;
        auto k = Syntax::children(d);
        if (k.empty()) continue;
        SyntaxNode target = Syntax::is(k[0], "call") ? Syntax::field(k[0], "function") : k[0];
        std::string q = index.qualify(u, syn.dotted(target));
        if (q == "torch.no_grad" || q == "torch.inference_mode" || q == "torch.autograd.no_grad") {
          method->no_grad = syn.span(d);
        }
      }
    }
    method->name = syn.text(Syntax::field(m, "name"));
    method->span = syn.span(Syntax::field(m, "name"));
    method->graph = std::make_unique<ir::Graph>();
    Lowerer lw(*this, u, &info, *method->graph);
    lw.lower(m, method->param_names, method->param_defaults);
    info.methods.push_back(std::move(method));
  }
}

void Frontend::Impl::lower_module_body(const Unit& u) {
  auto f = std::make_unique<ir::Function>();
  f->qualified_name = u.module_name.empty() ? "<module>" : u.module_name + ".<module>";
  f->graph = std::make_unique<ir::Graph>();
  f->module_body = true;
  Lowerer lw(*this, u, nullptr, *f->graph);
  lw.lower_module(u.tree->root());
  if (f->graph->block()->nodes().size() > 1) program.functions.push_back(std::move(f));
}

void Frontend::Impl::lower_function(const Unit& u, const std::string& name, SyntaxNode fn) {
  Syntax syn(program.files[static_cast<size_t>(u.file)].text, u.file);
  auto f = std::make_unique<ir::Function>();
  f->qualified_name = u.module_name.empty() ? name : u.module_name + "." + name;
  f->span = syn.span(Syntax::field(fn, "name"));
  f->graph = std::make_unique<ir::Graph>();
  Lowerer lw(*this, u, nullptr, *f->graph);
  lw.lower(fn, f->param_names, f->param_defaults);
  f->returns_module = function_returns_module(f->qualified_name);
  program.functions.push_back(std::move(f));
}

}  // namespace ddplint::frontend::python

// Module-level facts of an nn.Module subclass, read from its __init__ (and the
// helper methods __init__ calls): which attributes are submodules and how each is
// built, parameters and their trainability, buffers, configuration constants, and
// what __init__ freezes.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "lint/frontend/python/impl.h"

namespace ddplint::frontend::python {
namespace {

bool is_self_attr(const Syntax& syn, SyntaxNode n, std::string& name) {
  if (!Syntax::is(n, "attribute")) return false;
  SyntaxNode obj = Syntax::field(n, "object");
  if (!Syntax::is(obj, "identifier") || syn.text(obj) != "self") return false;
  name = syn.text(Syntax::field(n, "attribute"));
  return true;
}

/// "self.a.b" -> "a.b"; "" when `n` is not an attribute chain rooted at self.
std::string self_path(const Syntax& syn, SyntaxNode n) {
  std::string d = syn.dotted(n);
  if (d.rfind("self.", 0) != 0) return d == "self" ? "" : std::string();
  return d.substr(5);
}

std::optional<ir::Constant> literal(const Syntax& syn, SyntaxNode n) { return syn.literal(n); }

struct Scope {
  /// Every assignment to a local, in source order: (value, end of the statement).
  std::map<std::string, std::vector<std::pair<SyntaxNode, uint32_t>>> locals;
  /// The value `name` holds where `use` is: the last assignment that ends before it
  /// (so `x = wrap(x)` reads the x assigned earlier).
  std::optional<SyntaxNode> binding(const std::string& name, SyntaxNode use) const {
    auto it = locals.find(name);
    if (it == locals.end()) return std::nullopt;
    uint32_t at = use.start_byte();
    for (auto r = it->second.rbegin(); r != it->second.rend(); ++r) {
      if (r->second <= at) return r->first;
    }
    return std::nullopt;
  }
  struct Append {
    SyntaxNode expr;
    bool in_loop;
    bool extend;  ///< `.extend(list)`: expr is a list of modules
  };
  std::map<std::string, std::vector<Append>> appends;
  struct Param {
    std::string annotation, default_text;
    SyntaxNode default_node{};
  };
  std::map<std::string, Param> params;
};

using Conds = std::vector<std::string>;

class FactsBuilder {
 public:
  FactsBuilder(Frontend::Impl& im, const Unit& u, ir::ClassInfo* info)
      : im_(im), u_(u), syn_(im.program.files[static_cast<size_t>(u.file)].text, u.file), info_(info) {}

  void read_params(SyntaxNode fn, Scope& scope) {
    for (SyntaxNode p : Syntax::children(Syntax::field(fn, "parameters"))) {
      Scope::Param param;
      std::string name;
      if (Syntax::is(p, "identifier")) {
        name = syn_.text(p);
      } else if (Syntax::is(p, "default_parameter") || Syntax::is(p, "typed_default_parameter")) {
        name = syn_.text(Syntax::field(p, "name"));
        param.default_text = syn_.text(Syntax::field(p, "value"));
        param.default_node = Syntax::field(p, "value");
        param.annotation = syn_.text(Syntax::field(p, "type"));
      } else if (Syntax::is(p, "typed_parameter")) {
        for (SyntaxNode ch : Syntax::children(p)) {
          if (Syntax::is(ch, "identifier")) name = syn_.text(ch);
        }
        param.annotation = syn_.text(Syntax::field(p, "type"));
      }
      if (!name.empty()) scope.params[name] = param;
    }
  }

  /// Collects local bindings of a function body (last assignment wins) and appends.
  void read_locals(SyntaxNode block, Scope& scope, bool in_loop, int depth) {
    if (depth > kMaxDepth) throw TooDeep{syn_.span(block)};
    for (SyntaxNode st : Syntax::children(block)) {
      if (Syntax::is(st, "expression_statement")) {
        for (SyntaxNode e : Syntax::children(st)) {
          if (Syntax::is(e, "assignment")) {
            SyntaxNode l = Syntax::field(e, "left"), r = Syntax::field(e, "right");
            if (Syntax::is(l, "identifier") && !r.is_null()) {
              scope.locals[syn_.text(l)].push_back({r, e.end_byte()});
            }
          } else if (Syntax::is(e, "call")) {
            SyntaxNode f = Syntax::field(e, "function");
            if (Syntax::is(f, "attribute") && Syntax::is(Syntax::field(f, "object"), "identifier")) {
              std::string m = syn_.text(Syntax::field(f, "attribute"));
              std::string obj = syn_.text(Syntax::field(f, "object"));
              auto args = Syntax::children(Syntax::field(e, "arguments"));
              if ((m == "append" || m == "extend") && !args.empty()) {
                scope.appends[obj].push_back({args[0], in_loop, m == "extend"});
              }
            }
          }
        }
      }
      for (SyntaxNode b : {Syntax::field(st, "body"), Syntax::field(st, "consequence")}) {
        if (!b.is_null() && Syntax::is(b, "block")) {
          bool loop = in_loop || Syntax::is(st, "for_statement") || Syntax::is(st, "while_statement");
          read_locals(b, scope, loop, depth + 1);
        }
      }
      for (SyntaxNode alt : Syntax::fields(st, "alternative")) {
        SyntaxNode b = Syntax::field(alt, "body");
        if (b.is_null()) b = Syntax::field(alt, "consequence");
        if (!b.is_null()) read_locals(b, scope, in_loop, depth + 1);
      }
    }
  }

  std::map<std::string, std::string> call_args(SyntaxNode call) {
    std::map<std::string, std::string> out;
    int pos = 0;
    for (SyntaxNode a : Syntax::children(Syntax::field(call, "arguments"))) {
      if (Syntax::is(a, "keyword_argument")) {
        out[syn_.text(Syntax::field(a, "name"))] = syn_.text(Syntax::field(a, "value"));
      } else if (!Syntax::is(a, "list_splat") && !Syntax::is(a, "dictionary_splat")) {
        out[std::to_string(pos++)] = syn_.text(a);
      }
    }
    return out;
  }

  using Children = std::vector<ir::ModuleChild>;

  std::optional<Children> eval_list(SyntaxNode n, const Scope& scope, int depth) {
    if (depth > 24 || n.is_null()) return std::nullopt;
    if (Syntax::is(n, "parenthesized_expression")) return eval_list(Syntax::children(n).at(0), scope, depth + 1);
    if (Syntax::is(n, "list") || Syntax::is(n, "tuple")) {
      Children out;
      for (SyntaxNode e : Syntax::children(n)) {
        if (Syntax::is(e, "list_splat")) {
          auto inner = eval_list(Syntax::children(e).at(0), scope, depth + 1);
          if (!inner) return std::nullopt;
          for (auto& c : *inner) out.push_back(std::move(c));
          continue;
        }
        bool opt = false;
        auto m = eval_module(e, scope, depth + 1, opt);
        // Keep positions: `for a, b, c in self.layers` unpacks by index.
        out.push_back({"", m ? std::move(*m) : opaque(e, "an element ddplint cannot resolve")});
      }
      number(out);
      return out;
    }
    if (Syntax::is(n, "list_comprehension") || Syntax::is(n, "generator_expression")) {
      bool opt = false;
      auto m = eval_module(Syntax::field(n, "body"), scope, depth + 1, opt);
      if (!m) return std::nullopt;
      return Children{{"*", std::move(*m)}};
    }
    if (Syntax::is(n, "binary_operator") && syn_.text(Syntax::field(n, "operator")) == "*") {
      auto inner = eval_list(Syntax::field(n, "left"), scope, depth + 1);
      if (!inner || inner->empty()) return std::nullopt;
      return Children{{"*", std::move(inner->front().second)}};
    }
    if (Syntax::is(n, "call")) {
      std::string q = im_.index.qualify(u_, syn_.dotted(Syntax::field(n, "function")));
      auto args = Syntax::children(Syntax::field(n, "arguments"));
      if ((q == "builtins.list" || q == "builtins.tuple") && args.size() == 1) return eval_list(args[0], scope, depth + 1);
      return std::nullopt;
    }
    if (Syntax::is(n, "identifier")) {
      std::string name = syn_.text(n);
      auto bound = scope.binding(name, n);
      if (!bound) return std::nullopt;
      auto base = eval_list(*bound, scope, depth + 1);
      if (!base) return std::nullopt;
      auto ap = scope.appends.find(name);
      if (ap != scope.appends.end()) {
        for (const auto& a : ap->second) {
          if (a.extend) {
            auto more = eval_list(a.expr, scope, depth + 1);
            if (!more) continue;
            for (auto& [n, m] : *more) base->push_back({a.in_loop || n == "*" ? "*" : "", std::move(m)});
            continue;
          }
          bool opt = false;
          auto m = eval_module(a.expr, scope, depth + 1, opt);
          if (!m) continue;
          base->push_back({a.in_loop ? "*" : "", std::move(*m)});
        }
      }
      number(*base);
      return base;
    }
    return std::nullopt;
  }

  static void number(Children& c) {
    int i = 0;
    for (auto& [name, m] : c) {
      if (name.empty()) name = std::to_string(i);
      if (name != "*") ++i;
    }
  }

  ir::ModuleExpr container(const std::string& kind, SyntaxNode call, const Scope& scope, int depth) {
    ir::ModuleExpr m;
    m.kind = ir::ModuleExpr::Kind::Container;
    m.class_name = kind;
    m.container_kind = kind;
    m.span = syn_.span(call);
    auto args = Syntax::children(Syntax::field(call, "arguments"));
    std::vector<SyntaxNode> positional;
    for (SyntaxNode a : args) {
      if (!Syntax::is(a, "keyword_argument")) positional.push_back(a);
    }
    bool known = true;
    if (kind == "torch.nn.ModuleDict" || (kind == "torch.nn.Sequential" && positional.size() == 1 &&
                                          (Syntax::is(positional[0], "dictionary") || Syntax::is(positional[0], "call")) &&
                                          !eval_single(positional[0], scope, depth))) {
      if (!positional.empty()) {
        SyntaxNode d = positional[0];
        if (Syntax::is(d, "call")) {  // OrderedDict([("a", m), ...]) / dict(a=m, ...)
          auto inner = Syntax::children(Syntax::field(d, "arguments"));
          bool keywords = !inner.empty() && Syntax::is(inner[0], "keyword_argument");
          if (keywords) {
            for (SyntaxNode kw : inner) {
              if (!Syntax::is(kw, "keyword_argument")) continue;
              bool opt = false;
              auto v = eval_module(Syntax::field(kw, "value"), scope, depth + 1, opt);
              if (v) m.children.push_back({syn_.text(Syntax::field(kw, "name")), std::move(*v)});
            }
            d = SyntaxNode{};
          } else {
            d = inner.empty() ? SyntaxNode{} : inner[0];
          }
        }
        if (Syntax::is(d, "dictionary")) {
          for (SyntaxNode pair : Syntax::children(d)) {
            if (!Syntax::is(pair, "pair")) continue;
            bool opt = false;
            auto v = eval_module(Syntax::field(pair, "value"), scope, depth + 1, opt);
            auto key = literal(syn_, Syntax::field(pair, "key"));
            std::string name = key && std::holds_alternative<std::string>(*key) ? std::get<std::string>(*key) : "*";
            if (v) m.children.push_back({name, std::move(*v)});
          }
        } else if (Syntax::is(d, "dictionary_comprehension")) {
          SyntaxNode pair = Syntax::field(d, "body");
          bool opt = false;
          auto v = eval_module(Syntax::field(pair, "value"), scope, depth + 1, opt);
          if (v) m.children.push_back({"*", std::move(*v)});
          else known = false;
        } else if (Syntax::is(d, "list")) {  // OrderedDict([("a", m), ...])
          for (SyntaxNode t : Syntax::children(d)) {
            auto parts = Syntax::children(t);
            if (!Syntax::is(t, "tuple") || parts.size() != 2) continue;
            bool opt = false;
            auto v = eval_module(parts[1], scope, depth + 1, opt);
            auto key = literal(syn_, parts[0]);
            std::string name = key && std::holds_alternative<std::string>(*key) ? std::get<std::string>(*key) : "*";
            if (v) m.children.push_back({name, std::move(*v)});
          }
        } else if (!d.is_null()) {
          known = false;
        }
      }
    } else if (kind == "torch.nn.ModuleList") {
      if (!positional.empty()) {
        auto c = eval_list(positional[0], scope, depth + 1);
        if (c) m.children = std::move(*c);
        else known = false;
      }
    } else {  // Sequential(a, b, *rest)
      for (SyntaxNode a : positional) {
        if (Syntax::is(a, "list_splat")) {
          auto c = eval_list(Syntax::children(a).at(0), scope, depth + 1);
          if (!c) {
            known = false;
            continue;
          }
          for (auto& ch : *c) m.children.push_back({ch.first == "*" ? "*" : "", std::move(ch.second)});
        } else {
          bool opt = false;
          auto c = eval_module(a, scope, depth + 1, opt);
          if (c) m.children.push_back({"", std::move(*c)});
          else m.children.push_back({"", opaque(a, "not a module ddplint recognises")});
        }
      }
      number(m.children);
    }
    if (!known) {
      m.children.push_back({"*", opaque(call, "children built at runtime")});
    }
    return m;
  }

  bool eval_single(SyntaxNode n, const Scope& scope, int depth) {
    bool opt = false;
    return eval_module(n, scope, depth + 1, opt).has_value();
  }

  ir::ModuleExpr opaque(SyntaxNode n, std::string why) {
    ir::ModuleExpr m;
    m.kind = ir::ModuleExpr::Kind::Opaque;
    m.why_opaque = std::move(why);
    m.span = syn_.span(n);
    return m;
  }

  /// What module `n` builds, or nullopt when it is not a module. `optional` is set
  /// when it may be None.
  std::optional<ir::ModuleExpr> eval_module(SyntaxNode n, const Scope& scope, int depth, bool& optional) {
    if (depth > 24 || n.is_null()) return std::nullopt;
    if (Syntax::is(n, "parenthesized_expression")) {
      auto k = Syntax::children(n);
      return k.empty() ? std::nullopt : eval_module(k[0], scope, depth + 1, optional);
    }
    if (Syntax::is(n, "conditional_expression")) {
      auto k = Syntax::children(n);
      if (k.size() != 3) return std::nullopt;
      bool oa = false, ob = false;
      auto a = eval_module(k[0], scope, depth + 1, oa);
      auto b = eval_module(k[2], scope, depth + 1, ob);
      if (Syntax::is(k[0], "none") && b) {
        optional = true;
        return b;
      }
      if (Syntax::is(k[2], "none") && a) {
        optional = true;
        return a;
      }
      if (a && b) {
        optional = oa || ob;
        if (a->kind == b->kind && a->class_name == b->class_name) return a;
        return opaque(n, "one of two modules, chosen at construction");
      }
      return std::nullopt;
    }
    if (Syntax::is(n, "call")) {
      SyntaxNode fn = Syntax::field(n, "function");
      std::string path;
      if (info_ && is_self_attr(syn_, fn, path)) {  // self._make_layer(...)
        return method_returns(path, depth + 1, optional);
      }
      if (Syntax::is(fn, "identifier") && (scope.locals.count(syn_.text(fn)) || scope.params.count(syn_.text(fn)))) {
        // A module class passed around as a value: `norm_layer(planes)` with
        // `norm_layer=nn.BatchNorm2d`, `partial(nn.LayerNorm, eps=1e-6)`, `block(...)`.
        if (auto m = eval_callable(fn, scope, depth + 1)) {
          ir::ModuleExpr e = std::move(*m);
          e.span = syn_.span(n);
          if (e.kind == ir::ModuleExpr::Kind::Class) {
            auto extra = call_args(n);
            e.args.insert(extra.begin(), extra.end());
          }
          return e;
        }
        return std::nullopt;
      }
      std::string q = im_.index.qualify(u_, syn_.dotted(fn));
      if (q.empty()) return std::nullopt;
      if (q == "torch.nn.Sequential" || q == "torch.nn.ModuleList" || q == "torch.nn.ModuleDict") {
        return container(q, n, scope, depth);
      }
      ir::ModuleExpr m;
      m.span = syn_.span(n);
      m.args = call_args(n);
      if (is_torch_nn_module_name(q)) {
        m.kind = ir::ModuleExpr::Kind::Class;
        m.class_name = q;
        return m;
      }
      if (auto def = im_.index.find_class(q)) {
        if (!im_.is_module_class(def->qualified)) return std::nullopt;
        // class TimestepEmbedSequential(nn.Sequential): its constructor arguments are its children.
        if (std::string base = im_.container_base(def->qualified); !base.empty()) {
          ir::ModuleExpr c = container(base, n, scope, depth);
          c.class_name = def->qualified;
          return c;
        }
        m.kind = ir::ModuleExpr::Kind::Class;
        m.class_name = def->qualified;
        return m;
      }
      if (im_.index.find_function(q)) {
        auto r = im_.function_returns_module(im_.index.find_function(q)->qualified);
        if (r) {
          ir::ModuleExpr copy = *r;
          copy.span = syn_.span(n);
          return copy;
        }
        return std::nullopt;
      }
      // Wrappers that return the module they are given (with reparametrized weights).
      if (q == "torch.nn.utils.weight_norm" || q == "torch.nn.utils.spectral_norm" ||
          q == "torch.nn.utils.parametrizations.weight_norm" || q == "torch.nn.utils.parametrizations.spectral_norm" ||
          q == "torch.nn.utils.parametrizations.orthogonal" || q == "torch.nn.SyncBatchNorm.convert_sync_batchnorm") {
        auto args = Syntax::children(Syntax::field(n, "arguments"));
        if (!args.empty() && !Syntax::is(args[0], "keyword_argument")) return eval_module(args[0], scope, depth + 1, optional);
      }
      if (q == "copy.deepcopy") {
        auto args = Syntax::children(Syntax::field(n, "arguments"));
        if (!args.empty()) return eval_module(args[0], scope, depth + 1, optional);
      }
      // A model built by a function outside the project (timm.create_model,
      // torchvision.models.resnet50, AutoModel.from_pretrained): possibly a module,
      // whose parameters ddplint cannot see. Taking it for configuration would let
      // DDP201 call the model fully resolved.
      {
        std::string root = q[0] == '?' ? "" : q.substr(0, q.find('.'));
        static const std::set<std::string> kPlain = {"torch", "builtins", "math", "numpy", "np", "random", "os",
                                                     "sys", "collections", "functools", "itertools", "typing",
                                                     "copy", "re", "json", "logging", "warnings", "einops",
                                                     "dataclasses", "enum", "pathlib", "time", "inspect"};
        static const std::set<std::string> kZoos = {"torchvision", "timm", "transformers", "diffusers", "torchaudio",
                                                    "open_clip", "segmentation_models_pytorch", "detectron2",
                                                    "mmdet", "mmseg", "mmcv", "torchtext", "lightly", "peft"};
        std::string fname = q.substr(q.rfind('.') + 1);
        bool factory = kZoos.count(root) || root == "hydra" || fname == "instantiate" || fname == "from_pretrained" ||
                       fname.rfind("create_", 0) == 0 || fname.rfind("get_", 0) == 0 || fname.rfind("load_", 0) == 0 ||
                       fname.rfind("build_", 0) == 0 || fname.find("model") != std::string::npos ||
                       fname.find("backbone") != std::string::npos || fname.find("encoder") != std::string::npos;
        if (!root.empty() && !kPlain.count(root) && !im_.index.find_global(q) && factory) {
          return opaque(n, fmt::format("built by `{}`, outside the project", syn_.dotted(fn)));
        }
      }
      // A class from outside the project and outside torch.nn (timm, a fork of a
      // block): a module whose parameters ddplint cannot see.
      std::string last = q.substr(q.rfind('.') + 1);
      bool capital = !last.empty() && std::isupper(static_cast<unsigned char>(last[0]));
      bool torch_other = q.rfind("torch.", 0) == 0 || q.rfind("builtins.", 0) == 0 || q.rfind("?torch", 0) == 0;
      if (capital && !torch_other && !im_.index.find_global(q)) {
        bool all_caps = std::all_of(last.begin(), last.end(), [](char c) { return !std::islower(static_cast<unsigned char>(c)); });
        if (!all_caps) return opaque(n, fmt::format("`{}` is not defined in the linted files", syn_.dotted(fn)));
      }
      return std::nullopt;
    }
    if (Syntax::is(n, "identifier")) {
      std::string name = syn_.text(n);
      if (auto bound = scope.binding(name, n)) return eval_module(*bound, scope, depth + 1, optional);
      auto p = scope.params.find(name);
      if (p != scope.params.end() && p->second.annotation.find("Module") != std::string::npos) {
        optional = optional || p->second.default_text == "None" || p->second.annotation.find("Optional") != std::string::npos;
        return opaque(n, fmt::format("passed in as constructor argument `{}`", name));
      }
    }
    return std::nullopt;
  }

  /// The module class a callable value stands for, when it names one.
  std::optional<ir::ModuleExpr> eval_callable(SyntaxNode f, const Scope& scope, int depth) {
    if (depth > 24 || f.is_null()) return std::nullopt;
    if (Syntax::is(f, "identifier")) {
      std::string name = syn_.text(f);
      auto bound = scope.binding(name, f);
      if (bound) {
        if (auto r = eval_callable(*bound, scope, depth + 1)) return r;
      }
      auto p = scope.params.find(name);
      if (p != scope.params.end()) {
        if (auto r = eval_callable(p->second.default_node, scope, depth + 1)) return r;
        return opaque(f, fmt::format("built by the callable `{}` passed to the constructor", name));
      }
      if (bound) return std::nullopt;
    }
    if (Syntax::is(f, "boolean_operator")) {  // norm_layer or nn.LayerNorm
      if (auto r = eval_callable(Syntax::field(f, "right"), scope, depth + 1)) return r;
      return eval_callable(Syntax::field(f, "left"), scope, depth + 1);
    }
    if (Syntax::is(f, "call")) {  // partial(nn.LayerNorm, eps=1e-6)
      std::string q = im_.index.qualify(u_, syn_.dotted(Syntax::field(f, "function")));
      auto args = Syntax::children(Syntax::field(f, "arguments"));
      if ((q == "functools.partial" || q == "?partial") && !args.empty()) {
        auto r = eval_callable(args[0], scope, depth + 1);
        if (r && r->kind == ir::ModuleExpr::Kind::Class) {
          auto extra = call_args(f);
          for (auto& [k, v] : extra) {
            if (k != "0") r->args[k] = v;
          }
        }
        return r;
      }
      return std::nullopt;
    }
    std::string d = syn_.dotted(f);
    if (d.empty()) return std::nullopt;
    std::string q = im_.index.qualify(u_, d);
    ir::ModuleExpr m;
    m.span = syn_.span(f);
    if (is_torch_nn_module_name(q)) {
      m.kind = ir::ModuleExpr::Kind::Class;
      m.class_name = q;
      return m;
    }
    if (auto def = im_.index.find_class(q)) {
      if (!im_.is_module_class(def->qualified)) return std::nullopt;
      m.kind = ir::ModuleExpr::Kind::Class;
      m.class_name = def->qualified;
      return m;
    }
    return std::nullopt;
  }

  std::optional<ir::ModuleExpr> method_returns(const std::string& method, int depth, bool& optional) {
    if (!info_ || busy_.count(method) || depth > 24) return std::nullopt;
    auto m = im_.method_node(info_->qualified_name, method);
    if (!m) return std::nullopt;
    busy_.insert(method);
    auto r = returns_of(m->second, depth, optional);
    busy_.erase(method);
    return r;
  }

  /// The module every `return` of function `fn` builds, if they all build one.
  std::optional<ir::ModuleExpr> returns_of(SyntaxNode fn, int depth, bool& optional) {
    Scope scope;
    read_params(fn, scope);
    read_locals(Syntax::field(fn, "body"), scope, false, 0);
    std::vector<SyntaxNode> returns;
    collect_returns(Syntax::field(fn, "body"), returns, 0);
    std::optional<ir::ModuleExpr> result;
    for (SyntaxNode r : returns) {
      auto k = Syntax::children(r);
      if (k.empty()) return std::nullopt;
      bool opt = false;
      auto m = eval_module(k[0], scope, depth + 1, opt);
      if (Syntax::is(k[0], "none")) {
        optional = true;
        continue;
      }
      if (!m) return std::nullopt;
      optional = optional || opt;
      if (!result) result = std::move(m);
      else if (result->class_name != m->class_name || result->kind != m->kind) result = opaque(r, "one of several modules");
    }
    return result;
  }

  void collect_returns(SyntaxNode block, std::vector<SyntaxNode>& out, int depth) {
    if (depth > kMaxDepth) throw TooDeep{syn_.span(block)};
    for (SyntaxNode st : Syntax::children(block)) {
      if (Syntax::is(st, "return_statement")) out.push_back(st);
      if (Syntax::is(st, "function_definition") || Syntax::is(st, "class_definition")) continue;
      for (SyntaxNode b : {Syntax::field(st, "body"), Syntax::field(st, "consequence")}) {
        if (!b.is_null() && Syntax::is(b, "block")) collect_returns(b, out, depth + 1);
      }
      for (SyntaxNode alt : Syntax::fields(st, "alternative")) {
        SyntaxNode b = Syntax::field(alt, "body");
        if (b.is_null()) b = Syntax::field(alt, "consequence");
        if (!b.is_null()) collect_returns(b, out, depth + 1);
      }
    }
  }

  // ---- __init__ ------------------------------------------------------------

  void scan_init(SyntaxNode fn) {
    Scope scope;
    read_params(fn, scope);
    read_locals(Syntax::field(fn, "body"), scope, false, 0);
    scan(Syntax::field(fn, "body"), scope, {}, 0);
  }

  ir::AttrFact& attr(const std::string& name) {
    for (auto& a : info_->attrs) {
      if (a.name == name) return a;
    }
    info_->attrs.push_back({});
    info_->attrs.back().name = name;
    return info_->attrs.back();
  }

  void record_assignment(const std::string& name, SyntaxNode rhs, SyntaxNode stmt, const Scope& scope, const Conds& cond) {
    ir::AttrFact fresh;
    fresh.name = name;
    fresh.def_span = syn_.span(stmt);
    fresh.built_when.insert(fresh.built_when.end(), cond.begin(), cond.end());
    bool optional = false;
    std::string callee = Syntax::is(rhs, "call") ? im_.index.qualify(u_, syn_.dotted(Syntax::field(rhs, "function"))) : "";
    SyntaxNode param_rhs = rhs;
    if (Syntax::is(rhs, "conditional_expression")) {  // nn.Parameter(...) if bias else None
      auto k = Syntax::children(rhs);
      if (k.size() == 3 && (Syntax::is(k[0], "none") || Syntax::is(k[2], "none"))) {
        SyntaxNode other = Syntax::is(k[0], "none") ? k[2] : k[0];
        if (Syntax::is(other, "call")) {
          std::string c = im_.index.qualify(u_, syn_.dotted(Syntax::field(other, "function")));
          if (c == "torch.nn.Parameter" || c == "torch.nn.parameter.Parameter") {
            callee = c;
            param_rhs = other;
            fresh.optional = true;
          }
        }
      }
    }
    if (callee == "torch.nn.Parameter" || callee == "torch.nn.parameter.Parameter") {
      fresh.kind = ir::AttrFact::Kind::Parameter;
      auto args = call_args(param_rhs);
      fresh.trainable = !(args.count("requires_grad") && args["requires_grad"] == "False");
    } else if (auto m = eval_module(rhs, scope, 0, optional)) {
      fresh.kind = ir::AttrFact::Kind::Submodule;
      fresh.module = std::move(*m);
      fresh.optional = optional || !cond.empty();
      // `Head() if aux else None`: built under `aux`, like `if aux: self.x = Head()`.
      if (Syntax::is(rhs, "conditional_expression")) {
        auto k = Syntax::children(rhs);
        if (k.size() == 3 && (Syntax::is(k[0], "none") != Syntax::is(k[2], "none"))) {
          std::string c = normalize(syn_.text(k[1]));
          fresh.built_when.push_back(Syntax::is(k[2], "none") ? c : "not (" + c + ")");
        }
      }
    } else {
      fresh.kind = ir::AttrFact::Kind::Plain;
      fresh.init_text = syn_.text(rhs);
      if (auto c = literal(syn_, rhs)) {
        fresh.constant_value_known = true;
        fresh.constant = *c;
      }
    }
    ir::AttrFact* existing = info_->attr(name) ? &attr(name) : nullptr;
    if (!existing) {
      info_->attrs.push_back(std::move(fresh));
      return;
    }
    // Assigned twice in __init__: `self.head = None` then `if x: self.head = Head()`.
    bool was_none = existing->kind == ir::AttrFact::Kind::Plain && existing->constant_value_known &&
                    std::holds_alternative<ir::NoneConst>(existing->constant);
    bool now_none = fresh.kind == ir::AttrFact::Kind::Plain && fresh.constant_value_known &&
                    std::holds_alternative<ir::NoneConst>(fresh.constant);
    if (fresh.kind == ir::AttrFact::Kind::Submodule && was_none) {
      fresh.optional = true;
      *existing = std::move(fresh);
    } else if (existing->kind == ir::AttrFact::Kind::Submodule && now_none) {
      existing->optional = true;
    } else if (fresh.kind != ir::AttrFact::Kind::Plain || existing->kind == ir::AttrFact::Kind::Plain) {
      bool opt = existing->optional;
      *existing = std::move(fresh);
      existing->optional = existing->optional || opt;
    }
  }

  /// Condition text with `self.x` replaced by what __init__ assigned to it, so that
  /// `if use_aux:` in __init__ and `if self.use_aux:` in forward read alike.
  std::string normalize(const std::string& text) const { return normalize_condition(text, *info_); }

  void freeze(const std::string& path, SyntaxNode at) { info_->frozen.push_back({path, syn_.span(at)}); }

  void scan_call(SyntaxNode call, const Scope& scope, const Conds& cond, int depth) {
    SyntaxNode fn = Syntax::field(call, "function");
    if (!Syntax::is(fn, "attribute")) return;
    std::string method = syn_.text(Syntax::field(fn, "attribute"));
    SyntaxNode obj = Syntax::field(fn, "object");
    auto args = Syntax::children(Syntax::field(call, "arguments"));
    std::string d = syn_.dotted(obj);
    if (d == "self" && (method == "register_buffer" || method == "register_parameter") && args.size() >= 2) {
      auto key = literal(syn_, args[0]);
      if (!key || !std::holds_alternative<std::string>(*key)) return;
      if (Syntax::is(args[1], "none")) {  // register_parameter("bias", None): no parameter at all
        ir::AttrFact& a = attr(std::get<std::string>(*key));
        a.kind = ir::AttrFact::Kind::Plain;
        a.constant_value_known = true;
        a.constant = ir::NoneConst{};
        a.def_span = syn_.span(call);
        return;
      }
      ir::AttrFact& a = attr(std::get<std::string>(*key));
      a.kind = method == "register_buffer" ? ir::AttrFact::Kind::Buffer : ir::AttrFact::Kind::Parameter;
      a.def_span = syn_.span(call);
      if (a.kind == ir::AttrFact::Kind::Parameter) {
        auto pargs = Syntax::is(args[1], "call") ? call_args(args[1]) : std::map<std::string, std::string>{};
        a.trainable = !(pargs.count("requires_grad") && pargs["requires_grad"] == "False");
      }
      return;
    }
    if (method == "requires_grad_" && (d == "self" || d.rfind("self.", 0) == 0)) {
      bool off = !args.empty() && syn_.text(args[0]) == "False";
      for (SyntaxNode a : args) {
        if (Syntax::is(a, "keyword_argument") && syn_.text(Syntax::field(a, "value")) == "False") off = true;
      }
      if (off) freeze(self_path(syn_, obj), call);
      return;
    }
    if ((method == "append" || method == "add_module") && d.rfind("self.", 0) == 0 && !args.empty()) {
      std::string owner = d.substr(5);
      if (owner.find('.') != std::string::npos) return;
      ir::AttrFact* a = info_->attr(owner) ? &attr(owner) : nullptr;
      if (!a || a->kind != ir::AttrFact::Kind::Submodule || a->module.kind != ir::ModuleExpr::Kind::Container) return;
      SyntaxNode m = method == "append" ? args[0] : (args.size() > 1 ? args[1] : SyntaxNode{});
      bool opt = false;
      auto e = eval_module(m, scope, 0, opt);
      if (!e) return;
      std::string name = in_loop_ ? "*" : std::to_string(a->module.children.size());
      if (method == "add_module") {
        auto key = literal(syn_, args[0]);
        name = key && std::holds_alternative<std::string>(*key) && !in_loop_ ? std::get<std::string>(*key) : "*";
      }
      for (auto& c : a->module.children) {
        if (c.first == name) return;
      }
      a->module.children.push_back({name, std::move(*e)});
      return;
    }
    if (d == "self" && info_ && !busy_.count(method)) {  // a helper that builds part of the model
      auto m = im_.method_node(info_->qualified_name, method);
      if (m && method != "__init__") {
        busy_.insert(method);
        Scope inner;
        read_params(m->second, inner);
        read_locals(Syntax::field(m->second, "body"), inner, false, 0);
        scan(Syntax::field(m->second, "body"), inner, cond, depth + 1);
        busy_.erase(method);
      }
    }
  }

  void scan(SyntaxNode block, const Scope& scope, const Conds& cond, int depth) {
    if (depth > kMaxDepth) throw TooDeep{syn_.span(block)};
    for (SyntaxNode st : Syntax::children(block)) {
      if (Syntax::is(st, "expression_statement")) {
        for (SyntaxNode e : Syntax::children(st)) {
          if (Syntax::is(e, "assignment")) {
            SyntaxNode l = Syntax::field(e, "left"), r = Syntax::field(e, "right");
            // self.a = self.b = X(): every target gets the value.
            while (Syntax::is(r, "assignment")) {
              std::string inner;
              if (is_self_attr(syn_, Syntax::field(r, "left"), inner)) {
                SyntaxNode v = Syntax::field(r, "right");
                while (Syntax::is(v, "assignment")) v = Syntax::field(v, "right");
                record_assignment(inner, v, st, scope, cond);
              }
              r = Syntax::field(r, "right");
            }
            std::string name;
            // self.a, self.b = A(), B()
            if ((Syntax::is(l, "pattern_list") || Syntax::is(l, "tuple_pattern")) &&
                (Syntax::is(r, "expression_list") || Syntax::is(r, "tuple"))) {
              auto ls = Syntax::children(l);
              auto rs = Syntax::children(r);
              for (size_t i = 0; i < ls.size() && i < rs.size(); ++i) {
                if (is_self_attr(syn_, ls[i], name)) record_assignment(name, rs[i], st, scope, cond);
              }
            } else if (is_self_attr(syn_, l, name) && !r.is_null()) {
              record_assignment(name, r, st, scope, cond);
            } else if (Syntax::is(l, "attribute") && syn_.text(Syntax::field(l, "attribute")) == "requires_grad" &&
                       syn_.text(r) == "False") {
              std::string p = self_path(syn_, Syntax::field(l, "object"));
              std::string obj = syn_.dotted(Syntax::field(l, "object"));
              if (!p.empty() || obj == "self") freeze(p, st);
              else if (frozen_loop_active_ && obj == frozen_loop_var_) freeze(frozen_loop_path_, st);
            }
          } else if (Syntax::is(e, "call")) {
            SyntaxNode fn = Syntax::field(e, "function");
            if (Syntax::is(fn, "attribute") && syn_.text(Syntax::field(fn, "attribute")) == "requires_grad_" &&
                frozen_loop_active_ && syn_.dotted(Syntax::field(fn, "object")) == frozen_loop_var_) {
              freeze(frozen_loop_path_, e);
            } else {
              scan_call(e, scope, cond, depth);
            }
          }
        }
      } else if (Syntax::is(st, "if_statement")) {
        // Each branch knows the conditions that lead to it, one conjunct each:
        // `elif b:` runs under not (a) and b.
        std::string c = normalize(syn_.text(Syntax::field(st, "condition")));
        Conds here = cond;
        here.push_back(c);
        scan(Syntax::field(st, "consequence"), scope, here, depth + 1);
        Conds rest = cond;
        rest.push_back("not (" + c + ")");
        for (SyntaxNode alt : Syntax::fields(st, "alternative")) {
          if (Syntax::is(alt, "elif_clause")) {
            std::string ec = normalize(syn_.text(Syntax::field(alt, "condition")));
            Conds branch = rest;
            branch.push_back(ec);
            scan(Syntax::field(alt, "consequence"), scope, branch, depth + 1);
            rest.push_back("not (" + ec + ")");
          } else {
            scan(Syntax::field(alt, "body"), scope, rest, depth + 1);
          }
        }
      } else if (Syntax::is(st, "for_statement")) {
        // for p in self.x.parameters(): p.requires_grad = False
        SyntaxNode right = Syntax::field(st, "right");
        std::string saved_path = frozen_loop_path_, saved_var = frozen_loop_var_;
        bool saved_active = frozen_loop_active_;
        if (Syntax::is(right, "call")) {
          SyntaxNode fn = Syntax::field(right, "function");
          if (Syntax::is(fn, "attribute") && syn_.text(Syntax::field(fn, "attribute")) == "parameters") {
            std::string obj = syn_.dotted(Syntax::field(fn, "object"));
            if (obj == "self" || obj.rfind("self.", 0) == 0) {
              frozen_loop_active_ = true;
              frozen_loop_path_ = self_path(syn_, Syntax::field(fn, "object"));
              frozen_loop_var_ = syn_.text(Syntax::field(st, "left"));
            }
          }
        }
        bool saved_loop = in_loop_;
        in_loop_ = true;
        scan(Syntax::field(st, "body"), scope, cond, depth + 1);
        in_loop_ = saved_loop;
        frozen_loop_path_ = saved_path;
        frozen_loop_var_ = saved_var;
        frozen_loop_active_ = saved_active;
      } else if (Syntax::is(st, "while_statement") || Syntax::is(st, "with_statement") || Syntax::is(st, "try_statement")) {
        bool saved_loop = in_loop_;
        in_loop_ = in_loop_ || Syntax::is(st, "while_statement");
        scan(Syntax::field(st, "body"), scope, cond, depth + 1);
        in_loop_ = saved_loop;
      }
    }
  }

 private:
  Frontend::Impl& im_;
  const Unit& u_;
  Syntax syn_;
  ir::ClassInfo* info_;
  std::set<std::string> busy_;
  bool in_loop_ = false;
  bool frozen_loop_active_ = false;  ///< inside `for p in self.x.parameters():`
  std::string frozen_loop_path_, frozen_loop_var_;
};

}  // namespace

/// At most this many nodes wait in a walk over a method body; a body of fewer bytes
/// cannot have that many (each waiting node is a distinct, non-empty piece of it).
constexpr uint32_t kMaxWalkedBody = 100000;

void Frontend::Impl::collect_facts(ir::ClassInfo& info, const Unit& u, SyntaxNode class_node) {
  Syntax syn(program.files[static_cast<size_t>(u.file)].text, u.file);
  for (SyntaxNode st : Syntax::children(Syntax::field(class_node, "body"))) {
    if (!Syntax::is(st, "expression_statement")) continue;
    for (SyntaxNode e : Syntax::children(st)) {
      if (!Syntax::is(e, "assignment")) continue;
      SyntaxNode l = Syntax::field(e, "left");
      if (!Syntax::is(l, "identifier")) continue;
      if (auto c = literal(syn, Syntax::field(e, "right"))) info.class_constants[syn.text(l)] = *c;
    }
  }
  FactsBuilder fb(*this, u, &info);
  for (SyntaxNode m : class_methods(class_node)) {
    if (syn.text(Syntax::field(m, "name")) == "__init__") fb.scan_init(m);
  }
  // Attributes assigned outside __init__ are state, not configuration.
  auto assigned_outside_init = [&](SyntaxNode n) {
    std::string name;
    if (!is_self_attr(syn, Syntax::field(n, "left"), name)) return;
    if (ir::AttrFact* a = const_cast<ir::AttrFact*>(info.attr(name))) {
      a->set_outside_init = true;
    } else {
      ir::AttrFact fresh;
      fresh.name = name;
      fresh.set_outside_init = true;
      fresh.def_span = syn.span(n);
      info.attrs.push_back(std::move(fresh));
    }
  };
  for (SyntaxNode m : class_methods(class_node)) {
    if (syn.text(Syntax::field(m, "name")) == "__init__") continue;
    SyntaxNode body = Syntax::field(m, "body");
    if (body.is_null()) continue;
    uint32_t begin = body.start_byte(), end = body.end_byte();
    if (end - begin < kMaxWalkedBody) {
      // The attribute assignments prepare_source recorded in the body, met in the
      // order of the walk below (a stack: the last child first, a node before its
      // children): by end descending, then start ascending.
      const auto& all = u.attr_assignments;
      auto first = std::lower_bound(all.begin(), all.end(), begin, [](const AttrAssignment& a, uint32_t b) {
        return a.node.start_byte() < b;
      });
      std::vector<SyntaxNode> inside;
      for (auto it = first; it != all.end() && it->node.start_byte() < end; ++it) inside.push_back(it->node);
      std::stable_sort(inside.begin(), inside.end(), [](SyntaxNode a, SyntaxNode b) {
        uint32_t ea = a.end_byte(), eb = b.end_byte();
        return ea != eb ? ea > eb : a.start_byte() < b.start_byte();
      });
      for (SyntaxNode n : inside) assigned_outside_init(n);
      continue;
    }
    // A body this large may hold more nodes than the walk keeps pending: walk it.
    std::vector<SyntaxNode> stack{body};
    while (!stack.empty()) {
      SyntaxNode n = stack.back();
      stack.pop_back();
      if (stack.size() > kMaxWalkedBody) break;
      if (Syntax::is(n, "assignment") || Syntax::is(n, "augmented_assignment")) assigned_outside_init(n);
      for (SyntaxNode ch : Syntax::children(n)) stack.push_back(ch);
    }
  }
}

std::string Frontend::Impl::container_base(const std::string& qualified, int depth) {
  auto def = index.find_class(qualified);
  if (!def || depth > 16) return "";
  const Unit& u = *def->unit;
  Syntax syn(program.files[static_cast<size_t>(u.file)].text, u.file);
  for (SyntaxNode b : Syntax::children(Syntax::field(def->node, "superclasses"))) {
    if (Syntax::is(b, "keyword_argument")) continue;
    std::string bq = index.qualify(u, syn.dotted(b));
    if (bq == "torch.nn.Sequential" || bq == "torch.nn.ModuleList" || bq == "torch.nn.ModuleDict") return bq;
    if (auto d = index.find_class(bq)) {
      std::string r = container_base(d->qualified, depth + 1);
      if (!r.empty()) return r;
    }
  }
  return "";
}

std::optional<ir::ModuleExpr> Frontend::Impl::function_returns_module(const std::string& qualified) {
  auto it = returns_module_memo.find(qualified);
  if (it != returns_module_memo.end()) return it->second;
  if (returns_module_busy.count(qualified)) return std::nullopt;
  auto def = index.find_function(qualified);
  if (!def) return std::nullopt;
  returns_module_busy.insert(qualified);
  FactsBuilder fb(*this, *def->unit, nullptr);
  bool optional = false;
  auto r = fb.returns_of(def->node, 0, optional);
  returns_module_busy.erase(qualified);
  returns_module_memo[qualified] = r;
  return r;
}

}  // namespace ddplint::frontend::python

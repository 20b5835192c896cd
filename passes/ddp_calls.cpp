#include "passes/ddp_calls.h"

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <map>
#include <set>

namespace ddplint::passes {
namespace {

namespace kind = ir::kind;

constexpr int kMaxDepth = 8;

/// Methods and functions that hand back the model they are given.
bool passes_model_through(const std::string& method) {
  static const std::set<std::string> k = {"to", "cuda", "cpu", "half", "float", "double", "bfloat16", "train",
                                          "eval", "requires_grad_", "share_memory", "apply", "type", "xpu"};
  return k.count(method) > 0;
}

bool wraps_first_argument(const std::string& q) {
  return q == "torch.compile" || q == "torch.nn.SyncBatchNorm.convert_sync_batchnorm" ||
         q == "torch.jit.script" || q == "copy.deepcopy";
}

struct Resolver {
  const ir::Program& program;

  /// The class of the model value `v` holds; `why` says what stopped the search.
  const ir::ClassInfo* resolve(const ir::Value* v, int depth, std::string& why) {
    if (depth > kMaxDepth) {
      why = "the model is built too many calls away";
      return nullptr;
    }
    const ir::Node* d = v->node();
    if (!d) {
      why = fmt::format("the model comes in as the parameter `{}`", v->debug_name());
      return nullptr;
    }
    if (d->is(kind::CallFunction)) {
      if (const ir::ClassInfo* c = program.find_class(d->name)) return c;
      if (wraps_first_argument(d->name) && !d->inputs().empty()) return resolve(d->input(0), depth + 1, why);
      if (const ir::Function* f = program.find_function(d->name)) {
        const auto& rets = f->graph->block()->returns();
        if (!rets.empty()) return resolve(rets[0], depth + 1, why);
      }
      why = fmt::format("the model is built by `{}`, which ddplint cannot see into", d->name);
      return nullptr;
    }
    if (d->kind().rfind("aten::", 0) == 0 && !d->inputs().empty() && passes_model_through(d->kind().substr(6))) {
      return resolve(d->input(0), depth + 1, why);
    }
    if (d->is(kind::If)) {  // the same class on both paths
      size_t i = 0;
      while (i < d->outputs().size() && d->output(i) != v) ++i;
      if (i < d->outputs().size()) {
        std::string w1, w2;
        const ir::ClassInfo* a = resolve(d->block(0)->returns()[i], depth + 1, w1);
        const ir::ClassInfo* b = resolve(d->block(1)->returns()[i], depth + 1, w2);
        if (a && a == b) return a;
        if (a && !b && d->block(1)->returns()[i]->node() && d->block(1)->returns()[i]->node()->is(kind::Uninitialized)) {
          return a;
        }
      }
      why = "the model is chosen at run time between several classes";
      return nullptr;
    }
    if (d->is(kind::Uninitialized)) {
      why = "the model variable is not set on every path";
      return nullptr;
    }
    why = fmt::format("the model comes from `{}`", d->text.empty() ? d->kind() : d->text);
    return nullptr;
  }
};

/// Position of each keyword in DistributedDataParallel.__init__ (module is 0).
int position_of(const std::string& name) {
  if (name == "broadcast_buffers") return 4;
  if (name == "find_unused_parameters") return 7;
  if (name == "gradient_as_bucket_view") return 9;
  if (name == "static_graph") return 10;
  return -1;
}

DdpKeyword keyword(const ir::Node& n, const std::string& name) {
  DdpKeyword k;
  int positional = 0;
  for (size_t i = 0; i < n.inputs().size(); ++i) {
    const std::string& kw = n.input_name(i);
    if (kw == "**" && !k.present) k.maybe_in_kwargs = true;
    bool here = kw == name;
    if (kw.empty()) {
      here = positional == position_of(name);
      ++positional;
      if (here) k.positional = true;
    }
    if (!here) continue;
    k.maybe_in_kwargs = false;
    k.present = true;
    const ir::Node* d = n.input(i)->node();
    if (d) {
      k.value_span = d->span();
      k.text = d->text;
      if (d->is(kind::Constant) && d->value) {
        // Python truthiness of a literal: True/False, 0/1, None.
        const ir::Constant& c = *d->value;
        if (auto* b = std::get_if<bool>(&c)) k.literal = *b;
        else if (auto* i = std::get_if<int64_t>(&c)) k.literal = *i != 0;
        else if (std::holds_alternative<ir::NoneConst>(c)) k.literal = false;
        if (k.text.empty()) k.text = ir::print_constant(c);
      }
    }
  }
  return k;
}

/// Nodes of a graph in program order (blocks in place).
void flatten_block(const ir::Block& b, std::vector<const ir::Node*>& out) {
  for (const auto& n : b.nodes()) {
    out.push_back(n.get());
    for (const auto& sub : n->blocks()) flatten_block(*sub, out);
  }
}

/// The value a model expression starts from: `Net().cuda(rank).to(dev)` -> `Net()`.
const ir::Value* model_root(const ir::Value* v) {
  for (int i = 0; i < 16 && v->node(); ++i) {
    const ir::Node* d = v->node();
    if (d->kind().rfind("aten::", 0) == 0 && !d->inputs().empty() && passes_model_through(d->kind().substr(6))) {
      v = d->input(0);
      continue;
    }
    break;
  }
  return v;
}

/// "backbone.layer4" for `model.backbone.layer4` when `v` is a GetAttr chain on `root`.
std::optional<std::string> path_from(const ir::Value* v, const ir::Value* root) {
  std::string path;
  for (int i = 0; i < 32; ++i) {
    if (model_root(v) == root) return path;
    const ir::Node* d = v->node();
    if (!d || !d->is(kind::GetAttr) || d->inputs().empty()) return std::nullopt;
    path = path.empty() ? d->name : d->name + "." + path;
    v = d->input(0);
  }
  return std::nullopt;
}

bool is_false(const ir::Value* v) {
  const ir::Node* d = v->node();
  return d && d->is(kind::Constant) && d->value && std::holds_alternative<bool>(*d->value) && !std::get<bool>(*d->value);
}

/// Freezing in the training script before the wrap: DDP leaves frozen parameters out.
std::vector<std::string> frozen_before(const ir::Graph& g, const ir::Node* wrap, const ir::Value* model) {
  std::vector<std::string> out;
  if (!model) return out;
  const ir::Value* root = model_root(model);
  std::vector<const ir::Node*> nodes;
  flatten_block(*g.block(), nodes);
  for (const ir::Node* n : nodes) {
    if (n == wrap) break;
    if (n->kind() == "aten::requires_grad_" && !n->inputs().empty()) {
      bool off = n->inputs().size() > 1 && is_false(n->input(1));
      if (off) {
        if (auto p = path_from(n->input(0), root)) out.push_back(*p);
      }
    }
    // for p in model.x.parameters(): p.requires_grad = False
    if (n->is(kind::Loop) && !n->inputs().empty()) {
      const ir::Node* it = n->input(0)->node();
      const ir::Node* params = it && it->is(kind::Iterate) ? it->input(0)->node() : nullptr;
      if (!params || params->kind() != "aten::parameters" || params->inputs().empty()) continue;
      auto p = path_from(params->input(0), root);
      if (!p) continue;
      const ir::Value* elem = n->block(0)->params()[0];
      for (const auto& b : n->block(0)->nodes()) {
        bool set_off = b->is(kind::SetAttr) && b->name == "requires_grad" && b->inputs().size() == 2 &&
                       b->input(0) == elem && is_false(b->input(1));
        bool call_off = b->kind() == "aten::requires_grad_" && b->inputs().size() == 2 && b->input(0) == elem &&
                        is_false(b->input(1));
        if (set_off || call_off) out.push_back(*p);
      }
    }
  }
  return out;
}

void scan(const ir::Block& b, const std::string& scope, const ir::Program& program, std::vector<DdpCall>& out,
          const ir::Graph& g) {
  for (const auto& n : b.nodes()) {
    if (n->is(kind::CallFunction) && is_ddp_constructor(n->name)) {
      DdpCall c;
      c.node = n.get();
      c.span = n->span();
      c.scope = scope;
      const ir::Value* model = nullptr;
      for (size_t i = 0; i < n->inputs().size(); ++i) {
        if ((n->input_name(i).empty() && !model) || n->input_name(i) == "module") model = n->input(i);
      }
      if (model) {
        Resolver r{program};
        c.model = r.resolve(model, 0, c.unresolved_why);
      } else {
        c.unresolved_why = "the call passes no model";
      }
      c.find_unused_parameters = keyword(*n, "find_unused_parameters");
      c.static_graph = keyword(*n, "static_graph");
      c.gradient_as_bucket_view = keyword(*n, "gradient_as_bucket_view");
      c.broadcast_buffers = keyword(*n, "broadcast_buffers");
      c.frozen_before_wrap = frozen_before(g, n.get(), model);
      out.push_back(std::move(c));
    }
    for (const auto& sub : n->blocks()) scan(*sub, scope, program, out, g);
  }
}


std::string memory_format_of(const ir::Node& n) {
  for (size_t i = 1; i < n.inputs().size(); ++i) {
    if (n.input_name(i) == "memory_format" && n.input(i)->node()) return n.input(i)->node()->name;
  }
  return "";
}

void scan_conversions(const ir::Graph& g, const std::string& scope, const ir::Program& program,
                      std::vector<LayoutConversion>& out) {
  std::vector<const ir::Node*> nodes;
  flatten_block(*g.block(), nodes);
  // Values that hold a wrapped model, and which DDP call wrapped it.
  std::map<const ir::Value*, std::pair<const ir::Node*, const ir::Value*>> wrapped;
  for (const ir::Node* n : nodes) {
    if (n->is(kind::CallFunction) && is_ddp_constructor(n->name) && !n->outputs().empty()) {
      const ir::Value* model = nullptr;
      for (size_t i = 0; i < n->inputs().size(); ++i) {
        if ((n->input_name(i).empty() && !model) || n->input_name(i) == "module") model = n->input(i);
      }
      wrapped[n->output()] = {n, model};
      if (model) wrapped[model] = {n, model};  // the same module object, after the wrap
      continue;
    }
    // `model.half()` of a wrapped model is still the wrapped model.
    if (n->kind().rfind("aten::", 0) == 0 && n->kind() != "aten::to" && !n->inputs().empty() && !n->outputs().empty() &&
        passes_model_through(n->kind().substr(6))) {
      auto w = wrapped.find(n->input(0));
      if (w != wrapped.end()) wrapped[n->output()] = w->second;
    }
    if (n->kind() == "aten::to" && !n->inputs().empty()) {
      std::string fmt_name = memory_format_of(*n);
      const ir::Value* recv = n->input(0);
      if (!fmt_name.empty()) {
        LayoutConversion c;
        c.node = n;
        c.span = n->span();
        c.scope = scope;
        c.memory_format = fmt_name;
        std::string why;
        Resolver r{program};
        auto w = wrapped.find(recv);
        // After the wrap means on a path through it: the wrap's block holds the conversion.
        auto encloses = [](const ir::Block* outer, const ir::Block* inner) {
          for (const ir::Block* b = inner; b; b = b->owning_node() ? b->owning_node()->owning_block() : nullptr) {
            if (b == outer) return true;
          }
          return false;
        };
        if (w != wrapped.end() && !encloses(w->second.first->owning_block(), n->owning_block())) w = wrapped.end();
        if (w != wrapped.end()) {
          c.after_wrap = w->second.first;
          c.wrapped_model_arg = w->second.second;
          if (w->second.second) c.model = r.resolve(w->second.second, 0, why);
        } else {
          c.model = r.resolve(recv, 0, why);
        }
        out.push_back(c);
      }
      // `model = model.to(...)` after the wrap is still the wrapped model.
      auto w = wrapped.find(recv);
      if (w != wrapped.end() && !n->outputs().empty()) wrapped[n->output()] = w->second;
    }
  }
}

}  // namespace

std::vector<LayoutConversion> find_layout_conversions(const ir::Program& program) {
  std::vector<LayoutConversion> out;
  for (const auto& f : program.functions) {
    scan_conversions(*f->graph, f->module_body ? "<module>" : f->qualified_name.substr(f->qualified_name.rfind('.') + 1),
                     program, out);
  }
  for (const auto& c : program.classes) {  // a trainer's setup method
    for (const auto& m : c->methods) {
      if (m->name != "forward") scan_conversions(*m->graph, c->name + "." + m->name, program, out);
    }
  }
  return out;
}

bool is_ddp_constructor(const std::string& q) {
  return q == "torch.nn.parallel.DistributedDataParallel" ||
         q == "torch.nn.parallel.distributed.DistributedDataParallel" || q == "torch.nn.DistributedDataParallel";
}

std::vector<DdpCall> find_ddp_calls(const ir::Program& program) {
  std::vector<DdpCall> out;
  for (const auto& f : program.functions) {
    std::string scope = f->qualified_name.substr(f->qualified_name.rfind('.') + 1);
    if (f->module_body) scope = "<module>";
    scan(*f->graph->block(), scope, program, out, *f->graph);
  }
  for (const auto& c : program.classes) {
    for (const auto& m : c->methods) scan(*m->graph->block(), c->name + "." + m->name, program, out, *m->graph);
  }
  return out;
}

}  // namespace ddplint::passes

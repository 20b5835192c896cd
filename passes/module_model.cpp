#include "passes/module_model.h"

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_set>

namespace ddplint::passes {

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "." + b;
}

bool path_under(const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return true;
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.';
}

const ModuleNode* ModuleNode::child(const std::string& n) const {
  for (const auto& c : children) {
    if (c->name == n) return c.get();
  }
  return nullptr;
}

const ParamInfo* ModuleNode::param(const std::string& n) const {
  for (const auto& p : params) {
    if (p.name == n) return &p;
  }
  return nullptr;
}

void ModuleNode::collect_params(std::vector<const ParamInfo*>& out) const {
  for (const auto& p : params) out.push_back(&p);
  for (const auto& c : children) c->collect_params(out);
}

size_t ModuleNode::trainable_count() const {
  std::vector<const ParamInfo*> ps;
  collect_params(ps);
  size_t n = 0;
  for (const auto* p : ps) n += p->trainable ? 1 : 0;
  return n;
}

namespace {

constexpr int kMaxDepth = 24;
constexpr size_t kMaxNodes = 20000;

std::string last_segment(const std::string& q) { return q.substr(q.rfind('.') + 1); }

/// A keyword argument, or the positional one at `pos`, as source text.
std::string arg(const ir::ModuleExpr& e, const char* kw, int pos) {
  auto it = e.args.find(kw);
  if (it != e.args.end()) return it->second;
  if (pos >= 0) {
    it = e.args.find(std::to_string(pos));
    if (it != e.args.end()) return it->second;
  }
  return "";
}

/// The parameters of a torch.nn class, or nullopt when ddplint does not know it.
std::optional<std::vector<std::string>> torch_nn_params(const std::string& qualified, const ir::ModuleExpr& e) {
  std::string n = last_segment(qualified);
  auto with_bias = [&](std::vector<std::string> w, const char* kw, int pos, bool dflt = true) {
    std::string b = arg(e, kw, pos);
    bool on = b.empty() ? dflt : b != "False" && b != "0";
    if (on) w.push_back("bias");
    return w;
  };
  static const std::unordered_set<std::string_view> kNone = {
      "ReLU", "ReLU6", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus", "LeakyReLU",
      "ELU", "SELU", "CELU", "Hardswish", "Hardsigmoid", "Hardtanh", "GLU", "Identity", "Dropout", "Dropout1d",
      "Dropout2d", "Dropout3d", "AlphaDropout", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d",
      "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
      "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "Flatten", "Unflatten", "Upsample", "UpsamplingNearest2d",
      "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "ZeroPad2d", "ConstantPad2d", "ReflectionPad2d",
      "ReplicationPad2d", "Softmax2d", "Threshold", "CrossEntropyLoss", "MSELoss", "L1Loss", "BCELoss",
      "BCEWithLogitsLoss", "NLLLoss", "KLDivLoss", "SmoothL1Loss", "HuberLoss", "CosineSimilarity",
      "PairwiseDistance", "ChannelShuffle", "Fold", "Unfold", "LocalResponseNorm", "Tanhshrink", "Softsign",
      "LogSigmoid", "Softmin", "Hardshrink", "Softshrink", "RReLU"};
  if (kNone.count(n)) return std::vector<std::string>{};
  if (n == "Linear" || n == "LazyLinear") return with_bias({"weight"}, "bias", 2);
  if (n == "Bilinear") return with_bias({"weight"}, "bias", 3);
  if (n.rfind("Conv", 0) == 0 || n.rfind("LazyConv", 0) == 0) {
    return with_bias({"weight"}, "bias", 7);  // Conv*(in, out, k, stride, padding, dilation|output_padding, groups, bias)
  }
  if (n.rfind("BatchNorm", 0) == 0 || n == "SyncBatchNorm") {
    std::string a = arg(e, "affine", 3);
    return a == "False" ? std::vector<std::string>{} : std::vector<std::string>{"weight", "bias"};
  }
  if (n.rfind("InstanceNorm", 0) == 0) {
    std::string a = arg(e, "affine", 3);
    return a == "True" ? std::vector<std::string>{"weight", "bias"} : std::vector<std::string>{};
  }
  if (n == "GroupNorm") {
    std::string a = arg(e, "affine", 3);
    return a == "False" ? std::vector<std::string>{} : std::vector<std::string>{"weight", "bias"};
  }
  if (n == "LayerNorm") {
    std::string a = arg(e, "elementwise_affine", 2);
    if (a == "False") return std::vector<std::string>{};
    return with_bias({"weight"}, "bias", 3);
  }
  if (n == "RMSNorm") {
    std::string a = arg(e, "elementwise_affine", 2);
    return a == "False" ? std::vector<std::string>{} : std::vector<std::string>{"weight"};
  }
  if (n == "Embedding" || n == "EmbeddingBag" || n == "PReLU") return std::vector<std::string>{"weight"};
  if (n == "MultiheadAttention") {
    std::string b = arg(e, "bias", 3);
    if (b == "False") return std::vector<std::string>{"in_proj_weight", "out_proj.weight"};
    return std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"};
  }
  if (n == "GRUCell" || n == "LSTMCell" || n == "RNNCell") {
    std::string b = arg(e, "bias", 2);
    if (b == "False") return std::vector<std::string>{"weight_ih", "weight_hh"};
    return std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  }
  if (n == "GRU" || n == "LSTM" || n == "RNN") {
    return std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"};
  }
  return std::nullopt;
}

/// Whether a convolution's weight has size-1 dims, from its constructor arguments:
/// a 1x1 kernel ([O, I, 1, 1]) or a depthwise one (groups == in_channels: [C, 1, k, k]).
std::string size1_kernel(const ir::ModuleExpr& e) {
  std::string n = last_segment(e.class_name);
  if (n.rfind("Conv", 0) != 0 || n.find("Transpose") != std::string::npos) return "";
  auto strip = [](std::string s) {
    std::string out;
    for (char c : s) {
      if (c != ' ' && c != '(' && c != ')' && c != '[' && c != ']') out += c;
    }
    return out;
  };
  std::string k = strip(arg(e, "kernel_size", 2));
  if (k == "1" || k == "1,1" || k == "1,1,1") return "1x1 kernel";
  std::string groups = strip(arg(e, "groups", 6)), in = strip(arg(e, "in_channels", 0));
  if (!groups.empty() && groups != "1" && groups == in) return "depthwise";
  return "";
}

class Builder {
 public:
  explicit Builder(const ir::Program& p) : program_(p) {}

  void fill_class(ModuleNode& node, const ir::ClassInfo& cls, const ir::ModuleExpr* ctor, int depth) {
    node.kind = ModuleNode::Kind::Class;
    node.cls = &cls;
    node.class_name = cls.qualified_name;
    if (depth > kMaxDepth || on_stack_.count(&cls)) {
      node.kind = ModuleNode::Kind::Opaque;
      node.why_opaque = "recursive or too deeply nested module";
      add_unknown(node);
      return;
    }
    on_stack_.insert(&cls);
    // Bases first: a torch.nn base contributes its parameters (class LayerNorm2d(nn.LayerNorm)).
    for (const auto& b : cls.bases) {
      if (const ir::ClassInfo* base = program_.find_class(b)) {
        fill_members(node, *base, depth + 1);
      } else if (b.rfind("torch.nn.", 0) == 0 && b != "torch.nn.Module") {
        ir::ModuleExpr e = ctor ? *ctor : ir::ModuleExpr{};
        if (auto ps = torch_nn_params(b, e)) {
          for (const auto& p : *ps) add_param(node, p, true, cls.span);
        } else {
          add_unknown(node);
        }
      }
    }
    fill_members(node, cls, depth);
    on_stack_.erase(&cls);
  }

  void fill_members(ModuleNode& node, const ir::ClassInfo& cls, int depth) {
    for (const auto& a : cls.attrs) {
      if (a.kind == ir::AttrFact::Kind::Parameter) {
        if (!node.param(a.name)) {
          add_param(node, a.name, a.trainable, a.def_span);
          node.params.back().optional = a.optional;
          node.params.back().size1_kernel = a.size1_kernel;
          node.params.back().layout_detail = a.layout_detail;
        }
      } else if (a.kind == ir::AttrFact::Kind::Submodule) {
        if (node.child(a.name)) continue;
        auto child = make(a.module, a.name, node, depth + 1);
        child->optional = a.optional;
        child->built_when = a.built_when;
        child->def_span = a.def_span;
        node.children.push_back(std::move(child));
      }
    }
    for (const auto& [path, span] : cls.frozen) freeze(node, path);
  }

  std::unique_ptr<ModuleNode> make(const ir::ModuleExpr& e, const std::string& name, const ModuleNode& parent, int depth) {
    auto n = std::make_unique<ModuleNode>();
    n->name = name;
    n->path = join_path(parent.path, name);
    n->parent = &parent;
    n->def_span = e.span;
    if (++count_ > kMaxNodes) {
      n->kind = ModuleNode::Kind::Opaque;
      n->why_opaque = "model too large to expand";
      add_unknown(*n);
      return n;
    }
    switch (e.kind) {
      case ir::ModuleExpr::Kind::Class: {
        n->class_name = e.class_name;
        if (const ir::ClassInfo* c = program_.find_class(e.class_name)) {
          fill_class(*n, *c, &e, depth);
        } else if (auto ps = torch_nn_params(e.class_name, e)) {
          n->kind = ModuleNode::Kind::Leaf;
          for (const auto& p : *ps) add_param(*n, p, true, e.span);
          if (ParamInfo* w = const_cast<ParamInfo*>(n->param("weight"))) w->size1_kernel = size1_kernel(e);
        } else {
          n->kind = ModuleNode::Kind::Opaque;
          n->why_opaque = "`" + last_segment(e.class_name) + "` is not a module ddplint knows";
          add_unknown(*n);
        }
        break;
      }
      case ir::ModuleExpr::Kind::Container:
        n->kind = ModuleNode::Kind::Container;
        n->class_name = e.class_name;
        n->container_kind = e.container_kind;
        // A project subclass of a container keeps its own methods (forward) and members.
        if (const ir::ClassInfo* c = program_.find_class(e.class_name)) {
          n->cls = c;
          if (!on_stack_.count(c) && depth <= kMaxDepth) {
            on_stack_.insert(c);
            fill_members(*n, *c, depth + 1);
            on_stack_.erase(c);
          }
        }
        for (const auto& [cn, ce] : e.children) {
          if (n->child(cn)) continue;
          auto c = make(ce, cn, *n, depth + 1);
          c->def_span = e.span;
          n->children.push_back(std::move(c));
        }
        break;
      case ir::ModuleExpr::Kind::Opaque:
        n->kind = ModuleNode::Kind::Opaque;
        n->why_opaque = e.why_opaque;
        add_unknown(*n);
        break;
    }
    return n;
  }

  static void add_param(ModuleNode& n, const std::string& name, bool trainable, const ir::Span& span) {
    ParamInfo p;
    p.name = name;
    p.path = join_path(n.path, name);
    p.trainable = trainable;
    p.def_span = span;
    n.params.push_back(std::move(p));
  }

  static void add_unknown(ModuleNode& n) {
    ParamInfo p;
    p.name = "<parameters>";
    p.path = join_path(n.path, "<parameters>");
    p.known = false;
    n.params.push_back(std::move(p));
  }

  static void freeze(ModuleNode& root, const std::string& rel) {
    std::string full = join_path(root.path, rel);
    std::vector<ModuleNode*> stack{&root};
    while (!stack.empty()) {
      ModuleNode* n = stack.back();
      stack.pop_back();
      for (auto& p : n->params) {
        if (path_under(p.path, full)) p.trainable = false;
      }
      for (auto& c : n->children) stack.push_back(c.get());
    }
  }

 private:
  const ir::Program& program_;
  std::set<const ir::ClassInfo*> on_stack_;
  size_t count_ = 0;
};

}  // namespace

std::unique_ptr<ModuleTree> ModuleTree::build(const ir::Program& program, const ir::ClassInfo& root) {
  auto t = std::make_unique<ModuleTree>();
  t->root_ = std::make_unique<ModuleNode>();
  Builder b(program);
  b.fill_class(*t->root_, root, nullptr, 0);
  t->root_->collect_params(t->params_);
  return t;
}

const ModuleNode* ModuleTree::find(const std::string& path) const {
  const ModuleNode* n = root_.get();
  size_t pos = 0;
  while (n && pos < path.size()) {
    size_t dot = path.find('.', pos);
    std::string seg = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    n = n->child(seg);
    pos = dot == std::string::npos ? path.size() : dot + 1;
  }
  return n;
}

}  // namespace ddplint::passes

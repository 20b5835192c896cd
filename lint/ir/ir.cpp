#include "lint/ir/ir.h"

#include <mutex>
#include <unordered_set>

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace ddplint::ir {

void Value::replace_all_uses_with(Value* other) {
  for (Node* user : uses_) {
    for (auto& in : user->inputs_) {
      if (in == this) in = other;
    }
    other->uses_.push_back(user);
  }
  uses_.clear();
}

namespace {

/// One string per node kind or value name for the process (nodes and values point at
/// it); threads may add strings concurrently (`aten::` + any op name).
const std::string* intern(std::string text) {
  static std::mutex mutex;
  static std::unordered_set<std::string> strings;
  std::lock_guard<std::mutex> lock(mutex);
  return &*strings.insert(std::move(text)).first;
}

}  // namespace

const std::string& Value::no_name() {
  static const std::string none;
  return none;
}

void Value::set_debug_name(std::string n) { name_ = n.empty() ? &no_name() : intern(std::move(n)); }

const std::vector<std::unique_ptr<Block>>& Node::no_blocks() {
  static const std::vector<std::unique_ptr<Block>> none;
  return none;
}

void Node::add_input(Value* v) { add_input(v, ""); }

void Node::add_input(Value* v, std::string keyword) {
  if (!keyword.empty() && !input_names_) input_names_ = std::make_unique<std::vector<std::string>>(inputs_.size());
  inputs_.push_back(v);
  if (input_names_) input_names_->push_back(std::move(keyword));
  v->uses_.push_back(this);
}

const std::string& Node::input_name(size_t i) const {
  static const std::string positional;
  return input_names_ && i < input_names_->size() ? (*input_names_)[i] : positional;
}

void Node::remove_input(size_t i) {
  Value* v = inputs_.at(i);
  auto& u = v->uses_;
  auto it = std::find(u.begin(), u.end(), this);
  if (it != u.end()) u.erase(it);
  inputs_.erase(inputs_.begin() + static_cast<long>(i));
  if (input_names_ && i < input_names_->size()) input_names_->erase(input_names_->begin() + static_cast<long>(i));
}

Value* Node::add_output() {
  auto v = std::make_unique<Value>();
  v->node_ = this;
  v->block_ = owner_;
  v->id_ = graph_->next_value_id();
  Value* raw = v.get();
  graph_->value_pool().push_back(std::move(v));
  outputs_.push_back(raw);
  return raw;
}

Block* Node::add_block() {
  auto b = std::make_unique<Block>();
  b->owner_ = this;
  b->graph_ = graph_;
  if (!blocks_) blocks_ = std::make_unique<std::vector<std::unique_ptr<Block>>>();
  blocks_->push_back(std::move(b));
  return blocks_->back().get();
}

Value* Block::add_param(std::string debug_name) {
  auto v = std::make_unique<Value>();
  v->block_ = this;
  v->id_ = graph_->next_value_id();
  v->set_debug_name(std::move(debug_name));
  Value* raw = v.get();
  graph_->value_pool().push_back(std::move(v));
  params_.push_back(raw);
  return raw;
}

void Block::remove_param(size_t i) { params_.erase(params_.begin() + static_cast<long>(i)); }

Node* Block::append(std::string kind, const Span& span) {
  auto n = std::make_unique<Node>();
  n->kind_ = intern(std::move(kind));
  n->owner_ = this;
  n->graph_ = graph_;
  n->span_ = span;
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

Node* Block::insert_before(const Node* before, std::string kind, const Span& span) {
  Node* n = append(std::move(kind), span);
  auto moved = std::move(nodes_.back());
  nodes_.pop_back();
  auto pos = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& p) { return p.get() == before; });
  nodes_.insert(pos, std::move(moved));
  return n;
}

Graph::Graph() : top_(std::make_unique<Block>()) { top_->graph_ = this; }

const AttrFact* ClassInfo::attr(const std::string& n) const {
  for (const auto& a : attrs) {
    if (a.name == n) return &a;
  }
  return nullptr;
}

const Method* ClassInfo::method(const std::string& n) const {
  for (const auto& m : methods) {
    if (m->name == n) return m.get();
  }
  return nullptr;
}

std::string_view SourceFile::line_text(uint32_t line) const {
  if (line == 0 || line > line_starts.size()) return {};
  uint32_t b = line_starts[line - 1];
  uint32_t e = line < line_starts.size() ? line_starts[line] : static_cast<uint32_t>(text.size());
  std::string_view s(text.data() + b, e - b);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void SourceFile::set_text(std::string t) {
  text = std::move(t);
  line_starts = line_starts_of(text);
}

std::vector<uint32_t> line_starts_of(std::string_view text) {
  std::vector<uint32_t> out{0};
  for (size_t at = text.find('\n'); at != std::string_view::npos; at = text.find('\n', at + 1)) {
    out.push_back(static_cast<uint32_t>(at + 1));
  }
  return out;
}

std::pair<uint32_t, uint32_t> SourceFile::position(uint32_t offset) const {
  auto it = std::upper_bound(line_starts.begin(), line_starts.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - line_starts.begin());
  return {line, offset - line_starts[line - 1] + 1};
}

const ClassInfo* Program::find_class(const std::string& q) const {
  if (indexed_classes_ != classes.size()) {
    class_index_.clear();
    for (const auto& c : classes) class_index_.emplace(c->qualified_name, c.get());
    indexed_classes_ = classes.size();
  }
  auto it = class_index_.find(q);
  return it == class_index_.end() ? nullptr : it->second;
}

const Function* Program::find_function(const std::string& q) const {
  if (indexed_functions_ != functions.size()) {
    function_index_.clear();
    for (const auto& f : functions) function_index_.emplace(f->qualified_name, f.get());
    indexed_functions_ = functions.size();
  }
  auto it = function_index_.find(q);
  return it == function_index_.end() ? nullptr : it->second;
}

std::string normalize_condition(const std::string& text, const ClassInfo& cls) {
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 5, "self.") == 0 && (i == 0 || !ident(text[i - 1]))) {
      size_t j = i + 5;
      while (j < text.size() && ident(text[j])) ++j;
      std::string name = text.substr(i + 5, j - i - 5);
      const AttrFact* a = cls.attr(name);
      bool simple = a && a->kind == AttrFact::Kind::Plain && !a->init_text.empty() &&
                    std::all_of(a->init_text.begin(), a->init_text.end(), ident);
      out += simple ? a->init_text : name;
      i = j;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      ++i;
      continue;
    }
    out += text[i++];
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// ---------------------------------------------------------------------------
// Printer

std::string print_constant(const Constant& c) {
  struct V {
    std::string operator()(NoneConst) const { return "None"; }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      std::string s = fmt::format("{}", d);
      if (s.find_first_of(".eni") == std::string::npos) s += ".";  // a float stays visibly a float
      return s;
    }
    std::string operator()(const std::string& s) const {
      std::string out = "\"";
      for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (ch == '\n') {
          out += "\\n";
          continue;
        }
        out += ch;
      }
      return out + "\"";
    }
  };
  return std::visit(V{}, c);
}

namespace {

std::string value_name(const Value* v) {
  if (!v->debug_name().empty()) return fmt::format("%{}.{}", v->debug_name(), v->id());
  return fmt::format("%{}", v->id());
}

std::string join_values(const std::vector<Value*>& vs) {
  std::string out;
  for (size_t i = 0; i < vs.size(); ++i) {
    if (i) out += ", ";
    out += value_name(vs[i]);
  }
  return out;
}

std::string location(const Span& s, const Program& p) {
  if (!s.valid() || s.file >= static_cast<int>(p.files.size())) return "";
  return fmt::format("  # {}:{}:{}", p.files[static_cast<size_t>(s.file)].path, s.line, s.col);
}

void print_block(std::string& out, const Block& b, const Program& p, int indent);

void print_node(std::string& out, const Node& n, const Program& p, int indent) {
  std::string pad(static_cast<size_t>(indent) * 2, ' ');
  out += pad;
  if (!n.outputs().empty()) out += join_values(n.outputs()) + " = ";
  out += n.kind();
  if (n.is(kind::Constant) && n.value) {
    out += "[value=" + print_constant(*n.value) + "]";
  } else if (!n.name.empty()) {
    out += "[name=\"" + n.name + "\"]";
  }
  out += "(";
  for (size_t i = 0; i < n.inputs().size(); ++i) {
    if (i) out += ", ";
    if (!n.input_name(i).empty()) out += n.input_name(i) + "=";
    out += value_name(n.inputs()[i]);
  }
  out += ")";
  out += location(n.span(), p);
  out += "\n";
  for (size_t i = 0; i < n.blocks().size(); ++i) {
    const Block& b = *n.blocks()[i];
    out += fmt::format("{}  block{}({}):\n", pad, i, join_values(b.params()));
    print_block(out, b, p, indent + 2);
    out += fmt::format("{}    -> ({})\n", pad, join_values(b.returns()));
  }
}

void print_block(std::string& out, const Block& b, const Program& p, int indent) {
  for (const auto& n : b.nodes()) print_node(out, *n, p, indent);
}

}  // namespace

std::string print_graph(const Graph& g, const Program& p, const std::string& header) {
  std::string out = fmt::format("graph {}({}):\n", header, join_values(g.block()->params()));
  print_block(out, *g.block(), p, 1);
  out += fmt::format("  return ({})\n", join_values(g.block()->returns()));
  return out;
}

namespace {
std::string print_module_expr(const ModuleExpr& m) {
  switch (m.kind) {
    case ModuleExpr::Kind::Class: return m.class_name;
    case ModuleExpr::Kind::Opaque:
      return "opaque module" + (m.why_opaque.empty() ? "" : " (" + m.why_opaque + ")");
    case ModuleExpr::Kind::Container: {
      std::string out = m.class_name + "{";
      for (size_t i = 0; i < m.children.size(); ++i) {
        if (i) out += ", ";
        out += m.children[i].first + ": " + print_module_expr(m.children[i].second);
      }
      return out + "}";
    }
  }
  return "?";
}
}  // namespace

std::string print_class(const ClassInfo& c, const Program& p) {
  std::string out = fmt::format("class {}", c.qualified_name);
  if (!c.bases.empty()) {
    out += "(";
    for (size_t i = 0; i < c.bases.size(); ++i) out += (i ? ", " : "") + c.bases[i];
    out += ")";
  }
  out += ":" + location(c.span, p) + "\n";
  for (const auto& a : c.attrs) {
    std::string what;
    switch (a.kind) {
      case AttrFact::Kind::Submodule: what = "submodule " + print_module_expr(a.module); break;
      case AttrFact::Kind::Parameter: what = a.trainable ? "parameter" : "parameter (frozen)"; break;
      case AttrFact::Kind::Buffer: what = "buffer"; break;
      case AttrFact::Kind::Plain:
        what = a.set_outside_init ? "attribute (mutable)" : "config constant";
        if (a.constant_value_known) what += " = " + print_constant(a.constant);
        break;
    }
    if (a.optional) what += " or None";
    out += fmt::format("  {}: {}{}\n", a.name, what, location(a.def_span, p));
  }
  for (const auto& f : c.frozen) out += fmt::format("  frozen {}{}\n", f.first, location(f.second, p));
  return out;
}

}  // namespace ddplint::ir

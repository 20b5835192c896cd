// The TorchScript frontend: a scripted archive, loaded with LibTorch, lowered into
// ddplint IR. The only translation unit that includes torch headers.
//
// Every module instance becomes a ClassInfo of its own (qualified "<archive>::<path>")
// whose facts are the live module's: its parameters (trainable when requires_grad),
// buffers, children, and the values of its plain attributes, so that configuration
// flags are known constants and branches on them fold. The root's forward graph is
// copied and inlined (torch::jit::Inline), then lowered node for node: TorchScript's
// symbols are ddplint's, GetAttr chains stay chains (the module model turns them into
// dotted parameter paths), prim::Loop becomes ddplint's iterate-over-range loop. Each
// node is placed at the user's source: for inlined code the outermost call site of its
// inlined call stack, else its own range, else its consumer's or its block's.
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "lint/frontend/torchscript/plugin_api.h"

namespace ddplint::torchscript {
namespace {

namespace fs = std::filesystem;
namespace jit = torch::jit;

std::string error_text(const std::exception& e) {
  if (auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  std::string s = e.what();
  return s.substr(0, s.find("\nException raised from"));
}

/// "__torch__.models.RGBDNet" -> "RGBDNet"; mangled "___torch_mangle_3" parts dropped.
std::string short_type_name(const c10::ClassTypePtr& type) {
  if (!type || !type->name()) return "Module";
  std::string q = type->name()->qualifiedName();
  std::vector<std::string> parts;
  std::stringstream ss(q);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.rfind("___torch_mangle_", 0) == 0 || p == "__torch__") continue;
    parts.push_back(p);
  }
  return parts.empty() ? "Module" : parts.back();
}

struct Location {
  std::string file;
  size_t line = 0, col = 0, length = 0;  // line 1-based, col 0-based
  std::string text;                       // the range's text in the archived source
  std::string source_text;                // the archived source it lies in
  size_t source_first_line = 1;
};

class Lowering {
 public:
  Lowering(std::string archive, const LoadOptions& options, ir::Program& program, LoadResult& result)
      : archive_(std::move(archive)), options_(options), program_(program), result_(result) {}

  void run() {
    auto t0 = std::chrono::steady_clock::now();
    jit::Module module;
    try {
      module = jit::load(archive_);
    } catch (const std::exception& e) {
      fail(fmt::format("not a TorchScript archive torch::jit::load can read: {}", first_line(error_text(e))));
      return;
    }
    auto t1 = std::chrono::steady_clock::now();
    result_.load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    if (!module.find_method("forward")) {
      fail("the archive's module has no forward method");
      return;
    }
    std::shared_ptr<jit::Graph> graph;
    try {
      graph = module.get_method("forward").graph()->copy();
      jit::Inline(*graph);
    } catch (const std::exception& e) {
      fail(fmt::format("cannot inline forward: {}", first_line(error_text(e))));
      return;
    }
    if (is_traced(*graph)) {
      fail("a traced archive (torch.jit.trace): control flow was fixed at trace time and the archive records "
           "one path, so conditional parameter use cannot be checked; script the model (torch.jit.script) instead");
      return;
    }
    archive_file_ = add_file(archive_, "");
    build_classes(module, "");
    lower_forward(module, *graph);
    result_.lower_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  }

 private:
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  void fail(const std::string& message) {
    Diagnostic d;
    d.code = "DDP901";
    d.path = archive_;
    d.message = message;
    result_.diagnostics.push_back(std::move(d));
  }

  // ---- classes ------------------------------------------------------------

  std::string class_key(const std::string& path) const { return archive_ + "::" + path; }

  void build_classes(const jit::Module& m, const std::string& path) {
    auto cls = std::make_unique<ir::ClassInfo>();
    cls->qualified_name = class_key(path);
    cls->name = short_type_name(m.type());
    cls->file = archive_file_;
    std::set<std::string> seen = {"training"};
    for (const auto& p : m.named_parameters(/*recurse=*/false)) {
      ir::AttrFact a;
      a.name = p.name;
      a.kind = ir::AttrFact::Kind::Parameter;
      a.trainable = p.value.requires_grad();
      cls->attrs.push_back(a);
      seen.insert(p.name);
      params_.emplace(path.empty() ? p.name : path + "." + p.name, p.value);
    }
    for (const auto& b : m.named_buffers(/*recurse=*/false)) {
      ir::AttrFact a;
      a.name = b.name;
      a.kind = ir::AttrFact::Kind::Buffer;
      cls->attrs.push_back(a);
      seen.insert(b.name);
    }
    std::vector<std::pair<std::string, jit::Module>> children;
    for (const auto& c : m.named_children()) {
      ir::AttrFact a;
      a.name = c.name;
      a.kind = ir::AttrFact::Kind::Submodule;
      a.module.kind = ir::ModuleExpr::Kind::Class;
      a.module.class_name = class_key(path.empty() ? c.name : path + "." + c.name);
      cls->attrs.push_back(a);
      seen.insert(c.name);
      children.emplace_back(c.name, c.value);
    }
    // Plain attributes: the values the archive was saved with (configuration resolved).
    for (const auto& attr : m.named_attributes(/*recurse=*/false)) {
      if (seen.count(attr.name)) continue;
      ir::AttrFact a;
      a.name = attr.name;
      a.kind = ir::AttrFact::Kind::Plain;
      const c10::IValue& v = attr.value;
      a.constant_value_known = true;
      if (v.isBool()) {
        a.constant = v.toBool();
      } else if (v.isInt()) {
        a.constant = v.toInt();
      } else if (v.isDouble()) {
        a.constant = v.toDouble();
      } else if (v.isString()) {
        a.constant = v.toStringRef();
      } else if (v.isNone()) {
        a.constant = ir::NoneConst{};
      } else {
        a.constant_value_known = false;
      }
      cls->attrs.push_back(a);
    }
    program_.classes.push_back(std::move(cls));
    if (path.empty()) root_ = program_.classes.back().get();
    for (const auto& [name, child] : children) build_classes(child, path.empty() ? name : path + "." + name);
  }

  // ---- sources ------------------------------------------------------------

  std::string remap(const std::string& file) const {
    for (const auto& [from, to] : options_.source_roots) {
      if (file.rfind(from, 0) == 0) return to + file.substr(from.size());
    }
    return file;
  }

  int add_file(const std::string& path, const std::string& text) {
    ir::SourceFile f;
    f.path = path;
    f.module_name = path;
    f.text = text;
    f.line_starts.push_back(0);
    for (uint32_t i = 0; i < f.text.size(); ++i) {
      if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
    }
    program_.files.push_back(std::move(f));
    return static_cast<int>(program_.files.size()) - 1;
  }

  /// The file a location's source is read from: the file on disk when its text at
  /// the location is the archived text; else the archived source, marked stale.
  int file_for(const Location& loc) {
    std::string path = remap(loc.file);
    auto it = files_.find(path);
    if (it == files_.end()) {
      std::ifstream in(path, std::ios::binary);
      int index = -1;
      if (in) {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        index = add_file(path, text);
      }
      it = files_.emplace(path, index).first;
    }
    int index = it->second;
    if (index >= 0 && matches(program_.files[static_cast<size_t>(index)], loc)) return index;
    // Not on disk, or changed since the archive was saved: the archived text, at its lines.
    std::string key = path + "\n" + std::to_string(loc.source_first_line) + "\n" + std::to_string(loc.source_text.size());
    auto a = archived_.find(key);
    if (a != archived_.end()) return a->second;
    std::string text(loc.source_first_line > 0 ? loc.source_first_line - 1 : 0, '\n');
    text += loc.source_text;
    int archived = add_file(path, text);
    program_.files[static_cast<size_t>(archived)].stale_note =
        index >= 0 ? fmt::format("the archive {} is stale: {} changed since it was saved; this location is in the "
                                 "archived source",
                                 archive_, path)
                   : fmt::format("{} is not on disk (saved elsewhere? see --source-root); this location is in the "
                                 "source archived in {}",
                                 path, archive_);
    archived_.emplace(key, archived);
    return archived;
  }

  static bool matches(const ir::SourceFile& f, const Location& loc) {
    if (loc.line == 0 || loc.line > f.line_starts.size()) return false;
    size_t begin = f.line_starts[loc.line - 1] + loc.col;
    return begin + loc.text.size() <= f.text.size() && f.text.compare(begin, loc.text.size(), loc.text) == 0;
  }

  static std::optional<Location> location_of(const jit::SourceRange& range) {
    auto orig = range.findSourceRangeThatGenerated();
    if (!orig || !orig->source()) return std::nullopt;
    auto flc = orig->file_line_col();
    if (!flc) return std::nullopt;
    Location loc;
    loc.file = std::get<0>(*flc);
    loc.line = std::get<1>(*flc);
    loc.col = std::get<2>(*flc);
    if (loc.file.empty() || loc.line == 0) return std::nullopt;
    loc.text = orig->text().str();
    loc.text = loc.text.substr(0, loc.text.find('\n'));
    loc.length = loc.text.size();
    loc.source_text = orig->source()->text_str().str();
    loc.source_first_line = orig->source()->starting_line_no();
    return loc;
  }

  /// The user's location of a node: the outermost call site of inlined code, else its own.
  std::optional<Location> user_location(const jit::Node* n) {
    try {
      if (auto cs = n->callstack()) {
        auto entries = (*cs)->vec();
        if (!entries.empty()) {
          if (auto l = location_of(std::get<1>(entries.front()))) return l;
        }
      }
      return location_of(n->sourceRange());
    } catch (const std::exception&) {  // debug info is unpickled lazily: corrupt here, not at load
      return std::nullopt;
    }
  }

  ir::Span span_of(const Location& loc) {
    ir::Span s;
    s.file = file_for(loc);
    const ir::SourceFile& f = program_.files[static_cast<size_t>(s.file)];
    if (loc.line > f.line_starts.size()) return {};
    s.begin = f.line_starts[loc.line - 1] + static_cast<uint32_t>(loc.col);
    s.end = std::min<uint32_t>(static_cast<uint32_t>(f.text.size()), s.begin + static_cast<uint32_t>(loc.length));
    s.line = s.end_line = static_cast<uint32_t>(loc.line);
    s.col = static_cast<uint32_t>(loc.col) + 1;
    s.end_col = s.col + (s.end - s.begin);
    return s;
  }

  // ---- graphs -------------------------------------------------------------

  static bool is_traced(const jit::Graph& g) {
    // A traced archive's "source" is the Python stack at trace time, not code.
    static const std::regex frame(R"(^[^\n]+\(\d+\): [\w<>]+\n)");
    for (const jit::Node* n : g.nodes()) {
      try {
        auto orig = n->sourceRange().findSourceRangeThatGenerated();
        if (!orig || !orig->source()) continue;
        std::string text = orig->source()->text_str().str().substr(0, 400);
        return std::regex_search(text, frame);
      } catch (const std::exception&) {
        continue;
      }
    }
    return false;
  }

  void lower_forward(const jit::Module& module, const jit::Graph& g) {
    auto method = std::make_unique<ir::Method>();
    method->name = "forward";
    method->graph = std::make_unique<ir::Graph>();
    const auto& schema = module.get_method("forward").function().getSchema();
    ir::Block* top = method->graph->block();
    for (size_t i = 0; i < g.inputs().size(); ++i) {
      std::string name = i < schema.arguments().size() ? schema.arguments()[i].name() : g.inputs()[i]->debugName();
      if (i == 0) name = "self";
      values_[g.inputs()[i]] = top->add_param(name);
      method->param_names.push_back(name);
      method->param_defaults.emplace_back(std::nullopt);
    }
    lower_block(*g.block(), *top, {});
    for (const jit::Value* r : g.outputs()) top->add_return(value(r, *top, {}));
    if (auto l = location_of(g.nodes().front()->sourceRange())) method->span = span_of(*l);
    root_->methods.push_back(std::move(method));
    // The root is reported at its forward's file; the class span is what findings on
    // the whole model (DDP102 of an unreferenced module) point at.
    root_->span = root_->methods.back()->span;
    for (auto& c : program_.classes) {
      if (c->file == archive_file_ && c.get() != root_) c->span = root_->span;
    }
    for (auto& a : root_->attrs) a.def_span = root_->span;
  }

  ir::Value* value(const jit::Value* v, ir::Block& block, const ir::Span& span) {
    auto it = values_.find(v);
    if (it != values_.end()) return it->second;
    // A value defined outside what was lowered (should not happen): an opaque stand-in.
    ir::Node* n = block.append(ir::kind::Opaque, span);
    ir::Value* out = n->add_output();
    values_[v] = out;
    return out;
  }

  void lower_block(const jit::Block& from, ir::Block& to, const ir::Span& outer) {
    for (const jit::Node* n : from.nodes()) lower_node(*n, to, outer);
  }

  ir::Span node_span(const jit::Node& n, const ir::Span& outer) {
    if (auto l = user_location(&n)) {
      ir::Span s = span_of(*l);
      if (s.valid()) return s;
    }
    return outer;
  }

  void lower_node(const jit::Node& n, ir::Block& block, const ir::Span& outer) {
    ir::Span span = node_span(n, outer);
    std::string kind = n.kind().toQualString();
    auto inputs = [&](ir::Node* out, size_t from = 0) {
      for (size_t i = from; i < n.inputs().size(); ++i) out->add_input(value(n.inputs()[i], block, span));
    };
    auto outputs = [&](ir::Node* out) {
      for (const jit::Value* o : n.outputs()) values_[o] = out->add_output();
    };
    auto text = [&](ir::Node* out) {
      if (auto l = user_location(&n)) out->text = l->text;
    };
    if (n.kind() == c10::prim::Constant) {
      std::optional<ir::Constant> c;
      if (auto iv = jit::toIValue(n.output())) {
        if (iv->isBool()) c = iv->toBool();
        else if (iv->isInt()) c = iv->toInt();
        else if (iv->isDouble()) c = iv->toDouble();
        else if (iv->isString()) c = iv->toStringRef();
        else if (iv->isNone()) c = ir::NoneConst{};
      }
      // A tensor, list or device constant is opaque to the analysis.
      ir::Node* out = block.append(c ? ir::kind::Constant : ir::kind::Opaque, span);
      out->value = c;
      outputs(out);
      return;
    }
    if (n.kind() == c10::prim::If) {
      ir::Node* out = block.append(ir::kind::If, span);
      inputs(out);
      text(out);
      for (size_t b = 0; b < 2 && b < n.blocks().size(); ++b) {
        ir::Block* nb = out->add_block();
        lower_block(*n.blocks()[b], *nb, span);
        for (const jit::Value* r : n.blocks()[b]->outputs()) nb->add_return(value(r, *nb, span));
      }
      outputs(out);
      return;
    }
    if (n.kind() == c10::prim::Loop) {
      // TorchScript: Loop(max_trips, cond, carried...) { (i, carried...) -> (cond, carried...) }.
      // ddplint: Loop(Iterate(range(max_trips)), carried...) { (elem, carried...) -> (carried...) }.
      ir::Node* range = block.append(ir::kind::CallFunction, span);
      range->name = "builtins.range";
      range->add_input(value(n.inputs()[0], block, span));
      ir::Value* r = range->add_output();
      ir::Node* iter = block.append(ir::kind::Iterate, span);
      iter->add_input(r);
      ir::Value* it = iter->add_output();
      ir::Node* loop = block.append(ir::kind::Loop, span);
      loop->name = "for";
      loop->add_input(it);
      for (size_t i = 2; i < n.inputs().size(); ++i) loop->add_input(value(n.inputs()[i], block, span));
      text(loop);
      ir::Block* body = loop->add_block();
      const jit::Block* from = n.blocks()[0];
      for (const jit::Value* p : from->inputs()) values_[p] = body->add_param(p->debugName());
      lower_block(*from, *body, span);
      for (size_t i = 1; i < from->outputs().size(); ++i) body->add_return(value(from->outputs()[i], *body, span));
      outputs(loop);
      return;
    }
    ir::Node* out = block.append(kind, span);
    if (n.hasAttribute(c10::attr::name) && n.kindOf(c10::attr::name) == jit::AttributeKind::s) {
      out->name = n.s(c10::attr::name);
    }
    inputs(out);
    text(out);
    for (size_t b = 0; b < n.blocks().size(); ++b) {  // other nodes with blocks: lowered, not modelled
      ir::Block* nb = out->add_block();
      lower_block(*n.blocks()[b], *nb, span);
    }
    outputs(out);
  }

  std::string archive_;
  const LoadOptions& options_;
  ir::Program& program_;
  LoadResult& result_;
  int archive_file_ = -1;
  ir::ClassInfo* root_ = nullptr;
  std::map<std::string, at::Tensor> params_;
  std::map<std::string, int> files_;     // path -> file index (-1: not on disk)
  std::map<std::string, int> archived_;  // archived sources used instead
  std::unordered_map<const jit::Value*, ir::Value*> values_;
};

}  // namespace
}  // namespace ddplint::torchscript

extern "C" __attribute__((visibility("default"))) int ddplint_torchscript_abi() {
  return ddplint::torchscript::kPluginAbi;
}

extern "C" __attribute__((visibility("default"))) void ddplint_torchscript_load(
    const char* path, const ddplint::torchscript::LoadOptions* options, ddplint::ir::Program* program,
    ddplint::torchscript::LoadResult* result) {
  try {
    ddplint::torchscript::Lowering(path, *options, *program, *result).run();
  } catch (const std::exception& e) {
    ddplint::Diagnostic d;
    d.code = "DDP901";
    d.path = path;
    d.message = std::string("internal error while reading the archive: ") + e.what();
    result->diagnostics.push_back(std::move(d));
  }
}

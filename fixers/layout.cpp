#include "fixers/layout.h"

#include "fixers/call_arguments.h"
#include "lint/frontend/python/syntax.h"

namespace ddplint::fixers {
namespace {

using frontend::python::Syntax;
using frontend::python::SyntaxNode;

struct Parsed {
  const frontend::python::SyntaxTree* tree = nullptr;
  Parsed(const ir::Program& program, int file) : tree(syntax_tree(program, file)) {}
  SyntaxNode call_at(const ir::Span& s) const {
    if (!tree) return SyntaxNode{};
    SyntaxNode n = tree->root().descendant_for_byte_range(s.begin, s.end);
    while (!n.is_null() &&
           !(Syntax::is(n, "call") && n.start_byte() == s.begin && n.end_byte() == s.end)) {
      n = n.parent();
    }
    return n;
  }
};

bool simple(SyntaxNode n) {
  return Syntax::is(n, "identifier") || Syntax::is(n, "attribute") || Syntax::is(n, "call") || Syntax::is(n, "subscript");
}

/// The keyword argument text `memory_format=...` of a call, or "".
std::string memory_format_arg(const Syntax& syn, SyntaxNode call) {
  for (SyntaxNode a : Syntax::children(Syntax::field(call, "arguments"))) {
    if (Syntax::is(a, "keyword_argument") && syn.text(Syntax::field(a, "name")) == "memory_format") return syn.text(a);
  }
  return "";
}

}  // namespace

std::optional<std::vector<Edit>> move_conversion_before_wrap(const ir::Program& program, int file_index,
                                                             const ir::Span& conversion, const ir::Span& ddp_call) {
  const std::string& text = program.files[static_cast<size_t>(file_index)].text;
  Parsed p(program, file_index);
  Syntax syn(text, file_index);
  SyntaxNode conv = p.call_at(conversion), wrap = p.call_at(ddp_call);
  if (conv.is_null() || wrap.is_null()) return std::nullopt;
  SyntaxNode fn = Syntax::field(conv, "function");
  if (!Syntax::is(fn, "attribute")) return std::nullopt;
  std::string receiver = syn.text(Syntax::field(fn, "object"));
  if (memory_format_arg(syn, conv).empty()) return std::nullopt;
  // All of the conversion's arguments move: `.to(rank, memory_format=...)` keeps `rank`.
  std::string conversion_args = syn.text(Syntax::field(conv, "arguments"));
  // The model argument of the wrap.
  SyntaxNode model{};
  bool found = false;
  for (SyntaxNode a : Syntax::children(Syntax::field(wrap, "arguments"))) {
    if (Syntax::is(a, "keyword_argument")) {
      if (syn.text(Syntax::field(a, "name")) == "module") {
        model = Syntax::field(a, "value");
        found = true;
      }
      continue;
    }
    if (!found) {
      model = a;
      found = true;
    }
  }
  if (!found) return std::nullopt;
  std::string m = syn.text(model);
  std::vector<Edit> edits;
  edits.push_back({file_index, model.start_byte(), model.end_byte(),
                   (simple(model) ? m : "(" + m + ")") + ".to" + conversion_args});
  // `model = model.to(...)` or a bare `model.to(...)`: the statement goes; otherwise the
  // conversion is replaced by its receiver.
  SyntaxNode parent = conv.parent();
  SyntaxNode stmt = parent.parent();
  // Only a plain `model = model.to(...)` / `model.to(...)` goes as a whole: a chained
  // receiver (`model.half().to(...)`) still does something.
  SyntaxNode recv_node = Syntax::field(fn, "object");
  bool plain_receiver = Syntax::is(recv_node, "identifier") || Syntax::is(recv_node, "attribute");
  bool reassign = Syntax::is(parent, "assignment") && syn.text(Syntax::field(parent, "left")) == receiver &&
                  Syntax::is(stmt, "expression_statement") && plain_receiver;
  bool bare = Syntax::is(parent, "expression_statement") && plain_receiver;
  SyntaxNode whole = bare ? parent : stmt;
  // The conversion must run whenever the wrap does: both in the same block.
  auto block_of = [](SyntaxNode n) {
    while (!n.is_null() && !Syntax::is(n, "block") && !Syntax::is(n, "module")) n = n.parent();
    return n;
  };
  if (!(block_of(wrap) == block_of(conv))) return std::nullopt;
  if (reassign || bare) {
    uint32_t b = whole.start_byte(), e = whole.end_byte();
    uint32_t line_start = b;
    while (line_start > 0 && (text[line_start - 1] == ' ' || text[line_start - 1] == '\t')) --line_start;
    uint32_t line_end = e;
    while (line_end < text.size() && (text[line_end] == ' ' || text[line_end] == '\t')) ++line_end;
    bool alone = (line_start == 0 || text[line_start - 1] == '\n') && (line_end == text.size() || text[line_end] == '\n');
    // The only statement of its block: `pass` keeps the block.
    SyntaxNode block = whole.parent();
    bool only = Syntax::is(block, "block") && Syntax::children(block).size() == 1;
    if (alone && !only) {
      edits.push_back({file_index, line_start, std::min<uint32_t>(line_end + 1, static_cast<uint32_t>(text.size())), ""});
    } else {
      edits.push_back({file_index, b, e, "pass"});
    }
  } else {
    edits.push_back({file_index, conv.start_byte(), conv.end_byte(), receiver});
  }
  return edits;
}

std::optional<Edit> drop_conversion(const ir::Program& program, int file_index, const ir::Span& conversion) {
  const ir::SourceFile& file = program.files[static_cast<size_t>(file_index)];
  Parsed p(program, file_index);
  Syntax syn(file.text, file_index);
  SyntaxNode conv = p.call_at(conversion);
  if (conv.is_null()) return std::nullopt;
  SyntaxNode fn = Syntax::field(conv, "function");
  if (!Syntax::is(fn, "attribute")) return std::nullopt;
  SyntaxNode obj = Syntax::field(fn, "object");
  std::string r = syn.text(obj);
  // Only the memory_format argument goes: `x.to(dev, memory_format=cl)` -> `x.to(dev)`.
  auto args = Syntax::children(Syntax::field(conv, "arguments"));
  std::string kept;
  for (SyntaxNode a : args) {
    if (Syntax::is(a, "keyword_argument") && syn.text(Syntax::field(a, "name")) == "memory_format") continue;
    kept += (kept.empty() ? "" : ", ") + syn.text(a);
  }
  std::string method = syn.text(Syntax::field(fn, "attribute"));
  if (kept.empty() && method == "to") return Edit{file_index, conv.start_byte(), conv.end_byte(), r};
  return Edit{file_index, conv.start_byte(), conv.end_byte(), r + "." + method + "(" + kept + ")"};
}

}  // namespace ddplint::fixers

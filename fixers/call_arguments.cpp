#include "fixers/call_arguments.h"

#include <cstring>

#include "lint/frontend/python/syntax.h"

namespace ddplint::fixers {
namespace {

using frontend::python::Syntax;
using frontend::python::SyntaxNode;

struct Tree {
  TSParser* parser = ts_parser_new();
  TSTree* tree = nullptr;
  explicit Tree(const std::string& text) {
    ts_parser_set_language(parser, tree_sitter_python());
    tree = ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
  }
  ~Tree() {
    if (tree) ts_tree_delete(tree);
    ts_parser_delete(parser);
  }
};

std::string line_indent(const std::string& text, uint32_t offset) {
  uint32_t start = offset;
  while (start > 0 && text[start - 1] != '\n') --start;
  uint32_t end = start;
  while (end < text.size() && (text[end] == ' ' || text[end] == '\t')) ++end;
  return text.substr(start, end - start);
}

uint32_t line_of(const std::string& text, uint32_t offset) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < offset && i < text.size(); ++i) n += text[i] == '\n';
  return n;
}

}  // namespace

const frontend::python::SyntaxTree* syntax_tree(const ir::Program& program, int file) {
  auto it = program.syntax_cache.find(file);
  if (it != program.syntax_cache.end()) return static_cast<const frontend::python::SyntaxTree*>(it->second.get());
  auto tree = frontend::python::SyntaxTree::parse(program.files[static_cast<size_t>(file)].text);
  program.syntax_cache[file] = tree;
  return tree.get();
}

bool parses_cleanly(const std::string& text) {
  Tree t(text);
  return t.tree && !ts_node_has_error(ts_tree_root_node(t.tree));
}

std::optional<Edit> set_keyword(const ir::Program& program, int file_index, const ir::Span& call,
                                const std::string& name, const std::string& value) {
  const std::string& text = program.files[static_cast<size_t>(file_index)].text;
  const frontend::python::SyntaxTree* tree = syntax_tree(program, file_index);
  if (!tree) return std::nullopt;
  SyntaxNode n = tree->root().descendant_for_byte_range(call.begin, call.end);
  while (!n.is_null() && !(Syntax::is(n, "call") && n.start_byte() == call.begin &&
                                  n.end_byte() == call.end)) {
    n = n.parent();
  }
  if (n.is_null()) return std::nullopt;
  SyntaxNode args = Syntax::field(n, "arguments");
  if (!Syntax::is(args, "argument_list")) return std::nullopt;
  Syntax syn(text, file_index);
  SyntaxNode last{};
  bool have_last = false;
  for (SyntaxNode a : Syntax::children(args)) {
    if (Syntax::is(a, "keyword_argument") && syn.text(Syntax::field(a, "name")) == name) {
      SyntaxNode v = Syntax::field(a, "value");
      return Edit{file_index, v.start_byte(), v.end_byte(), value};
    }
    last = a;
    have_last = true;
  }
  std::string kw = name + "=" + value;
  uint32_t close = args.end_byte() - 1;  // the ")"
  if (!have_last) return Edit{file_index, close, close, kw};
  // A trailing comma after the last argument?
  uint32_t after = last.end_byte();
  uint32_t p = after;
  while (p < close && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' || text[p] == '\r')) ++p;
  bool trailing_comma = p < close && text[p] == ',';
  bool own_line_close = line_of(text, close) != line_of(text, after);
  if (own_line_close) {
    // One argument per line: a new line in the same indentation, keeping the style.
    std::string indent = line_indent(text, last.start_byte());
    if (trailing_comma) return Edit{file_index, p + 1, p + 1, "\n" + indent + kw + ","};
    return Edit{file_index, after, after, ",\n" + indent + kw};
  }
  if (trailing_comma) return Edit{file_index, p + 1, p + 1, " " + kw + ","};
  return Edit{file_index, after, after, ", " + kw};
}

}  // namespace ddplint::fixers

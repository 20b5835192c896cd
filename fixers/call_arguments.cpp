#include "fixers/call_arguments.h"

#include <cstring>

#include "lint/frontend/python/syntax.h"

namespace ddplint::fixers {
namespace {

using frontend::python::Syntax;

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

const TSTree* syntax_tree(const ir::Program& program, int file) {
  auto it = program.syntax_cache.find(file);
  if (it != program.syntax_cache.end()) return static_cast<const TSTree*>(it->second.get());
  const std::string& text = program.files[static_cast<size_t>(file)].text;
  TSParser* parser = ts_parser_new();
  ts_parser_set_language(parser, tree_sitter_python());
  TSTree* tree = ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
  ts_parser_delete(parser);
  std::shared_ptr<void> held(tree, [](void* t) {
    if (t) ts_tree_delete(static_cast<TSTree*>(t));
  });
  program.syntax_cache[file] = held;
  return tree;
}

bool parses_cleanly(const std::string& text) {
  Tree t(text);
  return t.tree && !ts_node_has_error(ts_tree_root_node(t.tree));
}

std::optional<Edit> set_keyword(const ir::Program& program, int file_index, const ir::Span& call,
                                const std::string& name, const std::string& value) {
  const std::string& text = program.files[static_cast<size_t>(file_index)].text;
  const TSTree* tree = syntax_tree(program, file_index);
  if (!tree) return std::nullopt;
  TSNode n = ts_node_descendant_for_byte_range(ts_tree_root_node(tree), call.begin, call.end);
  while (!ts_node_is_null(n) && !(Syntax::is(n, "call") && ts_node_start_byte(n) == call.begin &&
                                  ts_node_end_byte(n) == call.end)) {
    n = ts_node_parent(n);
  }
  if (ts_node_is_null(n)) return std::nullopt;
  TSNode args = Syntax::field(n, "arguments");
  if (!Syntax::is(args, "argument_list")) return std::nullopt;
  Syntax syn(text, file_index);
  TSNode last{};
  bool have_last = false;
  for (TSNode a : Syntax::children(args)) {
    if (Syntax::is(a, "keyword_argument") && syn.text(Syntax::field(a, "name")) == name) {
      TSNode v = Syntax::field(a, "value");
      return Edit{file_index, ts_node_start_byte(v), ts_node_end_byte(v), value};
    }
    last = a;
    have_last = true;
  }
  std::string kw = name + "=" + value;
  uint32_t close = ts_node_end_byte(args) - 1;  // the ")"
  if (!have_last) return Edit{file_index, close, close, kw};
  // A trailing comma after the last argument?
  uint32_t after = ts_node_end_byte(last);
  uint32_t p = after;
  while (p < close && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' || text[p] == '\r')) ++p;
  bool trailing_comma = p < close && text[p] == ',';
  bool own_line_close = line_of(text, close) != line_of(text, after);
  if (own_line_close) {
    // One argument per line: a new line in the same indentation, keeping the style.
    std::string indent = line_indent(text, ts_node_start_byte(last));
    if (trailing_comma) return Edit{file_index, p + 1, p + 1, "\n" + indent + kw + ","};
    return Edit{file_index, after, after, ",\n" + indent + kw};
  }
  if (trailing_comma) return Edit{file_index, p + 1, p + 1, " " + kw + ","};
  return Edit{file_index, after, after, ", " + kw};
}

}  // namespace ddplint::fixers

#include "fixers/zero_term.h"

#include "fixers/call_arguments.h"
#include "lint/frontend/python/syntax.h"

namespace ddplint::fixers {
namespace {

using frontend::python::Syntax;
using frontend::python::SyntaxNode;

std::string indent_at(const std::string& text, uint32_t offset) {
  uint32_t start = offset;
  while (start > 0 && text[start - 1] != '\n') --start;
  uint32_t end = start;
  while (end < text.size() && (text[end] == ' ' || text[end] == '\t')) ++end;
  return text.substr(start, end - start);
}

}  // namespace

std::optional<Edit> zero_term_edit(const ir::Program& program, int file_index, const ir::Span& if_span,
                                   bool skip_is_then, const std::string& var, const std::string& term) {
  const std::string& text = program.files[static_cast<size_t>(file_index)].text;
  const frontend::python::SyntaxTree* tree = syntax_tree(program, file_index);
  std::optional<Edit> out;
  if (tree) {
    SyntaxNode n = tree->root().descendant_for_byte_range(if_span.begin, if_span.begin);
    while (!n.is_null() && !(Syntax::is(n, "if_statement") && n.start_byte() == if_span.begin)) {
      n = n.parent();
    }
    if (!n.is_null()) {
      Syntax syn(text, file_index);
      std::string indent = indent_at(text, n.start_byte());
      // Tabs in the indentation: where a new line lands depends on tab width rules
      // that differ between tools; no edit is safer than a misplaced one.
      if (indent.find('\t') != std::string::npos) return std::nullopt;
      bool has_else = !Syntax::fields(n, "alternative").empty();
      auto body = Syntax::children(Syntax::field(n, "consequence"));
      if (!skip_is_then && !has_else && !var.empty()) {
        // `if c: x = x + f(x)` -> add `else: x = x + 0.0 * <term>`.
        std::string add = "\n" + indent + "else:\n" + indent + "    " + var + " = " + var + " + 0.0 * " + term;
        out = Edit{file_index, n.end_byte(), n.end_byte(), add};
      } else if (!skip_is_then && has_else && !var.empty()) {
        // An `else:` already there (another finding's zero term, or code of its own):
        // the term goes at its end, unless the block leaves (return, continue, ...) or
        // sits on the `else:` line itself.
        SyntaxNode alt = Syntax::field(n, "alternative");
        auto stmts = Syntax::children(Syntax::field(alt, "body"));
        if (Syntax::is(alt, "else_clause") && !stmts.empty()) {
          SyntaxNode last = stmts.back();
          bool leaves = Syntax::is(last, "return_statement") || Syntax::is(last, "continue_statement") ||
                        Syntax::is(last, "break_statement") || Syntax::is(last, "raise_statement");
          bool own_line = last.start_point().row > alt.start_point().row;
          if (!leaves && own_line) {
            std::string stmt_indent = indent_at(text, last.start_byte());
            std::string add = "\n" + stmt_indent + var + " = " + var + " + 0.0 * " + term;
            out = Edit{file_index, last.end_byte(), last.end_byte(), add};
          }
        }
      } else if (skip_is_then && !body.empty()) {
        SyntaxNode last = body.back();
        std::string stmt_indent = indent_at(text, last.start_byte());
        if (Syntax::is(last, "continue_statement") && !var.empty()) {
          std::string add = var + " = " + var + " + 0.0 * " + term + "\n" + stmt_indent;
          out = Edit{file_index, last.start_byte(), last.start_byte(), add};
        } else if (Syntax::is(last, "return_statement")) {
          auto k = Syntax::children(last);
          if (k.size() == 1 && !Syntax::is(k[0], "expression_list") && !Syntax::is(k[0], "none")) {
            bool simple = Syntax::is(k[0], "identifier") || Syntax::is(k[0], "attribute") || Syntax::is(k[0], "call") ||
                          Syntax::is(k[0], "subscript");
            std::string e = syn.text(k[0]);
            out = Edit{file_index, k[0].start_byte(), k[0].end_byte(),
                       (simple ? e : "(" + e + ")") + " + 0.0 * " + term};
          }
        }
      }
    }
  }
  return out;
}

}  // namespace ddplint::fixers

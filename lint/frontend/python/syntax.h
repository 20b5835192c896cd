// Small helpers over syntax nodes (tree.h), shared by the Python frontend's parts.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "lint/frontend/python/tree.h"
#include "lint/ir/ir.h"

extern "C" const TSLanguage* tree_sitter_python(void);

namespace ddplint::frontend::python {

/// Thrown when input nests deeper than the frontend recurses; reported as DDP901.
struct TooDeep {
  ir::Span span;
  bool too_large = false;  ///< the function lowers to more nodes than ddplint follows
};
inline constexpr int kMaxDepth = 300;

class Syntax {
 public:
  Syntax(const std::string& text, int file) : text_(text), file_(file) {}

  static bool is(SyntaxNode n, const char* type) {
    if (n.is_null()) return false;
    const char* t = n.type();
    return t[0] == type[0] && std::strcmp(t, type) == 0;  // most tests fail on the first letter
  }
  static SyntaxNode field(SyntaxNode n, const char* name) { return n.child_by_field_id(cached_field_id(name)); }
  /// The grammar's id of a field name (0 when it has none), without tree-sitter's
  /// linear search over the names.
  static TSFieldId field_id(std::string_view name);
  /// field_id, remembered by the name's address (callers pass literals); a hit is
  /// confirmed against the grammar's spelling, so any string is safe.
  static TSFieldId cached_field_id(const char* name) {
    struct Slot {
      const char* key = nullptr;
      const char* spelling = nullptr;  ///< the grammar's
      TSFieldId id = 0;
    };
    thread_local Slot slots[64];
    Slot& s = slots[(reinterpret_cast<uintptr_t>(name) >> 2) & 63];
    if (s.key == name && std::strcmp(s.spelling, name) == 0) return s.id;
    TSFieldId id = field_id(name);
    if (id) s = {name, ts_language_field_name_for_id(tree_sitter_python(), id), id};
    return id;
  }
  /// Named children without comments.
  static std::vector<SyntaxNode> children(SyntaxNode n) {
    std::vector<SyntaxNode> out;
    for (SyntaxNode ch = n.first_child(); !ch.is_null(); ch = ch.next_sibling()) {
      if (ch.is_named() && !is(ch, "comment") && !is(ch, "line_continuation")) out.push_back(ch);
    }
    return out;
  }
  /// All children with a given field name (e.g. several "name" in an import).
  static std::vector<SyntaxNode> fields(SyntaxNode n, const char* name) {
    std::vector<SyntaxNode> out;
    TSFieldId id = cached_field_id(name);
    if (id == 0) return out;
    for (SyntaxNode ch = n.first_child(); !ch.is_null(); ch = ch.next_sibling()) {
      if (ch.field_id() == id) out.push_back(ch);
    }
    return out;
  }

  std::string text(SyntaxNode n) const {
    if (n.is_null()) return "";
    return text_.substr(n.start_byte(), n.end_byte() - n.start_byte());
  }
  ir::Span span(SyntaxNode n) const {
    ir::Span s;
    if (n.is_null()) return s;
    s.file = file_;
    s.begin = n.start_byte();
    s.end = n.end_byte();
    TSPoint a = n.start_point(), b = n.end_point();
    s.line = a.row + 1;
    s.col = a.column + 1;
    s.end_line = b.row + 1;
    s.end_col = b.column + 1;
    return s;
  }
  /// The text of a dotted name (`nn.Linear`, `torch.nn.functional.relu`), or "" when
  /// `n` is anything else.
  std::string dotted(SyntaxNode n) const {
    if (is(n, "identifier")) return text(n);
    if (is(n, "attribute")) {
      std::string head = dotted(field(n, "object"));
      if (head.empty()) return "";
      return head + "." + text(field(n, "attribute"));
    }
    return "";
  }
  /// A Python literal as a constant (ints, floats, True/False/None, plain strings), or
  /// nullopt (f-strings, `1_000`, anything else).
  std::optional<ir::Constant> literal(SyntaxNode n) const {
    try {
      if (is(n, "integer")) return ir::Constant{static_cast<int64_t>(std::stoll(text(n), nullptr, 0))};
      if (is(n, "float")) return ir::Constant{std::stod(text(n))};
    } catch (...) {
      return std::nullopt;
    }
    if (is(n, "true")) return ir::Constant{true};
    if (is(n, "false")) return ir::Constant{false};
    if (is(n, "none")) return ir::Constant{ir::NoneConst{}};
    if (is(n, "string")) {
      std::string content;
      for (SyntaxNode ch : children(n)) {
        if (is(ch, "interpolation")) return std::nullopt;
        if (is(ch, "string_content")) content += text(ch);
      }
      return ir::Constant{content};
    }
    return std::nullopt;
  }

  int file() const { return file_; }

 private:
  const std::string& text_;
  int file_;
};

}  // namespace ddplint::frontend::python

// Small helpers over tree-sitter nodes, shared by the Python frontend's parts.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

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

  static bool is(TSNode n, const char* type) {
    if (ts_node_is_null(n)) return false;
    const char* t = ts_node_type(n);
    return t[0] == type[0] && std::strcmp(t, type) == 0;  // most tests fail on the first letter
  }
  static TSNode field(TSNode n, const char* name) { return ts_node_child_by_field_id(n, cached_field_id(name)); }
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
  static std::vector<TSNode> children(TSNode n) {
    std::vector<TSNode> out;
    if (ts_node_is_null(n)) return out;
    uint32_t c = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < c; ++i) {
      TSNode ch = ts_node_named_child(n, i);
      if (!is(ch, "comment") && !is(ch, "line_continuation")) out.push_back(ch);
    }
    return out;
  }
  /// All children with a given field name (e.g. several "name" in an import).
  static std::vector<TSNode> fields(TSNode n, const char* name) {
    std::vector<TSNode> out;
    if (ts_node_is_null(n)) return out;
    TSTreeCursor c = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&c)) {
      do {
        const char* f = ts_tree_cursor_current_field_name(&c);
        if (f && std::strcmp(f, name) == 0) out.push_back(ts_tree_cursor_current_node(&c));
      } while (ts_tree_cursor_goto_next_sibling(&c));
    }
    ts_tree_cursor_delete(&c);
    return out;
  }

  std::string text(TSNode n) const {
    if (ts_node_is_null(n)) return "";
    return text_.substr(ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n));
  }
  ir::Span span(TSNode n) const {
    ir::Span s;
    if (ts_node_is_null(n)) return s;
    s.file = file_;
    s.begin = ts_node_start_byte(n);
    s.end = ts_node_end_byte(n);
    TSPoint a = ts_node_start_point(n), b = ts_node_end_point(n);
    s.line = a.row + 1;
    s.col = a.column + 1;
    s.end_line = b.row + 1;
    s.end_col = b.column + 1;
    return s;
  }
  /// The text of a dotted name (`nn.Linear`, `torch.nn.functional.relu`), or "" when
  /// `n` is anything else.
  std::string dotted(TSNode n) const {
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
  std::optional<ir::Constant> literal(TSNode n) const {
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
      for (TSNode ch : children(n)) {
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

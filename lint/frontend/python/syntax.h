// Small helpers over syntax nodes (tree.h), shared by the Python frontend's parts.
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "lint/frontend/python/tree.h"
#include "lint/ir/ir.h"

namespace ddplint::frontend::python {

/// Thrown when input nests deeper than the frontend recurses; reported as DDP901.
struct TooDeep {
  ir::Span span;
  bool too_large = false;  ///< the function lowers to more nodes than ddplint follows
};
inline constexpr int kMaxDepth = 300;

/// A node's children as Syntax::children lists them: up to 8 without a heap
/// allocation (the frontend asks for millions of short lists). Indexable and iterable
/// as a vector, and converts to one.
class NodeList {
 public:
  NodeList() = default;
  NodeList(const NodeList& o) { *this = o; }
  NodeList& operator=(const NodeList& o) {
    if (this != &o) {
      heap_ = o.heap_;
      size_ = o.size_;
      std::copy(o.inline_, o.inline_ + std::min<size_t>(size_, kInline), inline_);
    }
    return *this;
  }
  void push_back(SyntaxNode n) {
    if (size_ < kInline) {
      inline_[size_++] = n;
      return;
    }
    if (size_ == kInline) heap_.assign(inline_, inline_ + kInline);
    heap_.push_back(n);
    ++size_;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const SyntaxNode* begin() const { return size_ <= kInline ? inline_ : heap_.data(); }
  const SyntaxNode* end() const { return begin() + size_; }
  const SyntaxNode& operator[](size_t i) const { return begin()[i]; }
  const SyntaxNode& at(size_t i) const {
    if (i >= size_) throw std::out_of_range("NodeList::at");
    return begin()[i];
  }
  const SyntaxNode& front() const { return begin()[0]; }
  const SyntaxNode& back() const { return begin()[size_ - 1]; }
  operator std::vector<SyntaxNode>() const { return {begin(), end()}; }

 private:
  static constexpr size_t kInline = 8;
  SyntaxNode inline_[kInline];
  size_t size_ = 0;
  std::vector<SyntaxNode> heap_;  ///< all of them, once there are more than kInline
};

class Syntax {
 public:
  Syntax(const std::string& text, int file) : text_(text), file_(file) {}

  /// A node type or field name as written in the code ("call", "body"): a string
  /// literal (checked at compile time), so its address names it for the program's life
  /// and the lookups below remember their answer by that address.
  class GrammarName {
   public:
    template <size_t N>
    consteval GrammarName(const char (&s)[N]) : text_(s) {}
    const char* text() const { return text_; }

   private:
    const char* text_;
  };

  /// Whether `n` is of the type: one comparison of name indices (tree.h).
  static bool is(SyntaxNode n, GrammarName type) {
    return !n.is_null() && SyntaxTree::name_index(n.symbol()) == cached_name_index(type);
  }
  static SyntaxNode field(SyntaxNode n, GrammarName name) { return n.child_by_field_id(cached_field_id(name)); }
  /// The grammar's id of a field name (0 when it has none), without tree-sitter's
  /// linear search over the names.
  static TSFieldId field_id(std::string_view name);

  /// Named children without comments.
  static NodeList children(SyntaxNode n) {
    NodeList out;
    for (SyntaxNode ch = n.first_child(); !ch.is_null(); ch = ch.next_sibling()) {
      if (ch.is_named() && !is(ch, "comment") && !is(ch, "line_continuation")) out.push_back(ch);
    }
    return out;
  }
  /// All children with a given field name (e.g. several "name" in an import).
  static std::vector<SyntaxNode> fields(SyntaxNode n, GrammarName name) {
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
  /// Lookups remembered per name (by its address) and thread.
  template <class T>
  struct Memo {
    const char* key = nullptr;
    T value{};
  };
  static constexpr size_t kMemoSlots = 1024;
  static size_t slot(GrammarName name) {  // Fibonacci hashing of the address
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(name.text()) * 0x9E3779B97F4A7C15ull) >> 54);
  }
  static uint16_t cached_name_index(GrammarName name) {
    thread_local Memo<uint16_t> memo[kMemoSlots];
    Memo<uint16_t>& m = memo[slot(name)];
    if (m.key != name.text()) m = {name.text(), SyntaxTree::name_index(name.text())};
    return m.value;
  }
  static TSFieldId cached_field_id(GrammarName name) {
    thread_local Memo<TSFieldId> memo[kMemoSlots];
    Memo<TSFieldId>& m = memo[slot(name)];
    if (m.key != name.text()) m = {name.text(), field_id(name.text())};
    return m.value;
  }

  const std::string& text_;
  int file_;
};

}  // namespace ddplint::frontend::python

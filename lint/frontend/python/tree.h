// A parsed file's syntax tree as one array: tree-sitter's tree, flattened once.
//
// tree-sitter keeps a tree as reference-counted subtrees spread over the heap, and
// walks them on every question: a field lookup iterates the node's children through
// the grammar's field map, the i-th named child iterates from the first. The frontend
// asks millions of such questions, and keeping every file's tree for the whole run
// held about half of a large run's memory. A SyntaxTree holds the nodes the frontend
// reads (named nodes, comments included, and the anonymous ones a field names, such as
// a binary operator's `operator`; not the other punctuation and keywords, a third of all
// nodes) in document order, each with its parent, its next sibling and the field its
// parent gives it, so that navigation is a scan over a few contiguous entries;
// tree-sitter's tree is dropped as soon as it is flattened (prepare_source), and the
// parser's memory is reused by the next file.
//
// The answers are tree-sitter's for the nodes kept: SyntaxNode's methods mean what the
// ts_node_ function of the same name means (tests/syntax_tree_test.cpp compares them node
// by node).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tree_sitter/api.h>

#include "lint/frontend/python/subtree_walk.h"

extern "C" const TSLanguage* tree_sitter_python(void);

namespace ddplint::frontend::python {

class SyntaxTree;

/// A node of a SyntaxTree (a null node has no tree). Cheap to copy; valid while its
/// tree lives.
class SyntaxNode {
 public:
  SyntaxNode() = default;
  SyntaxNode(const SyntaxTree* tree, uint32_t id) : tree_(tree), id_(id) {}

  bool is_null() const { return tree_ == nullptr; }
  uint32_t start_byte() const;
  uint32_t end_byte() const;
  TSPoint start_point() const;
  TSPoint end_point() const;
  TSSymbol symbol() const;
  /// The grammar's name of the node's symbol: "call", "identifier", "(".
  const char* type() const;
  bool is_named() const;
  /// 0 when the parent gives it no field.
  TSFieldId field_id() const;

  SyntaxNode parent() const;
  /// Children in order, as kept (named ones, comments included, and fielded tokens).
  SyntaxNode first_child() const;
  SyntaxNode next_sibling() const;
  /// The first child the parent gives the field (ts_node_child_by_field_id).
  SyntaxNode child_by_field_id(TSFieldId field) const;
  uint32_t named_child_count() const;
  SyntaxNode named_child(uint32_t index) const;
  /// The smallest kept node that spans [start, end).
  SyntaxNode descendant_for_byte_range(uint32_t start, uint32_t end) const;

  const SyntaxTree* tree() const { return tree_; }
  uint32_t id() const { return id_; }
  bool operator==(const SyntaxNode& o) const { return tree_ == o.tree_ && id_ == o.id_; }
  bool operator!=(const SyntaxNode& o) const { return !(*this == o); }

 private:
  const SyntaxTree* tree_ = nullptr;
  uint32_t id_ = 0;
};

class SyntaxTree {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  /// 20 bytes: a large run holds millions (points come from the line table). The C
  /// walker (subtree_walk.h) writes them.
  using Entry = DdplintFlatEntry;
  /// Leaves new entries uninitialised, so that room the walk reserves but does not use
  /// is never touched (nor made resident).
  struct EntryAllocator : std::allocator<Entry> {
    template <class U>
    struct rebind {
      using other = EntryAllocator;
    };
    void construct(Entry* p) { ::new (static_cast<void*>(p)) Entry; }
    template <class... A>
    void construct(Entry* p, A&&... a) {
      ::new (static_cast<void*>(p)) Entry{std::forward<A>(a)...};
    }
  };
  using Entries = std::vector<Entry, EntryAllocator>;

  /// Flattens `root` and everything under it. Stops when the nesting passes
  /// `depth_limit` (recursion elsewhere would not survive such input): returns null and
  /// sets `deepest` to the first node past the limit.
  /// `text` is the source tree-sitter parsed (for the line table).
  static std::shared_ptr<SyntaxTree> flatten(TSNode root, std::string_view text, uint32_t depth_limit,
                                             TSNode* deepest = nullptr);
  /// The same, with the line table of the text already made (ir::line_starts_of).
  static std::shared_ptr<SyntaxTree> flatten(TSNode root, std::vector<uint32_t> line_starts, uint32_t depth_limit,
                                             TSNode* deepest = nullptr);
  /// Parses `text` as Python and flattens it; null when tree-sitter gives up. Syntax
  /// errors are kept (ERROR and MISSING nodes), as in tree-sitter's tree.
  static std::shared_ptr<SyntaxTree> parse(const std::string& text);
  /// Whether flatten walks tree-sitter's subtrees directly (subtree_walk.h) rather than
  /// through its cursor: built against the matching tree-sitter, and agreeing with the
  /// cursor on a probe at run time.
  static bool subtree_walk_in_use();
  /// The nodes flatten keeps, found through tree-sitter's cursor only (tests compare).
  static Entries entries_by_cursor(TSNode root);
  const Entries& entries() const { return entries_; }

  SyntaxNode root() const { return entries_.empty() ? SyntaxNode{} : SyntaxNode{this, 0}; }
  const Entry& entry(uint32_t id) const { return entries_[id]; }
  size_t size() const { return entries_.size(); }
  /// Row and byte column of a byte offset, as tree-sitter counts them (rows end at '\n').
  TSPoint point_at(uint32_t byte) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), byte);
    auto row = static_cast<uint32_t>(it - line_starts_.begin()) - 1;
    return {row, byte - line_starts_[row]};
  }
  /// Whether tree-sitter found a syntax error anywhere (ts_node_has_error on the root).
  bool has_error() const { return has_error_; }

  /// Symbols that share a name ("identifier" as a rule and as an alias) share a name
  /// index, so that a type test is one comparison: name_index(node.symbol()) ==
  /// name_index("identifier"). kNoName for a name the grammar does not have.
  static constexpr uint16_t kNoName = UINT16_MAX;
  static uint16_t name_index(TSSymbol symbol) {
    // The table is set once, before main; zero entries until then: the slow path.
    return symbol < name_index_count_ ? name_index_table_[symbol] : name_index_slow(symbol);
  }
  static uint16_t name_index(const char* name);

 private:
  static uint16_t name_index_slow(TSSymbol symbol);
  static const uint16_t* name_index_table_;
  static uint32_t name_index_count_;
  Entries entries_;  ///< in document (pre-)order: a node's children follow it
  std::vector<uint32_t> line_starts_;  ///< byte offset of each row's first byte
  bool has_error_ = false;
};

inline uint32_t SyntaxNode::start_byte() const { return tree_->entry(id_).start_byte; }
inline uint32_t SyntaxNode::end_byte() const { return tree_->entry(id_).end_byte; }
inline TSPoint SyntaxNode::start_point() const { return tree_->point_at(start_byte()); }
inline TSPoint SyntaxNode::end_point() const { return tree_->point_at(end_byte()); }
inline TSSymbol SyntaxNode::symbol() const { return tree_->entry(id_).symbol; }
inline bool SyntaxNode::is_named() const { return tree_->entry(id_).named; }
inline TSFieldId SyntaxNode::field_id() const { return tree_->entry(id_).field; }

inline SyntaxNode SyntaxNode::parent() const {
  if (!tree_) return {};
  uint32_t p = tree_->entry(id_).parent;
  return p == SyntaxTree::kNone ? SyntaxNode{} : SyntaxNode{tree_, p};
}

inline SyntaxNode SyntaxNode::first_child() const {
  if (!tree_) return {};
  uint32_t c = id_ + 1;
  return c < tree_->size() && tree_->entry(c).parent == id_ ? SyntaxNode{tree_, c} : SyntaxNode{};
}

inline SyntaxNode SyntaxNode::next_sibling() const {
  if (!tree_) return {};
  uint32_t s = tree_->entry(id_).next_sibling;
  return s == SyntaxTree::kNone ? SyntaxNode{} : SyntaxNode{tree_, s};
}

inline SyntaxNode SyntaxNode::child_by_field_id(TSFieldId field) const {
  if (!tree_ || field == 0) return {};
  for (SyntaxNode c = first_child(); !c.is_null(); c = c.next_sibling()) {
    if (c.field_id() == field) return c;
  }
  return {};
}

}  // namespace ddplint::frontend::python

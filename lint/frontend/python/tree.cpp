#include "lint/frontend/python/tree.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string_view>
#include <unordered_map>

#include "lint/frontend/python/syntax.h"
#include "lint/ir/ir.h"

namespace ddplint::frontend::python {

namespace {

/// Each symbol's name, and its name index: the first symbol with the same name.
struct NameTable {
  std::vector<uint16_t> index;
  std::vector<const char*> names;
  NameTable() {
    const TSLanguage* lang = tree_sitter_python();
    uint32_t n = ts_language_symbol_count(lang);
    index.resize(n);
    names.resize(n);
    for (TSSymbol s = 0; s < n; ++s) {
      names[s] = ts_language_symbol_name(lang, s);
      index[s] = s;
      for (TSSymbol t = 0; t < s; ++t) {
        if (std::strcmp(names[t], names[s]) == 0) {
          index[s] = index[t];
          break;
        }
      }
    }
  }
};

const NameTable& name_table() {
  static const NameTable table;
  return table;
}

}  // namespace

// Set during static initialisation; a call before then takes name_index_slow.
const uint16_t* SyntaxTree::name_index_table_ = name_table().index.data();
uint32_t SyntaxTree::name_index_count_ = static_cast<uint32_t>(name_table().index.size());

uint16_t SyntaxTree::name_index_slow(TSSymbol symbol) {
  const std::vector<uint16_t>& t = name_table().index;
  return symbol < t.size() ? t[symbol] : name_index(ts_language_symbol_name(tree_sitter_python(), symbol));
}

const char* SyntaxNode::type() const {
  const std::vector<const char*>& names = name_table().names;
  TSSymbol s = symbol();
  return s < names.size() ? names[s] : ts_language_symbol_name(tree_sitter_python(), s);  // ERROR
}

uint16_t SyntaxTree::name_index(const char* name) {
  static const std::unordered_map<std::string_view, uint16_t> by_name = [] {
    const NameTable& t = name_table();
    std::unordered_map<std::string_view, uint16_t> m;
    for (size_t s = 0; s < t.names.size(); ++s) m.emplace(t.names[s], t.index[s]);  // the first wins
    // tree-sitter's error symbol is not in the grammar's table: it gets an index of its own.
    m.emplace("ERROR", static_cast<uint16_t>(t.names.size()));
    return m;
  }();
  auto it = by_name.find(name);
  return it == by_name.end() ? kNoName : it->second;
}

uint32_t SyntaxNode::named_child_count() const {
  uint32_t n = 0;
  for (SyntaxNode c = first_child(); !c.is_null(); c = c.next_sibling()) n += c.is_named();
  return n;
}

SyntaxNode SyntaxNode::named_child(uint32_t index) const {
  for (SyntaxNode c = first_child(); !c.is_null(); c = c.next_sibling()) {
    if (c.is_named() && index-- == 0) return c;
  }
  return {};
}

SyntaxNode SyntaxNode::descendant_for_byte_range(uint32_t start, uint32_t end) const {
  // As tree-sitter descends: into the first child that reaches past both ends of the
  // range and starts at or before its start.
  SyntaxNode node = *this;
  if (node.is_null()) return node;
  for (bool descended = true; descended;) {
    descended = false;
    for (SyntaxNode c = node.first_child(); !c.is_null(); c = c.next_sibling()) {
      uint32_t c_end = c.end_byte();
      if (c_end < end || c_end <= start) continue;
      if (start < c.start_byte()) break;
      node = c;
      descended = true;
      break;
    }
  }
  return node;
}

namespace {

using Entry = SyntaxTree::Entry;
constexpr uint32_t kNone = SyntaxTree::kNone;

/// The kept nodes under `root` through tree-sitter's public cursor. False when a node
/// lies deeper than `depth_limit` (`deepest` is then the first such node).
bool walk_with_cursor(TSNode root, uint32_t depth_limit, SyntaxTree::Entries& entries, TSNode* deepest) {
  std::vector<uint32_t> open{kNone};      // open[d]: the node at depth d-1 (parent of depth d)
  std::vector<uint32_t> last_at{kNone};  // last_at[d]: the last node seen at depth d
  std::vector<uint32_t> left{0};         // left[d]: siblings still to visit at depth d
  // The cursor's moves are its costly part (a failed goto_next_sibling climbs through
  // the hidden nodes of a balanced list first): child counts, which are O(1), say where
  // a move would fail, and it is not made.
  TSTreeCursor c = ts_tree_cursor_new(root);
  uint32_t depth = 0;
  bool ok = true;
  for (;;) {
    TSNode cur = ts_tree_cursor_current_node(&c);
    const bool named = ts_node_is_named(cur);
    const auto field = static_cast<uint8_t>(depth ? ts_tree_cursor_current_field_id(&c) : 0);
    const uint32_t children = ts_node_child_count(cur);
    if (depth > depth_limit) {
      if (deepest) *deepest = cur;
      ok = false;
      break;
    }
    // Punctuation and keywords that no field names (`(`, `,`, `def`, `return`) are left
    // out: nothing reads them, and they are a third of all nodes. Kept: named nodes, and
    // anonymous ones a field names (`operator`, `operators`).
    const bool kept = named || field != 0 || children > 0 || depth == 0;
    const uint32_t id = kept ? static_cast<uint32_t>(entries.size()) : kNone;
    if (kept) {
      entries.push_back(Entry{ts_node_start_byte(cur), ts_node_end_byte(cur), open[depth], kNone,
                              ts_node_symbol(cur), field, static_cast<uint8_t>(named)});
      if (last_at[depth] != kNone) entries[last_at[depth]].next_sibling = id;
      last_at[depth] = id;
    }
    if (children > 0 && ts_tree_cursor_goto_first_child(&c)) {
      ++depth;
      if (open.size() <= depth) {
        open.resize(depth + 1);
        last_at.resize(depth + 1);
        left.resize(depth + 1);
      }
      open[depth] = id;
      last_at[depth] = kNone;
      left[depth] = children - 1;
      continue;
    }
    bool moved = false;
    while (depth > 0 && !moved) {
      if (left[depth] > 0 && ts_tree_cursor_goto_next_sibling(&c)) {
        --left[depth];
        moved = true;
      } else {
        ts_tree_cursor_goto_parent(&c);
        --depth;
      }
    }
    if (!moved) break;
  }
  ts_tree_cursor_delete(&c);
  return ok;
}

/// The same through ddplint_walk_subtrees (subtree_walk.h); its result code.
int walk_subtrees(TSNode root, uint32_t depth_limit, SyntaxTree::Entries& entries) {
  // Python has about 0.44 kept nodes per byte (the bench tree): room for one per 2 bytes
  // avoids growing the array.
  entries.resize((ts_node_end_byte(root) - ts_node_start_byte(root)) / 2 + 16);
  DdplintFlatOut out{entries.data(), 0, entries.size(), &entries, [](DdplintFlatOut* o) {
                       // No exception may cross the C walk: out of memory ends it, and the
                       // cursor's walk (C++) meets the failure again where it can be handled.
                       try {
                         auto* v = static_cast<SyntaxTree::Entries*>(o->owner);
                         v->resize(v->size() * 2);
                         o->data = v->data();
                         o->capacity = v->size();
                         return 1;
                       } catch (const std::bad_alloc&) {
                         return 0;
                       }
                     }};
  int result = ddplint_walk_subtrees(root, depth_limit, &out);
  entries.resize(result == DDPLINT_WALK_DONE ? out.size : 0);
  return result;
}

bool same_entries(const SyntaxTree::Entries& a, const SyntaxTree::Entries& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Entry& x, const Entry& y) {
    return x.start_byte == y.start_byte && x.end_byte == y.end_byte && x.parent == y.parent &&
           x.next_sibling == y.next_sibling && x.symbol == y.symbol && x.field == y.field && x.named == y.named;
  });
}

/// Whether the subtree walk was built and gives the cursor's answers on a probe that has
/// what differs between the two: aliases, fields through hidden nodes, extras (comments),
/// scanner tokens, errors and missing nodes. Checked once per process: the walk reads
/// tree-sitter's internal layout, and a different libtree-sitter at run time than at
/// build time must not give wrong trees.
bool subtree_walk_agrees() {
  static const bool agrees = [] {
    // Small: it is parsed at each start (tree-sitter costs ~2,500 instructions a byte).
    static constexpr std::string_view kProbe =
        "import a.b as c\n"
        "class M(B, k=1):\n"
        "    def f(self, x: int = 1, *a, **k) -> T:  # c\n"
        "        match x:\n            case [1, *r] if r: del x[0]\n"
        "        return f'{x!r}' + [i for i in x if i][1:2] - (x\n";  // MISSING `)`
    TSParser* parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree* tree = ts_parser_parse_string(parser, nullptr, kProbe.data(), static_cast<uint32_t>(kProbe.size()));
    ts_parser_delete(parser);
    if (!tree) return false;
    SyntaxTree::Entries fast, slow;
    bool ok = walk_subtrees(ts_tree_root_node(tree), UINT32_MAX, fast) == DDPLINT_WALK_DONE &&
              walk_with_cursor(ts_tree_root_node(tree), UINT32_MAX, slow, nullptr) && same_entries(fast, slow);
    ts_tree_delete(tree);
    return ok;
  }();
  return agrees;
}

}  // namespace

bool SyntaxTree::subtree_walk_in_use() { return subtree_walk_agrees(); }

std::shared_ptr<SyntaxTree> SyntaxTree::flatten(TSNode root, std::string_view text, uint32_t depth_limit,
                                                TSNode* deepest) {
  return flatten(root, ir::line_starts_of(text), depth_limit, deepest);
}

std::shared_ptr<SyntaxTree> SyntaxTree::flatten(TSNode root, std::vector<uint32_t> line_starts,
                                                uint32_t depth_limit, TSNode* deepest) {
  auto out = std::make_shared<SyntaxTree>();
  out->line_starts_ = std::move(line_starts);
  out->has_error_ = ts_node_has_error(root);
  if (subtree_walk_agrees()) {
    int result = walk_subtrees(root, depth_limit, out->entries_);
    if (result == DDPLINT_WALK_DONE) return out;
    // Too deep: the cursor's walk finds the node to report.
    if (result == DDPLINT_WALK_TOO_DEEP && !deepest) return nullptr;
  }
  out->entries_.clear();
  out->entries_.reserve((ts_node_end_byte(root) - ts_node_start_byte(root)) / 2 + 16);
  if (!walk_with_cursor(root, depth_limit, out->entries_, deepest)) return nullptr;
  return out;
}

/// For tests: the kept nodes through tree-sitter's cursor only.
SyntaxTree::Entries SyntaxTree::entries_by_cursor(TSNode root) {
  Entries entries;
  walk_with_cursor(root, UINT32_MAX, entries, nullptr);
  return entries;
}

std::shared_ptr<SyntaxTree> SyntaxTree::parse(const std::string& text) {
  TSParser* parser = ts_parser_new();
  ts_parser_set_language(parser, tree_sitter_python());
  TSTree* tree = ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
  ts_parser_delete(parser);
  if (!tree) return nullptr;
  auto out = flatten(ts_tree_root_node(tree), text, UINT32_MAX);
  ts_tree_delete(tree);
  return out;
}

}  // namespace ddplint::frontend::python

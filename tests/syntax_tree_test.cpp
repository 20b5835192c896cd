// The flat syntax tree answers as tree-sitter's own tree does: every node of every
// Python file under testdata/ and examples/ (and some awkward snippets), compared
// question by question with the ts_node_* function of the same name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lint/frontend/python/parse_arena.h"
#include "lint/frontend/python/syntax.h"
#include "lint/frontend/python/tree.h"
#include "test_util.h"

namespace ddplint::frontend::python {
namespace {

bool same(TSNode a, SyntaxNode b) {
  if (ts_node_is_null(a) || b.is_null()) return ts_node_is_null(a) == b.is_null();
  return ts_node_start_byte(a) == b.start_byte() && ts_node_end_byte(a) == b.end_byte() &&
         ts_node_symbol(a) == b.symbol() && ts_node_is_named(a) == b.is_named();
}

/// Whether the flat tree keeps a node of tree-sitter's (it leaves out anonymous leaves
/// that no field names: punctuation and keywords).
bool kept(TSNode n, TSFieldId field) {
  return ts_node_is_named(n) || field != 0 || ts_node_child_count(n) > 0 || ts_node_is_null(ts_node_parent(n));
}

/// What the flat tree answers for tree-sitter's descendant_for_byte_range answer `ts`:
/// the same node, or, for a token it leaves out, the token's parent.
bool same_descendant(TSNode ts, SyntaxNode flat) {
  if (same(ts, flat)) return true;
  return !ts_node_is_named(ts) && ts_node_child_count(ts) == 0 && same(ts_node_parent(ts), flat);
}

bool same_entries(const SyntaxTree::Entries& a, const SyntaxTree::Entries& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].start_byte != b[i].start_byte || a[i].end_byte != b[i].end_byte || a[i].parent != b[i].parent ||
        a[i].next_sibling != b[i].next_sibling || a[i].symbol != b[i].symbol || a[i].field != b[i].field ||
        a[i].named != b[i].named) {
      ADD_FAILURE() << "entry " << i << " differs";
      return false;
    }
  }
  return true;
}

/// Walks tree-sitter's visible nodes in document order beside the flat tree's entries
/// and compares every answer for the nodes it keeps. Returns the number of nodes
/// compared.
size_t compare(const std::string& text, const std::string& what) {
  TSParser* parser = ts_parser_new();
  ts_parser_set_language(parser, tree_sitter_python());
  TSTree* raw = ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
  auto flat = SyntaxTree::flatten(ts_tree_root_node(raw), text, UINT32_MAX);
  EXPECT_NE(flat, nullptr) << what;
  if (!flat) return 0;
  EXPECT_EQ(flat->has_error(), ts_node_has_error(ts_tree_root_node(raw))) << what;
  // The subtree walk (where it is used) and the cursor keep the same entries.
  EXPECT_TRUE(same_entries(flat->entries(), SyntaxTree::entries_by_cursor(ts_tree_root_node(raw)))) << what;
  const TSLanguage* lang = tree_sitter_python();
  const uint32_t fields = ts_language_field_count(lang);
  TSTreeCursor c = ts_tree_cursor_new(ts_tree_root_node(raw));
  uint32_t id = 0;
  size_t failures = 0;
  for (;;) {
    TSNode n = ts_tree_cursor_current_node(&c);
    if (kept(n, ts_tree_cursor_current_field_id(&c))) {
    EXPECT_LT(id, flat->size()) << what;
    if (id >= flat->size()) break;
    SyntaxNode f(flat.get(), id);
    auto where = [&] { return what + " node " + std::to_string(id) + " `" + ts_node_type(n) + "`"; };
    bool ok = same(n, f) && std::string(ts_node_type(n)) == f.type() &&
              ts_node_start_point(n).row == f.start_point().row &&
              ts_node_start_point(n).column == f.start_point().column &&
              ts_node_end_point(n).row == f.end_point().row && ts_node_end_point(n).column == f.end_point().column &&
              ts_node_named_child_count(n) == f.named_child_count();
    // tree-sitter finds a parent by position from the root, which cannot place a
    // zero-width MISSING node (it answers the `(` before a missing `)`); the flat tree
    // records the real one.
    if (ok && !ts_node_is_missing(n) && !same(ts_node_parent(n), f.parent())) {
      ADD_FAILURE() << where() << ": parent";
      ok = false;
    }
    EXPECT_TRUE(ok) << where();
    for (uint32_t i = 0; ok && i < ts_node_named_child_count(n); ++i) {
      if (!same(ts_node_named_child(n, i), f.named_child(i))) {
        ADD_FAILURE() << where() << ": named child " << i;
        ok = false;
      }
    }
    for (TSFieldId field = 1; ok && field <= fields; ++field) {
      TSNode want = ts_node_child_by_field_id(n, field);
      // A field inherited through an aliased hidden rule (`match_statement`'s
      // alternatives live in its `block`): ts_node_child_by_field_id reaches through
      // the block, the flat tree gives the field to the block's children, as
      // tree-sitter's cursor (and Syntax::fields) always did.
      if (!ts_node_is_null(want) && !ts_node_eq(ts_node_parent(want), n)) want = TSNode{};
      if (!same(want, f.child_by_field_id(field))) {
        ADD_FAILURE() << where() << ": field " << ts_language_field_name_for_id(lang, field);
        ok = false;
      }
    }
    // A node's own range, and the range of its first byte, from the root.
    uint32_t b = ts_node_start_byte(n), e = ts_node_end_byte(n);
    TSNode root = ts_tree_root_node(raw);
    if (ok &&
        (!same_descendant(ts_node_descendant_for_byte_range(root, b, e), flat->root().descendant_for_byte_range(b, e)) ||
         !same_descendant(ts_node_descendant_for_byte_range(root, b, b), flat->root().descendant_for_byte_range(b, b)))) {
      ADD_FAILURE() << where() << ": descendant_for_byte_range";
      ok = false;
    }
    if (!ok && ++failures > 5) break;
    ++id;
    }
    if (ts_tree_cursor_goto_first_child(&c)) continue;
    bool moved = false;
    while (!moved) {
      if (ts_tree_cursor_goto_next_sibling(&c)) {
        moved = true;
      } else if (!ts_tree_cursor_goto_parent(&c)) {
        break;
      }
    }
    if (!moved) break;
  }
  ts_tree_cursor_delete(&c);
  if (failures == 0) EXPECT_EQ(id, flat->size()) << what << ": node count";
  ts_tree_delete(raw);
  ts_parser_delete(parser);
  return id;
}

TEST(SyntaxTree, AnswersAsTreeSitterOnEveryTestFile) {
  namespace fs = std::filesystem;
  size_t files = 0, nodes = 0;
  for (const char* dir : {"testdata", "examples"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(test_util::source_dir()) / dir)) {
      if (entry.path().extension() != ".py" || !entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      nodes += compare(ss.str(), entry.path().string());
      ++files;
    }
  }
  EXPECT_GT(files, 50u);
  EXPECT_GT(nodes, 10000u);
}

TEST(SyntaxTree, AnswersAsTreeSitterOnAwkwardSource) {
  // Syntax errors (ERROR and MISSING nodes), comments between fields, decorators, line
  // continuations, string interpolation, an empty file, CRLF.
  for (const char* text : {
           "",
           "def f(:\n    return\n",
           "x = (1,\n",
           "class A(nn.Module):  # c\n    @dec\n    def forward(self, x):  # c\n        return self.f(x) \\\n + 1\n",
           "y = f'{a!r:>{w}}' if a else b  # c\n",
           "import a.b as c, d\nfrom .x import (y as z,  # c\n  w)\n",
           "if a:\r\n    pass\r\nelif b:\r\n    pass\r\nelse:\r\n    pass\r\n",
           "match x:\n    case [a, *rest]:\n        pass\n",
           "lambda: (yield)\n",
           "print >> f, 'x'\nexec 'x'\n",
           "x = [\n  1,  # one\n  # alone\n  2,\n]\n",
           "def f(*, a, b=1, **k): ...\n@a.b(c)\n@d\nclass E: pass\n",
           "\xef\xbb\xbfx = 1\n",
           "x = 1\x00\ny = 2\n",
       }) {
    compare(text, std::string("snippet: ") + text);
  }
  // Long lists: tree-sitter balances their hidden repeat nodes into deep hidden chains.
  std::string stmts, list = "x = [";
  for (int i = 0; i < 3000; ++i) {
    stmts += "a" + std::to_string(i) + " = f(" + std::to_string(i) + ")  # c\n";
    list += std::to_string(i) + ", ";
  }
  compare(stmts, "3000 statements");
  compare(list + "]\n", "a 3000-element list");
  // Two kept nodes a byte (a unary operator and its `-`): more than flatten reserves.
  compare("x = " + std::string(500, '-') + "1\n", "500 unary minus");
}

TEST(SyntaxTree, SubtreeWalkIsUsedWhereBuilt) {
  if (!ddplint_subtree_walk_built()) {
    GTEST_SKIP() << "built against a tree-sitter other than the vendored layout's: flattening uses the cursor";
  }
  EXPECT_TRUE(SyntaxTree::subtree_walk_in_use());
}

TEST(SyntaxTree, FlattenStopsPastTheDepthLimit) {
  std::string text = "x = " + std::string(300, '(') + "1" + std::string(300, ')') + "\n";
  TSParser* parser = ts_parser_new();
  ts_parser_set_language(parser, tree_sitter_python());
  TSTree* raw = ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
  TSNode deepest{};
  EXPECT_EQ(SyntaxTree::flatten(ts_tree_root_node(raw), text, 100, &deepest), nullptr);
  EXPECT_FALSE(ts_node_is_null(deepest));
  EXPECT_EQ(SyntaxTree::flatten(ts_tree_root_node(raw), text, 100), nullptr);
  EXPECT_NE(SyntaxTree::flatten(ts_tree_root_node(raw), text, 1000), nullptr);
  ts_tree_delete(raw);
  ts_parser_delete(parser);
}

}  // namespace
}  // namespace ddplint::frontend::python

namespace ddplint::frontend::python {
namespace {

TSTree* parse_raw(TSParser* parser, const std::string& text) {
  return ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
}

TEST(ParseArena, FilesReuseTheSameMemory) {
  std::string text;
  for (int i = 0; i < 400; ++i) text += "class C" + std::to_string(i) + ":\n    def f(self, x):\n        return x + 1\n";
  size_t after_first = 0;
  for (int round = 0; round < 10; ++round) {
    ParseArena::Scope arena;
    TSParser* parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    TSTree* tree = parse_raw(parser, text);
    auto flat = SyntaxTree::flatten(ts_tree_root_node(tree), text, 1000);
    ASSERT_NE(flat, nullptr);
    EXPECT_EQ(Syntax::children(flat->root()).size(), 400u);
    ts_parser_delete(parser);  // the tree is left to the arena
    if (round == 0) after_first = ParseArena::reserved_bytes();
  }
  EXPECT_GT(after_first, 0u);
  EXPECT_EQ(ParseArena::reserved_bytes(), after_first);
}

TEST(ParseArena, HeapObjectsStayValidAcrossScopes) {
  // A parser and a tree made outside any scope stay valid across one (their blocks are
  // the heap's, and stay there), and a scope's objects may be deleted inside it.
  TSParser* parser = ts_parser_new();
  ts_parser_set_language(parser, tree_sitter_python());
  TSTree* before = parse_raw(parser, "x = 1\n");
  {
    ParseArena::Scope arena;
    TSParser* inner = ts_parser_new();
    ts_parser_set_language(inner, tree_sitter_python());
    TSTree* t = parse_raw(inner, "def f():\n    return [i for i in range(3)]\n");
    EXPECT_FALSE(ts_node_has_error(ts_tree_root_node(t)));
    ts_tree_delete(t);  // allowed: a no-op on arena blocks
    ts_parser_delete(inner);
  }
  TSTree* after = parse_raw(parser, "y = 2\n");
  EXPECT_FALSE(ts_node_has_error(ts_tree_root_node(after)));
  EXPECT_EQ(SyntaxTree::flatten(ts_tree_root_node(before), "x = 1\n", 10)->size(), SyntaxTree::flatten(ts_tree_root_node(after), "y = 2\n", 10)->size());
  ts_tree_delete(before);
  ts_tree_delete(after);
  ts_parser_delete(parser);
}

}  // namespace
}  // namespace ddplint::frontend::python

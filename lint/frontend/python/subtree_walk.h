/* Flattening a tree-sitter tree by walking its subtrees directly (C, for tree.cpp).
 *
 * tree-sitter's public cursor costs ~500 instructions per move on Python trees (a move
 * climbs and re-descends through hidden nodes, and the field of each node is looked up
 * by walking up the cursor's stack), and flattening through it cost a fifth of a
 * check's parsing. subtree_walk.c visits each subtree once, carrying what the cursor
 * recomputes (position, alias sequence, inherited field) down its own stack.
 *
 * It reads tree-sitter's internal subtree layout, so it is built only against the
 * tree-sitter release whose internal headers vendor/ holds (CMake checks the version);
 * tree.cpp also compares its answers with the cursor's on a probe file once per
 * process and uses the cursor when they differ or when it is not built. */
#ifndef DDPLINT_SUBTREE_WALK_H_
#define DDPLINT_SUBTREE_WALK_H_

#include <stddef.h>
#include <stdint.h>

#include <tree_sitter/api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One kept node (SyntaxTree::Entry is this struct). */
typedef struct DdplintFlatEntry {
  uint32_t start_byte, end_byte;
  uint32_t parent;       /* UINT32_MAX for the root */
  uint32_t next_sibling; /* UINT32_MAX for the last child */
  TSSymbol symbol;       /* public symbol, as ts_node_symbol */
  uint8_t field;         /* as ts_tree_cursor_current_field_id; Python has < 256 fields */
  uint8_t named;         /* as ts_node_is_named */
} DdplintFlatEntry;

/* Where the walk writes: `grow` makes room for at least one more entry (it may move
 * `data`) and returns 0 when it cannot. */
typedef struct DdplintFlatOut {
  DdplintFlatEntry* data;
  size_t size, capacity;
  void* owner;
  int (*grow)(struct DdplintFlatOut*);
} DdplintFlatOut;

enum { DDPLINT_WALK_DONE = 1, DDPLINT_WALK_TOO_DEEP = 0, DDPLINT_WALK_UNAVAILABLE = -1 };

/* Appends the nodes SyntaxTree keeps under `root` (a tree's root node), in document
 * order: named nodes, and anonymous ones that have a field or children. Returns
 * DDPLINT_WALK_TOO_DEEP (output incomplete) when a visible node lies deeper than
 * `depth_limit`, DDPLINT_WALK_UNAVAILABLE when built without the internal layout or
 * when `grow` fails. */
int ddplint_walk_subtrees(TSNode root, uint32_t depth_limit, DdplintFlatOut* out);

/* Whether the walk was built (against the vendored layout's tree-sitter release). */
int ddplint_subtree_walk_built(void);

#ifdef __cplusplus
}
#endif

#endif /* DDPLINT_SUBTREE_WALK_H_ */

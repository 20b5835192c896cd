/* See subtree_walk.h. The rules below are those of tree-sitter 0.20.7's tree_cursor.c
 * and node.c, which define what a node, its field and its symbol are:
 *  - a child is visible when its subtree is, or when the parent's production aliases it
 *    (extras are never aliased and do not count as structural children);
 *  - a hidden child with visible descendants contributes them, in order, as children of
 *    the nearest visible ancestor;
 *  - a node's field is the first non-inherited field map entry found for it, or else for
 *    its hidden ancestors up to the nearest visible one; an extra stops the search;
 *  - positions: a node starts where the previous sibling ended plus its own padding. */
#include "lint/frontend/python/subtree_walk.h"

#ifdef DDPLINT_SUBTREE_LAYOUT

#include <stdlib.h>

#include "language.h"
#include "subtree.h"

typedef struct {
  const Subtree* children;
  uint32_t count, index;
  uint32_t structural;  /* structural child index of the next child */
  uint32_t position;    /* start byte of the next child */
  const TSSymbol* aliases;
  const TSFieldMapEntry *fields, *fields_end;
  uint32_t parent;      /* flat id of the nearest visible ancestor */
  uint32_t depth;       /* visible depth of the children */
  uint8_t inherited;    /* field of the hidden ancestors, 0 for none */
} Frame;

typedef struct {
  Frame* frames;
  uint32_t size, capacity;
} FrameStack;

static int push_frame(FrameStack* s, const TSLanguage* lang, Subtree parent, uint32_t position, uint32_t flat_parent,
                      uint32_t depth, uint8_t inherited) {
  if (s->size == s->capacity) {
    uint32_t capacity = s->capacity ? s->capacity * 2 : 64;
    Frame* frames = realloc(s->frames, capacity * sizeof(Frame));
    if (!frames) return 0;
    s->frames = frames;
    s->capacity = capacity;
  }
  Frame* f = &s->frames[s->size++];
  f->children = ts_subtree_children(parent);
  f->count = parent.ptr->child_count;
  f->index = 0;
  f->structural = 0;
  f->position = position;
  f->aliases = ts_language_alias_sequence(lang, parent.ptr->production_id);
  ts_language_field_map(lang, parent.ptr->production_id, &f->fields, &f->fields_end);
  f->parent = flat_parent;
  f->depth = depth;
  f->inherited = inherited;
  return 1;
}

static uint32_t append(DdplintFlatOut* out, uint32_t start, uint32_t end, uint32_t parent, TSSymbol symbol,
                       uint8_t field, uint8_t named) {
  if (out->size == out->capacity && !out->grow(out)) return UINT32_MAX;
  DdplintFlatEntry* e = &out->data[out->size];
  e->start_byte = start;
  e->end_byte = end;
  e->parent = parent;
  e->next_sibling = UINT32_MAX;
  e->symbol = symbol;
  e->field = field;
  e->named = named;
  return (uint32_t)out->size++;
}

int ddplint_subtree_walk_built(void) { return 1; }

int ddplint_walk_subtrees(TSNode root, uint32_t depth_limit, DdplintFlatOut* out) {
  const TSLanguage* lang = ts_tree_language(root.tree);
  const Subtree* root_subtree = (const Subtree*)root.id;
  uint32_t start = ts_node_start_byte(root);
  uint32_t root_id = append(out, start, ts_node_end_byte(root), UINT32_MAX, ts_node_symbol(root), 0,
                            (uint8_t)ts_node_is_named(root));
  if (root_id == UINT32_MAX) return DDPLINT_WALK_UNAVAILABLE;
  if (ts_subtree_child_count(*root_subtree) == 0 || ts_subtree_visible_child_count(*root_subtree) == 0) {
    return DDPLINT_WALK_DONE;
  }
  /* last[d]: the last kept node at visible depth d, whose next_sibling the next one sets. */
  uint32_t* last = NULL;
  uint32_t last_capacity = 0;
  FrameStack stack = {NULL, 0, 0};
  int result = DDPLINT_WALK_UNAVAILABLE;
  if (!push_frame(&stack, lang, *root_subtree, start, root_id, 1, 0)) goto done;
  while (stack.size > 0) {
    Frame* f = &stack.frames[stack.size - 1];
    if (f->index == f->count) {
      --stack.size;
      continue;
    }
    Subtree child = f->children[f->index];
    uint32_t child_start = f->position;
    uint32_t child_end = child_start + ts_subtree_size(child).bytes;
    f->position = child_end;
    if (++f->index < f->count) f->position += ts_subtree_padding(f->children[f->index]).bytes;

    bool extra = ts_subtree_extra(child);
    TSSymbol alias = 0;
    uint8_t field = 0;
    if (!extra) {
      if (f->aliases) alias = f->aliases[f->structural];
      for (const TSFieldMapEntry* m = f->fields; m < f->fields_end; ++m) {
        if (!m->inherited && m->child_index == f->structural) {
          field = (uint8_t)m->field_id;
          break;
        }
      }
      if (!field) field = f->inherited;
      ++f->structural;
    }
    uint32_t visible_children = ts_subtree_visible_child_count(child);
    if (!ts_subtree_visible(child) && !alias) {
      /* Hidden: its visible descendants are children of f->parent; they inherit its
       * field (none when it is an extra: the search stops there). */
      if (visible_children > 0 &&
          !push_frame(&stack, lang, child, child_start, f->parent, f->depth, extra ? 0 : field)) {
        goto done;
      }
      continue;
    }
    uint32_t depth = f->depth;
    if (depth > depth_limit) {
      result = DDPLINT_WALK_TOO_DEEP;
      goto done;
    }
    bool named = alias ? lang->symbol_metadata[alias].named : ts_subtree_named(child);
    if (!named && !field && visible_children == 0) continue;  /* punctuation, keywords */
    TSSymbol symbol = alias ? alias : ts_subtree_symbol(child);
    if (symbol != ts_builtin_sym_error) symbol = lang->public_symbol_map[symbol];
    uint32_t parent = f->parent;  /* f may move when the stack grows */
    uint32_t id = append(out, child_start, child_end, parent, symbol, field, (uint8_t)named);
    if (id == UINT32_MAX) goto done;
    if (depth >= last_capacity) {
      uint32_t capacity = last_capacity ? last_capacity * 2 : 64;
      while (capacity <= depth) capacity *= 2;
      uint32_t* grown = realloc(last, capacity * sizeof(uint32_t));
      if (!grown) goto done;
      for (uint32_t d = last_capacity; d < capacity; ++d) grown[d] = UINT32_MAX;
      last = grown;
      last_capacity = capacity;
    }
    /* A node's first child resets the slot below it: the slot may hold a cousin. */
    if (last[depth] != UINT32_MAX && out->data[last[depth]].parent == parent) {
      out->data[last[depth]].next_sibling = id;
    }
    last[depth] = id;
    if (visible_children > 0 && !push_frame(&stack, lang, child, child_start, id, depth + 1, 0)) goto done;
  }
  result = DDPLINT_WALK_DONE;
done:
  free(stack.frames);
  free(last);
  return result;
}

#else

int ddplint_subtree_walk_built(void) { return 0; }

int ddplint_walk_subtrees(TSNode root, uint32_t depth_limit, DdplintFlatOut* out) {
  (void)root;
  (void)depth_limit;
  (void)out;
  return DDPLINT_WALK_UNAVAILABLE;
}

#endif

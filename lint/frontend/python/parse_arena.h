// Where tree-sitter's memory comes from while a file is parsed for linting.
//
// Parsing a file allocates hundreds of thousands of small subtrees; the frontend keeps
// none of them (it flattens the tree, tree.h), so freeing them one by one, and taking
// fresh pages from the kernel for the next file's, was a large share of a run. Inside
// a ParseArena::Scope every tree-sitter allocation of this thread comes from a bump
// arena that is reused by the next scope; frees are no-ops, and the tree is never
// deleted node by node. Outside a scope tree-sitter allocates from the heap as usual.
#pragma once

#include <cstddef>

namespace ddplint::frontend::python {

class ParseArena {
 public:
  /// Activates this thread's arena until the scope ends; then everything tree-sitter
  /// allocated in it is gone at once (trees, parser state): a scope must create and
  /// delete its own parser, and keep no tree-sitter object past its end.
  class Scope {
   public:
    Scope();
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
  };

  /// Routes tree-sitter's allocator through the arena (ts_set_allocator). Idempotent;
  /// Scope calls it.
  static void install();
  /// Bytes this thread's arena holds (for tests).
  static size_t reserved_bytes();
};

}  // namespace ddplint::frontend::python

#include "lint/frontend/python/parse_arena.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <functional>
#include <vector>

#include <tree_sitter/api.h>

namespace ddplint::frontend::python {
namespace {

// An arena block keeps its size in the 8 bytes before it (realloc needs it). Heap
// blocks are plain malloc blocks: a pointer is the arena's when it lies in one of the
// active arena's chunks, and a block keeps its origin for life (realloc of a heap block
// stays on the heap), so blocks made outside a scope may be used, grown and freed in
// one, and the other way round until the scope ends.
class Arena {
 public:
  ~Arena() {
    for (auto& c : chunks_) std::free(c.base);
  }

  void* allocate(size_t n) {
    size_t need = sizeof(size_t) + ((n + 7) & ~size_t{7});
    while (current_ < chunks_.size()) {
      Chunk& c = chunks_[current_];
      if (c.size - c.used >= need) {
        auto* at = reinterpret_cast<size_t*>(c.base + c.used);
        c.used += need;
        *at = n;
        return at + 1;
      }
      ++current_;
    }
    // A new chunk: at least 1 MB, doubling with the arena, so that a big file needs few.
    size_t size = std::max({need, size_t{1} << 20, total_});
    auto* base = static_cast<char*>(std::malloc(size));
    if (!base) return nullptr;
    chunks_.push_back({base, size, 0});
    total_ += size;
    current_ = chunks_.size() - 1;
    return allocate(n);
  }

  bool owns(const void* p) const {
    auto* c = static_cast<const char*>(p);
    for (const Chunk& ch : chunks_) {
      if (std::less_equal<const char*>()(ch.base, c) && std::less<const char*>()(c, ch.base + ch.size)) return true;
    }
    return false;
  }

  static size_t size_of(const void* p) { return static_cast<const size_t*>(p)[-1]; }

  /// Forgets every block; keeps the chunks for the next scope, except that an arena
  /// grown past 64 MB (one huge file) gives the excess back.
  void reset() {
    constexpr size_t kKeep = size_t{64} << 20;
    size_t keep = 1, kept = chunks_.empty() ? 0 : chunks_[0].size;
    while (keep < chunks_.size() && kept + chunks_[keep].size <= kKeep) kept += chunks_[keep++].size;
    for (size_t j = keep; j < chunks_.size(); ++j) {
      std::free(chunks_[j].base);
      total_ -= chunks_[j].size;
    }
    if (chunks_.size() > keep) chunks_.resize(keep);
    for (auto& c : chunks_) c.used = 0;
    current_ = 0;
  }

  size_t total() const { return total_; }

 private:
  struct Chunk {
    char* base;
    size_t size, used;
  };
  std::vector<Chunk> chunks_;
  size_t current_ = 0;
  size_t total_ = 0;
};

/// tree-sitter does not check its allocations: like its own default allocator, give up
/// when memory runs out (exit status 2: an internal error).
[[noreturn]] void out_of_memory(size_t n) {
  std::fprintf(stderr, "ddplint: error: out of memory while parsing (tree-sitter asked for %zu bytes)\n", n);
  std::_Exit(2);
}

template <class T>
T* checked(T* p, size_t n) {
  if (!p && n > 0) out_of_memory(n);
  return p;
}

Arena& own_arena() {
  thread_local Arena arena;  // one per thread, freed when the thread ends
  return arena;
}
thread_local Arena* active = nullptr;

void* ts_alloc(size_t n) { return checked(active ? active->allocate(n) : std::malloc(n), n); }

void* ts_zero_alloc(size_t count, size_t n) {
  if (n && count > SIZE_MAX / n) out_of_memory(SIZE_MAX);
  if (!active) return checked(std::calloc(count, n), count * n);
  void* p = checked(active->allocate(count * n), count * n);
  if (p) std::memset(p, 0, count * n);
  return p;
}

void ts_release(void* p) {
  if (p && !(active && active->owns(p))) std::free(p);
}

void* ts_resize(void* p, size_t n) {
  if (!p || !(active && active->owns(p))) return checked(p || !active ? std::realloc(p, n) : active->allocate(n), n);
  size_t old = Arena::size_of(p);
  if (n <= old) return p;
  void* q = checked(active->allocate(n), n);
  std::memcpy(q, p, old);
  return q;
}

}  // namespace

void ParseArena::install() {
  static std::once_flag once;
  std::call_once(once, [] { ts_set_allocator(ts_alloc, ts_zero_alloc, ts_resize, ts_release); });
}

ParseArena::Scope::Scope() {
  install();
  active = &own_arena();
}

ParseArena::Scope::~Scope() {
  active = nullptr;
  own_arena().reset();
}

size_t ParseArena::reserved_bytes() { return own_arena().total(); }

}  // namespace ddplint::frontend::python

// Applying fixes: edits to text, atomic writes, unified diffs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "lint/diag/diagnostic.h"

namespace ddplint::fixers {

/// Applies non-overlapping edits (any order) to `text`. Returns false, leaving `text`
/// alone, when two edits overlap or one lies outside the text.
bool apply_edits(std::string& text, std::vector<Edit> edits);

/// Writes `text` to `path` atomically: a temporary file in the same folder, flushed,
/// given the original's mode, then renamed over it. On failure `error` says why and
/// the original bytes are untouched. Read-only files are refused.
bool write_atomically(const std::string& path, const std::string& text, std::string& error);

/// The write(2) used by write_atomically; tests swap it to simulate a disk failing
/// midway.
using WriteFn = std::function<long(int fd, const char* data, size_t size)>;
void set_write_function(WriteFn fn);

/// A unified diff of `before` and `after` (one hunk around the changed lines, three
/// lines of context), with `---`/`+++` headers naming `path`. Empty when equal.
std::string unified_diff(const std::string& path, const std::string& before, const std::string& after);

}  // namespace ddplint::fixers

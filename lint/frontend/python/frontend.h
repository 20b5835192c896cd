// The Python frontend: tree-sitter-python syntax trees -> ddplint IR.
//
// Two phases, so that classes in one file can use classes from another:
//   add_file() reads, validates and parses each file (DDP901 for what cannot be);
//   lower() indexes every file's imports and definitions, extracts the module-level
//   facts of each nn.Module subclass from its __init__, and lowers every method and
//   module-level function into an SSA graph.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lint/diag/diagnostic.h"
#include "lint/ir/ir.h"

namespace ddplint::frontend::python {

class Frontend {
 public:
  Frontend(ir::Program& program, DiagnosticSink& sink);
  ~Frontend();
  Frontend(const Frontend&) = delete;
  Frontend& operator=(const Frontend&) = delete;

  /// Reads and parses `path`; `reported` files get diagnostics, the others are
  /// context (loaded to resolve imports). Returns false after reporting DDP901.
  bool add_file(const std::string& path, bool reported = true);
  /// Reads and parses many files on `threads` threads; they join the program in the
  /// given order. `overlay` supplies text instead of the bytes on disk.
  void add_files(const std::vector<std::string>& paths, unsigned threads,
                 const std::map<std::string, std::string>* overlay = nullptr);
  /// Parses in-memory text (tests).
  bool add_source(const std::string& path, std::string text, bool reported = true);
  void lower();
  /// Whether __init__ bodies are lowered (only `ddplint lower` prints them).
  void set_lower_init(bool on);
  /// An extra folder imports are resolved from (configuration `src`).
  void add_search_root(const std::string& dir);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The .py files under `paths` (files are taken as given; folders recursively,
/// skipping hidden folders, virtualenvs, __pycache__ and, by default, what the
/// .gitignore files on the way ignore), sorted. Missing paths are reported as DDP901.
std::vector<std::string> discover_sources(const std::vector<std::string>& paths, DiagnosticSink& sink,
                                          bool respect_gitignore = true);

/// Checks that `text` is UTF-8; on failure sets `bad_offset`.
bool valid_utf8(std::string_view text, size_t& bad_offset);

}  // namespace ddplint::frontend::python

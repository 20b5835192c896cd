// The interface between ddplint and its TorchScript plugin (libddplint_torchscript.so),
// which alone links LibTorch and is dlopen()ed only when an archive is among the inputs:
// Python-only runs never map libtorch. Both sides are built from this tree with the same
// compiler, so C++ types cross the boundary; the entry points are extern "C" to be found
// by dlsym, and the ABI number guards against a plugin from another build.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lint/diag/diagnostic.h"
#include "lint/ir/ir.h"

namespace ddplint::torchscript {

inline constexpr int kPluginAbi = 1;

struct LoadOptions {
  /// --source-root OLD=NEW: path prefixes stored at save time, and where they are now.
  std::vector<std::pair<std::string, std::string>> source_roots;
};

struct LoadResult {
  std::vector<Diagnostic> diagnostics;  ///< DDP901 for archives that cannot be analysed
  std::vector<std::string> info;        ///< --verbose lines
  double load_ms = 0, lower_ms = 0;     ///< torch::jit::load, and ddplint's lowering
};

}  // namespace ddplint::torchscript

extern "C" {
/// kPluginAbi.
int ddplint_torchscript_abi();
/// Loads `path` and appends its module tree (one ClassInfo per module instance) and its
/// inlined forward graph to `program`. Never throws.
void ddplint_torchscript_load(const char* path, const ddplint::torchscript::LoadOptions* options,
                              ddplint::ir::Program* program, ddplint::torchscript::LoadResult* result);
}

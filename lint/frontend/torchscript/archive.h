// TorchScript archives as inputs: which paths are archives, and loading them through
// the plugin (dlopen()ed on first use, so that runs without archives never load LibTorch).
#pragma once

#include <string>
#include <vector>

#include "lint/frontend/torchscript/plugin_api.h"

namespace ddplint::torchscript {

/// `.pt`, `.pth` or `.ptl` (a path given on the command line; folders are not searched).
bool is_archive_path(const std::string& path);

/// Appends each archive's classes and graphs to `program`; DDP901 for archives that
/// cannot be read (or when ddplint was built without LibTorch).
void load_archives(const std::vector<std::string>& archives, const LoadOptions& options, ir::Program& program,
                   DiagnosticSink& sink);

/// Where the plugin is looked for: $DDPLINT_TORCHSCRIPT_PLUGIN, next to the executable,
/// <exe>/../lib/ddplint/, the build tree. Empty when none exists.
std::string plugin_path();

}  // namespace ddplint::torchscript

// libFuzzer target: any bytes as a TorchScript archive through the plugin (LibTorch's
// loader, then ddplint's lowering), the analyses and every rule. No crash, no sanitizer
// report in ddplint's code, bounded time. The plugin is the main build's
// (DDPLINT_TORCHSCRIPT_PLUGIN): LibTorch itself is not instrumented. Seeded with real
// archives (testdata/torchscript/make_archives.py), so mutations reach past the zip layer.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "fuzz/analyse.h"
#include "lint/frontend/torchscript/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ddplint;
  static const std::string path = "/tmp/ddplint-fuzz-" + std::to_string(getpid()) + ".pt";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ir::Program program;
  DiagnosticSink sink;
  torchscript::load_archives({path}, {}, program, sink);
  fuzz::analyse_and_run_rules(program, sink);
  return 0;
}

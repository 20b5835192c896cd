// libFuzzer target: any bytes as a TorchScript archive through the plugin (LibTorch's
// loader, then ddplint's lowering), the analyses and every rule. No crash, no sanitizer
// report in ddplint's code, bounded time. The plugin is the main build's
// (DDPLINT_TORCHSCRIPT_PLUGIN): LibTorch itself is not instrumented. Seeded with real
// archives (testdata/torchscript/make_archives.py), so mutations reach past the zip layer.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "fuzz/analyse.h"
#include "lint/frontend/torchscript/archive.h"

// LibTorch asks for whatever size a corrupted record claims (27 GB for one input). A normal
// build gets std::bad_alloc and reports DDP901 (tests/torchscript_test.cpp); under ASan a
// throwing operator new cannot fail that way (allocator_may_return_null covers malloc only)
// and ASan aborts. Such a report is an out-of-memory, not a crash: the job exits with
// libFuzzer's out-of-memory code, which fork mode counts and -ignore_ooms skips, as it does
// for -malloc_limit_mb. Every other report (use-after-free, SEGV, UB) stays a crash.
extern "C" const char* __asan_get_report_description();
extern "C" void __asan_on_error() {
  static const char* const kOutOfMemory[] = {"out-of-memory", "allocation-size-too-big",
                                             "rss-limit-exceeded", "calloc-overflow"};
  const char* kind = __asan_get_report_description();
  if (kind == nullptr) return;
  for (const char* oom : kOutOfMemory) {
    if (std::strcmp(kind, oom) == 0) {
      std::fprintf(stderr, "==%d== ERROR: libFuzzer: out-of-memory (ASan: %s in LibTorch)\n",
                   static_cast<int>(getpid()), kind);
      _exit(71);  // libFuzzer's FuzzingOptions::OOMExitCode
    }
  }
}

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

// libFuzzer target: any bytes as a Python file through the frontend, the analyses and
// every rule. No crash, no sanitizer report, bounded time and memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/analyse.h"
#include "lint/frontend/python/frontend.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ddplint;
  ir::Program program;
  DiagnosticSink sink;
  {
    frontend::python::Frontend fe(program, sink);
    fe.add_source("fuzz.py", std::string(reinterpret_cast<const char*>(data), size));
    fe.lower();
  }
  fuzz::analyse_and_run_rules(program, sink);
  return 0;
}

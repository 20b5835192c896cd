// libFuzzer target: the fix engine. For any input that parses, applying every fix
// (unsafe ones too) yields text that parses, and a second round changes nothing.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fixers/call_arguments.h"
#include "lint/driver/driver.h"

namespace {

std::string temp_file() {
  static std::string path = [] {
    std::string dir = std::filesystem::temp_directory_path().string() + "/ddplint-fuzz-fix-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    return dir + "/input.py";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ddplint;
  std::string text(reinterpret_cast<const char*>(data), size);
  if (!fixers::parses_cleanly(text)) return 0;
  std::string path = temp_file();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  driver::CheckOptions o;
  o.paths = {path};
  o.threads = 1;
  o.respect_gitignore = false;
  o.quiet_progress = true;
  auto first = driver::compute_fixes(o, /*unsafe=*/true);
  if (!first.converged) std::abort();
  auto it = first.fixed.find(path);
  if (it == first.fixed.end()) return 0;
  if (!fixers::parses_cleanly(it->second)) std::abort();  // a fix broke the syntax
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << it->second;
  }
  auto second = driver::compute_fixes(o, true);
  if (!second.fixed.empty()) std::abort();  // not idempotent
  return 0;
}

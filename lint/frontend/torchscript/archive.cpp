#include "lint/frontend/torchscript/archive.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>

namespace ddplint::torchscript {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPluginName = "libddplint_torchscript.so";

struct Plugin {
  decltype(&ddplint_torchscript_load) load = nullptr;
  std::string error;
};

const Plugin& plugin() {
  static const Plugin p = [] {
    Plugin out;
    std::string path = plugin_path();
    if (path.empty()) {
      out.error = "ddplint was built without LibTorch, so it cannot read TorchScript archives (install libtorch-dev "
                  "and rebuild)";
      return out;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      out.error = fmt::format("cannot load the TorchScript plugin {}: {}", path, dlerror());
      return out;
    }
    auto abi = reinterpret_cast<decltype(&ddplint_torchscript_abi)>(dlsym(handle, "ddplint_torchscript_abi"));
    auto load = reinterpret_cast<decltype(&ddplint_torchscript_load)>(dlsym(handle, "ddplint_torchscript_load"));
    if (!abi || !load || abi() != kPluginAbi) {
      out.error = fmt::format("the TorchScript plugin {} is from another ddplint build", path);
      return out;
    }
    out.load = load;
    return out;
  }();
  return p;
}

}  // namespace

bool is_archive_path(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  return ext == ".pt" || ext == ".pth" || ext == ".ptl";
}

std::string plugin_path() {
  if (const char* env = std::getenv("DDPLINT_TORCHSCRIPT_PLUGIN"); env && *env) return fs::exists(env) ? env : "";
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const auto& p : {exe.parent_path() / kPluginName, exe.parent_path().parent_path() / "lib" / "ddplint" / kPluginName,
                          exe.parent_path().parent_path() / kPluginName}) {
      if (fs::exists(p)) return p.string();
    }
  }
#ifdef DDPLINT_TORCHSCRIPT_PLUGIN_PATH
  if (fs::exists(DDPLINT_TORCHSCRIPT_PLUGIN_PATH)) return DDPLINT_TORCHSCRIPT_PLUGIN_PATH;
#endif
  return "";
}

void load_archives(const std::vector<std::string>& archives, const LoadOptions& options, ir::Program& program,
                   DiagnosticSink& sink) {
  if (archives.empty()) return;
  const Plugin& p = plugin();
  for (const auto& path : archives) {
    if (!p.load) {
      Diagnostic d;
      d.code = "DDP901";
      d.path = path;
      d.message = p.error;
      sink.report(std::move(d));
      continue;
    }
    if (!fs::is_regular_file(path)) {
      Diagnostic d;
      d.code = "DDP901";
      d.path = path;
      d.message = "no such file";
      sink.report(std::move(d));
      continue;
    }
    LoadResult r;
    p.load(path.c_str(), &options, &program, &r);
    for (auto& d : r.diagnostics) sink.report(std::move(d));
    sink.info(fmt::format("{}: torch::jit::load {:.1f} ms, lowering {:.1f} ms", path, r.load_ms, r.lower_ms));
    for (auto& i : r.info) sink.info(std::move(i));
  }
}

}  // namespace ddplint::torchscript

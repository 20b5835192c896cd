// Finding and reading Python sources.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "lint/frontend/python/frontend.h"

namespace ddplint::frontend::python {
namespace fs = std::filesystem;

bool valid_utf8(std::string_view s, size_t& bad) {
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) {
      bad = i;
      return false;
    }
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) {
        bad = i;
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      bad = i;
      return false;
    }
    i += len;
  }
  return true;
}

namespace {

bool skipped_dir(const fs::path& p) {
  std::string name = p.filename().string();
  if (name.empty()) return false;
  if (name[0] == '.' && name != "." && name != "..") return true;
  static const char* kSkip[] = {"__pycache__", "venv", "env", "site-packages", "node_modules", "build", "dist"};
  for (const char* s : kSkip) {
    if (name == s) return true;
  }
  // A virtualenv of any name has pyvenv.cfg at its root.
  std::error_code ec;
  return fs::exists(p / "pyvenv.cfg", ec);
}

std::string display_path(const fs::path& p) {
  std::string s = p.lexically_normal().string();
  if (s.rfind("./", 0) == 0) s = s.substr(2);
  return s;
}

}  // namespace

std::vector<std::string> discover_sources(const std::vector<std::string>& paths, DiagnosticSink& sink) {
  std::vector<std::string> out;
  for (const auto& raw : paths) {
    fs::path p(raw);
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      sink.report({"DDP901", {}, raw, "no such file or directory", {}, "", {}});
      continue;
    }
    if (!fs::is_directory(st)) {
      out.push_back(display_path(p));
      continue;
    }
    std::vector<std::string> found;
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
    while (!ec && it != end) {
      const auto& entry = *it;
      std::error_code e2;
      if (entry.is_directory(e2)) {
        if (skipped_dir(entry.path())) it.disable_recursion_pending();
      } else if (entry.path().extension() == ".py" && (entry.is_regular_file(e2) || entry.is_symlink(e2))) {
        found.push_back(display_path(entry.path()));
      }
      it.increment(ec);
    }
    if (ec) sink.report({"DDP901", {}, raw, fmt::format("cannot list directory: {}", ec.message()), {}, "", {}});
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ddplint::frontend::python

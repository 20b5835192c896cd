// Finding and reading Python sources.
#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
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

/// One .gitignore's patterns, relative to its folder.
struct IgnoreRules {
  struct Rule {
    std::string pattern;
    bool negate = false, dir_only = false, anchored = false;
  };
  std::vector<Rule> rules;

  static IgnoreRules load(const fs::path& dir) {
    IgnoreRules r;
    std::ifstream in(dir / ".gitignore");
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      Rule rule;
      if (line[0] == '!') {
        rule.negate = true;
        line = line.substr(1);
      }
      if (!line.empty() && line.back() == '/') {
        rule.dir_only = true;
        line.pop_back();
      }
      if (!line.empty() && line[0] == '/') line = line.substr(1);
      rule.anchored = line.find('/') != std::string::npos;
      rule.pattern = line;
      if (!rule.pattern.empty()) r.rules.push_back(rule);
    }
    return r;
  }

  /// nullopt: no rule says anything; else whether the last matching rule ignores it.
  std::optional<bool> verdict(const std::string& rel, bool is_dir) const {
    std::optional<bool> out;
    std::string name = rel.substr(rel.rfind('/') + 1);
    for (const auto& r : rules) {
      if (r.dir_only && !is_dir) continue;
      bool m = r.anchored ? fnmatch(r.pattern.c_str(), rel.c_str(), FNM_PATHNAME) == 0
                          : fnmatch(r.pattern.c_str(), name.c_str(), 0) == 0;
      if (m) out = !r.negate;
    }
    return out;
  }
};

std::string display_path(const fs::path& p) {
  std::string s = p.lexically_normal().string();
  if (s.rfind("./", 0) == 0) s = s.substr(2);
  return s;
}

}  // namespace

std::vector<std::string> discover_sources(const std::vector<std::string>& paths, DiagnosticSink& sink,
                                          bool respect_gitignore) {
  std::vector<std::string> out;
  for (const auto& raw : paths) {
    fs::path p(raw);
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      sink.report({"DDP901", {}, raw, "no such file or directory", {}, "", {}, {}, {}});
      continue;
    }
    if (!fs::is_directory(st)) {
      out.push_back(display_path(p));
      continue;
    }
    std::vector<std::string> found;
    std::map<fs::path, IgnoreRules> ignores;  // folder -> its .gitignore
    auto ignored = [&](const fs::path& entry, bool is_dir) {
      if (!respect_gitignore) return false;
      bool out = false;
      // From the root down: a deeper .gitignore overrides a shallower one.
      std::vector<fs::path> dirs;
      for (fs::path d = entry.parent_path();; d = d.parent_path()) {
        dirs.push_back(d);
        if (d == p || !d.has_parent_path() || d.parent_path() == d) break;
      }
      for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) {
        auto it = ignores.find(*d);
        if (it == ignores.end()) it = ignores.emplace(*d, IgnoreRules::load(*d)).first;
        // The path below the .gitignore's folder as listed, as git matches it (a link is
        // matched by its own name, not its target's), without asking the system.
        std::string rel = entry.lexically_relative(*d).generic_string();
        if (auto v = it->second.verdict(rel, is_dir)) out = *v;
      }
      return out;
    };
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
    while (!ec && it != end) {
      const auto& entry = *it;
      std::error_code e2;
      if (entry.is_directory(e2)) {
        if (skipped_dir(entry.path()) || ignored(entry.path(), true)) it.disable_recursion_pending();
      } else if (entry.path().extension() == ".py" && (entry.is_regular_file(e2) || entry.is_symlink(e2)) &&
                 !ignored(entry.path(), false)) {
        found.push_back(display_path(entry.path()));
      }
      it.increment(ec);
    }
    if (ec) sink.report({"DDP901", {}, raw, fmt::format("cannot list directory: {}", ec.message()), {}, "", {}, {}, {}});
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ddplint::frontend::python

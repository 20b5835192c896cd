#include "lint/driver/config.h"

#include <fnmatch.h>

#include <filesystem>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "passes/registry.h"

namespace ddplint::driver {
namespace fs = std::filesystem;

namespace {

bool matches_any(const std::string& code, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (p == "ALL" || code.rfind(p, 0) == 0) return true;
  }
  return false;
}

size_t longest(const std::string& code, const std::vector<std::string>& patterns) {
  size_t n = 0;
  for (const auto& p : patterns) {
    if (p == "ALL") n = std::max<size_t>(n, 1);
    else if (code.rfind(p, 0) == 0) n = std::max(n, p.size());
  }
  return n;
}

std::string rel(const std::string& path, const std::string& root) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (root.empty()) return path;
  fs::path r = fs::relative(abs, root, ec);
  std::string s = ec ? path : r.generic_string();
  return s;
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& path) {
  // `**/` matches any number of folders; fnmatch with FNM_PATHNAME does the rest.
  if (pattern.rfind("**/", 0) == 0 && glob_match(pattern.substr(3), path)) return true;  // zero folders
  if (pattern.find("**") == std::string::npos) {
    if (fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) return true;
    // A pattern without '/' matches the file name at any depth, as in .gitignore.
    if (pattern.find('/') == std::string::npos) {
      std::string name = path.substr(path.rfind('/') + 1);
      return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
    }
    return false;
  }
  return fnmatch(pattern.c_str(), path.c_str(), 0) == 0;  // `*` spans '/' without FNM_PATHNAME
}

bool valid_code_pattern(const std::string& p) {
  if (p == "ALL") return true;
  for (const auto& r : passes::rule_table()) {
    if (std::string(r.code).rfind(p, 0) == 0) return true;
  }
  return false;
}

bool Settings::enabled(const std::string& code, const std::string& path, const std::vector<std::string>& cli_select,
                       const std::vector<std::string>& cli_ignore) const {
  // Patterns on the command line replace the file's selection altogether.
  bool cli = !cli_select.empty() || !cli_ignore.empty();
  const auto& sel = cli ? cli_select : select;
  static const std::vector<std::string> kNone;
  const auto& ign = cli ? cli_ignore : ignore;
  const auto& ext = cli ? kNone : extend_select;
  size_t s = std::max(longest(code, sel), longest(code, ext));
  if (!sel.empty() && s == 0) return false;
  // The more specific pattern wins, as in ruff: select DDP101 + ignore DDP1 keeps DDP101.
  size_t i = longest(code, ign);
  if (i > 0 && i >= s) return false;
  if (!per_file_ignores.empty()) {
    std::string r = rel(path, root);
    for (const auto& [glob, codes] : per_file_ignores) {
      if (glob_match(glob, r) && matches_any(code, codes)) return false;
    }
  }
  return true;
}

bool Settings::excluded(const std::string& path) const {
  if (exclude.empty()) return false;
  std::string r = rel(path, root);
  for (const auto& g : exclude) {
    if (glob_match(g, r)) return true;
    // A folder pattern excludes what is under it.
    for (size_t pos = r.find('/'); pos != std::string::npos; pos = r.find('/', pos + 1)) {
      if (glob_match(g, r.substr(0, pos))) return true;
    }
  }
  return false;
}

bool load_settings(const std::string& path, Settings& out, std::string& error) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    error = fmt::format("{}:{}: {}", path, e.source().begin.line, e.description());
    return false;
  }
  bool pyproject = fs::path(path).filename() == "pyproject.toml";
  const toml::table* t = pyproject ? doc["tool"]["ddplint"].as_table() : &doc;
  out = Settings{};
  out.source = path;
  std::error_code ec;
  out.root = fs::weakly_canonical(fs::absolute(fs::path(path).parent_path(), ec), ec).string();
  if (!t) return true;  // a pyproject.toml without [tool.ddplint]
  auto where = [&](const toml::node& n) { return fmt::format("{}:{}", path, n.source().begin.line); };
  auto strings = [&](const toml::node& n, const std::string& key, std::vector<std::string>& into, bool codes) {
    const toml::array* a = n.as_array();
    if (!a) {
      error = fmt::format("{}: `{}` must be a list of strings", where(n), key);
      return false;
    }
    for (const auto& e : *a) {
      auto s = e.value<std::string>();
      if (!s) {
        error = fmt::format("{}: `{}` must be a list of strings", where(e), key);
        return false;
      }
      if (codes && !valid_code_pattern(*s)) {
        error = fmt::format("{}: unknown rule code or prefix `{}` in `{}`", where(e), *s, key);
        return false;
      }
      into.push_back(*s);
    }
    return true;
  };
  for (auto&& [k, v] : *t) {
    std::string key(k.str());
    if (key == "select" || key == "ignore" || key == "extend-select") {
      auto& into = key == "select" ? out.select : key == "ignore" ? out.ignore : out.extend_select;
      if (!strings(v, key, into, true)) return false;
    } else if (key == "exclude" || key == "src") {
      if (!strings(v, key, key == "exclude" ? out.exclude : out.src, false)) return false;
    } else if (key == "per-file-ignores") {
      const toml::table* pf = v.as_table();
      if (!pf) {
        error = fmt::format("{}: `per-file-ignores` must be a table of glob = [codes]", where(v));
        return false;
      }
      for (auto&& [g, codes] : *pf) {
        std::vector<std::string> list;
        if (!strings(codes, "per-file-ignores." + std::string(g.str()), list, true)) return false;
        out.per_file_ignores.push_back({std::string(g.str()), list});
      }
    } else if (key == "severity") {
      const toml::table* sv = v.as_table();
      if (!sv) {
        error = fmt::format("{}: `severity` must be a table of CODE = \"error\" | \"warning\"", where(v));
        return false;
      }
      for (auto&& [c, level] : *sv) {
        std::string code(c.str());
        auto lv = level.value<std::string>();
        if (!passes::find_rule(code)) {
          error = fmt::format("{}: unknown rule code `{}` in `severity`", where(level), code);
          return false;
        }
        if (!lv || (*lv != "error" && *lv != "warning")) {
          error = fmt::format("{}: severity of {} must be \"error\" or \"warning\"", where(level), code);
          return false;
        }
        out.severity[code] = *lv == "error" ? Severity::Error : Severity::Warning;
      }
    } else {
      error = fmt::format("{}: unknown key `{}` in {}", where(v), key, pyproject ? "[tool.ddplint]" : path);
      return false;
    }
  }
  return true;
}

const Settings* SettingsResolver::for_path(const std::string& path) {
  std::string file;
  if (forced_) {
    file = *forced_;
  } else {
    std::error_code ec;
    // A file's folder, as canonical(file).parent_path(): one lstat for most files.
    fs::path dir = paths_.canonical_folder_of_file(path);
    if (dir.empty()) {
      dir = fs::weakly_canonical(fs::absolute(path, ec), ec);
      if (!fs::is_directory(dir, ec)) dir = dir.parent_path();
    }
    std::vector<std::string> visited;
    for (fs::path d = dir;; d = d.parent_path()) {
      auto cached = dirs_.find(d.string());
      if (cached != dirs_.end()) {
        file = cached->second;
        break;
      }
      visited.push_back(d.string());
      fs::path dot = d / ".ddplint.toml", py = d / "pyproject.toml";
      if (fs::exists(dot, ec)) {
        file = dot.string();
        break;
      }
      if (fs::exists(py, ec)) {
        toml::table doc;
        try {
          doc = toml::parse_file(py.string());
          if (doc["tool"]["ddplint"].as_table()) {
            file = py.string();
            break;
          }
        } catch (const toml::parse_error&) {
          file = py.string();  // let load_settings report it
          break;
        }
      }
      if (!d.has_parent_path() || d.parent_path() == d) break;
    }
    for (const auto& v : visited) dirs_[v] = file;
  }
  if (file.empty()) return &defaults_;
  auto it = by_file_.find(file);
  if (it != by_file_.end()) return &it->second;
  Settings s;
  if (!load_settings(file, s, error_)) return nullptr;
  return &by_file_.emplace(file, std::move(s)).first->second;
}

std::string describe_settings(const Settings& s) {
  auto list = [](const std::vector<std::string>& v) {
    std::string o = "[";
    for (size_t i = 0; i < v.size(); ++i) o += (i ? ", " : "") + ("\"" + v[i] + "\"");
    return o + "]";
  };
  std::string out = fmt::format("# settings from {}\n", s.source.empty() ? "(defaults: no configuration file)" : s.source);
  out += "select = " + (s.select.empty() ? std::string("[\"ALL\"]") : list(s.select)) + "\n";
  out += "ignore = " + list(s.ignore) + "\n";
  out += "extend-select = " + list(s.extend_select) + "\n";
  out += "exclude = " + list(s.exclude) + "\n";
  out += "src = " + list(s.src) + "\n";
  out += "[per-file-ignores]\n";
  for (const auto& [g, c] : s.per_file_ignores) out += "\"" + g + "\" = " + list(c) + "\n";
  out += "[severity]\n";
  for (const auto& r : passes::rule_table()) {
    auto it = s.severity.find(r.code);
    Severity sev = it != s.severity.end() ? it->second : r.severity;
    out += fmt::format("{} = \"{}\"\n", r.code, sev == Severity::Error ? "error" : "warning");
  }
  return out;
}

}  // namespace ddplint::driver

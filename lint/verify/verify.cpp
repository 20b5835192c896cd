#include "lint/verify/verify.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <iostream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fixers/apply.h"
#include "lint/driver/driver.h"
#include "lint/frontend/python/frontend.h"
#include "passes/ddp_calls.h"
#include "passes/registry.h"

extern char** environ;

namespace ddplint::verify {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void progress(const std::string& msg) { std::fprintf(stderr, "ddplint verify: %s\n", msg.c_str()); }

/// `a/b.py:make` -> file entry; `pkg.mod:make` -> module entry.
struct Entry {
  std::string file, module, function;
};

std::optional<Entry> parse_entry(const std::string& spec, std::string& error) {
  size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    error = fmt::format("--entry `{}`: expected FILE.py:FUNCTION or package.module:FUNCTION", spec);
    return std::nullopt;
  }
  Entry e;
  std::string target = spec.substr(0, colon);
  e.function = spec.substr(colon + 1);
  if (target.size() > 3 && target.compare(target.size() - 3, 3, ".py") == 0) {
    if (!fs::is_regular_file(target)) {
      error = fmt::format("--entry: no file `{}`", target);
      return std::nullopt;
    }
    e.file = target;
  } else {
    e.module = target;
  }
  return e;
}

/// `path` relative to `root` ("" when outside it).
std::string relative_to(const std::string& path, const fs::path& root) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(path), ec);
  fs::path rel = abs.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return "";
  return rel.generic_string();
}

json keyword_json(const passes::DdpKeyword& k) {
  if (!k.present || !k.literal) return nullptr;
  return *k.literal;
}

json ddp_calls_json(const ir::Program& program, const fs::path& root) {
  json out = json::array();
  for (const auto& c : passes::find_ddp_calls(program)) {
    json call;
    call["path"] = relative_to(program.files[static_cast<size_t>(c.span.file)].path, root);
    call["line"] = c.span.line;
    call["scope"] = c.scope;
    if (c.model) {
      call["model"] = {{"name", c.model->name},
                       {"path", relative_to(program.files[static_cast<size_t>(c.model->file)].path, root)}};
    } else {
      call["model"] = nullptr;
      call["unresolved"] = c.unresolved_why;
    }
    call["flags"] = {{"find_unused_parameters", keyword_json(c.find_unused_parameters)},
                     {"static_graph", keyword_json(c.static_graph)},
                     {"gradient_as_bucket_view", keyword_json(c.gradient_as_bucket_view)},
                     {"broadcast_buffers", keyword_json(c.broadcast_buffers)}};
    out.push_back(std::move(call));
  }
  return out;
}

/// The class a finding's attribute paths are relative to, and those paths.
json finding_target(const Diagnostic& d, const ir::Program& program, const fs::path& root,
                    const std::vector<passes::DdpCall>& calls, const std::vector<passes::LayoutConversion>& conversions) {
  auto class_json = [&](const ir::ClassInfo* c) -> json {
    if (!c) return nullptr;
    return {{"name", c->name}, {"path", relative_to(program.files[static_cast<size_t>(c->file)].path, root)}};
  };
  const ir::ClassInfo* cls = nullptr;
  bool whole = false;
  if (d.code == "DDP201" || d.code == "DDP202") {
    for (const auto& c : calls) {
      if (c.span.file == d.span.file && c.span.line == d.span.line) cls = c.model;
    }
    whole = d.code == "DDP201";
  } else if (d.code == "DDP301") {
    for (const auto& c : conversions) {
      if (c.span.file == d.span.file && c.span.line == d.span.line) cls = c.model;
    }
    whole = true;
  } else if (!d.scope.empty()) {
    std::string name = d.scope.substr(0, d.scope.rfind('.'));
    name = name.substr(name.rfind('.') + 1);
    for (const auto& c : program.classes) {
      if (c->file == d.span.file && c->name == name) cls = c.get();
    }
  }
  return {{"class", class_json(cls)}, {"attributes", whole ? json::array() : json(d.symbols)}};
}

bool write_file(const fs::path& path, const std::string& text, std::string& error) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    error = fmt::format("cannot write {}", path.string());
    return false;
  }
  return true;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Runs argv with the environment plus `env`; stdout/stderr to /dev/null when `quiet`.
int spawn_wait(const std::vector<std::string>& argv, const std::vector<std::string>& env, bool quiet) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::set<std::string> overridden;
  for (const auto& e : env) overridden.insert(e.substr(0, e.find('=')));
  for (char** e = environ; *e; ++e) {
    std::string s(*e);
    if (!overridden.count(s.substr(0, s.find('=')))) env_strings.push_back(s);
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  // As system(): Ctrl-C reaches the child (same process group), which cleans up and
  // exits; we wait for it instead of dying first and leaking the plan folder.
  struct sigaction ignore {}, old_int {}, old_quit {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  int status = 0;
  int waited = 0;
  while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  if (waited < 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

std::string find_python(const std::string& requested, std::string& tried) {
  std::vector<std::string> candidates;
  if (!requested.empty()) {
    candidates = {requested};
  } else {
    if (const char* env = std::getenv("DDPLINT_PYTHON"); env && *env) candidates.push_back(env);
    candidates.insert(candidates.end(), {"python3", "/usr/bin/python3", "python"});
  }
  for (const auto& py : candidates) {
    if (!tried.empty()) tried += ", ";
    tried += py;
    if (spawn_wait({py, "-c", "import torch.distributed"}, {}, true) == 0) return py;
  }
  return "";
}

std::string harness_dir() {
  auto has_package = [](const fs::path& dir) { return fs::is_regular_file(dir / "ddplint_verify" / "__main__.py"); };
  if (const char* env = std::getenv("DDPLINT_HARNESS"); env && *env && has_package(env)) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const auto& dir : {exe.parent_path().parent_path() / "share" / "ddplint" / "verify",
                            exe.parent_path().parent_path() / "verify"}) {
      if (has_package(dir)) return dir.string();
    }
  }
#ifdef DDPLINT_SOURCE_DIR
  if (has_package(fs::path(DDPLINT_SOURCE_DIR) / "verify")) return (fs::path(DDPLINT_SOURCE_DIR) / "verify").string();
#endif
  return "";
}

int run_verify(const VerifyOptions& o) {
  std::string error;
  auto entry = parse_entry(o.entry, error);
  if (!entry) {
    std::cerr << "ddplint: error: " << error << "\n";
    return 2;
  }
  std::error_code ec;
  fs::path root_arg = !o.root.empty() ? fs::path(o.root) : fs::path(entry->file).parent_path();
  fs::path root = fs::weakly_canonical(fs::absolute(root_arg.empty() ? fs::path(".") : root_arg), ec);
  if (!fs::is_directory(root)) {
    std::cerr << fmt::format("ddplint: error: --root `{}` is not a folder\n", root.string());
    return 2;
  }
  json entry_json = {{"function", entry->function}};
  if (!entry->file.empty()) {
    std::string rel = relative_to(entry->file, root);
    if (rel.empty()) {
      std::cerr << fmt::format("ddplint: error: the entry `{}` is outside the project root `{}`\n", entry->file,
                               root.string());
      return 2;
    }
    entry_json["path"] = rel;
  } else {
    entry_json["module"] = entry->module;
  }
  json overrides = json::object();
  for (const auto& kv : o.ddp) {
    size_t eq = kv.find('=');
    std::string key = kv.substr(0, eq), value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    static const std::set<std::string> known = {"find_unused_parameters", "static_graph", "gradient_as_bucket_view",
                                                "broadcast_buffers"};
    if (!known.count(key) || (value != "true" && value != "false" && value != "True" && value != "False")) {
      std::cerr << fmt::format(
          "ddplint: error: --ddp `{}`: expected KEY=true|false with KEY one of find_unused_parameters, static_graph, "
          "gradient_as_bucket_view, broadcast_buffers\n",
          kv);
      return 2;
    }
    overrides[key] = value == "true" || value == "True";
  }

  std::string harness = harness_dir();
  if (harness.empty()) {
    std::cerr << "ddplint: error: the verifier's Python harness (ddplint_verify) is not installed next to ddplint; "
                 "set DDPLINT_HARNESS to the folder holding it\n";
    return 2;
  }

  // 1. The static analysis, and the fixes computed in memory.
  driver::CheckOptions copt;
  copt.paths = o.paths.empty() ? std::vector<std::string>{root.string()} : o.paths;
  copt.config = o.config;
  copt.select = o.select;
  copt.ignore = o.ignore;
  copt.quiet_progress = true;
  auto result = driver::check(copt);
  if (!result.config_error.empty()) {
    std::cerr << "ddplint: error: " << result.config_error << "\n";
    return 2;
  }
  auto fixes = driver::compute_fixes(copt, o.unsafe);
  if (!fixes.converged) {
    std::cerr << "ddplint: internal error: fixes did not converge\n";
    return 2;
  }
  for (const auto& e : fixes.errors) std::cerr << "ddplint: " << e << "\n";
  driver::CheckOptions fixed_opt = copt;
  fixed_opt.overlay = &fixes.fixed;
  auto fixed_result = driver::check(fixed_opt);

  const ir::Program& program = *result.program;
  auto calls = passes::find_ddp_calls(program);
  auto conversions = passes::find_layout_conversions(program);
  json findings = json::array();
  for (const auto& d : result.diagnostics) {
    std::string path = driver::diagnostic_path(d, program);
    std::string rel = relative_to(path, root);
    json f = finding_target(d, program, root, calls, conversions);
    f["code"] = d.code;
    f["path"] = rel.empty() ? path : rel;
    f["line"] = d.span.line;
    f["column"] = d.span.col;
    f["scope"] = d.scope;
    f["symbols"] = d.symbols;
    f["message"] = d.message;
    if (d.fix) {
      bool applied = false;
      for (const auto& a : fixes.applied_fixes) {
        applied = applied || (a.code == d.code && a.path == d.path && a.symbols == d.symbols);
      }
      applied = applied && !rel.empty();
      f["fix"] = {{"title", d.fix->title},
                  {"applicability", d.fix->applicability == Applicability::Safe     ? "safe"
                                    : d.fix->applicability == Applicability::Unsafe ? "unsafe"
                                                                                    : "display-only"},
                  {"applied", applied}};
    } else {
      f["fix"] = nullptr;
    }
    findings.push_back(std::move(f));
  }
  for (const auto& [path, text] : fixes.fixed) {
    if (relative_to(path, root).empty()) {
      std::cerr << fmt::format("ddplint verify: warning: {} is outside the project root {}; its fix is not verified\n",
                               path, root.string());
    }
  }
  bool with_fixed = !fixes.fixed.empty();
  int phases = with_fixed ? 4 : 3;
  size_t fixable = fixes.applied_fixes.size();
  progress(fmt::format("[1/{}] static analysis: {} file{}, {} finding{}, {} fix{} applied to a copy", phases,
                       result.files, result.files == 1 ? "" : "s", result.diagnostics.size(),
                       result.diagnostics.size() == 1 ? "" : "s", fixable, fixable == 1 ? "" : "es"));

  // 2. The plan: both trees, the findings, the DDP calls of both versions.
  fs::path plan_dir;
  bool temporary = o.emit_plan.empty();
  if (temporary) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = (fs::path(tmp && *tmp ? tmp : "/tmp") / "ddplint-verify-XXXXXX").string();
    if (!mkdtemp(templ.data())) {
      std::cerr << "ddplint: error: cannot create a temporary folder\n";
      return 2;
    }
    plan_dir = templ;
  } else {
    plan_dir = o.emit_plan;
    if (fs::exists(plan_dir) && !fs::is_empty(plan_dir, ec)) {
      std::cerr << fmt::format("ddplint: error: --emit-plan folder `{}` exists and is not empty\n", o.emit_plan);
      return 2;
    }
    fs::create_directories(plan_dir, ec);
  }
  struct Cleanup {
    fs::path dir;
    bool active;
    ~Cleanup() {
      std::error_code e;
      if (active) fs::remove_all(dir, e);
    }
  } cleanup{plan_dir, temporary && !o.keep_runs};

  DiagnosticSink discard;
  std::set<std::string> files;
  for (const auto& f : frontend::python::discover_sources({root.string()}, discard)) files.insert(f);
  std::map<std::string, std::string> fixed_by_rel;
  for (const auto& [path, text] : fixes.fixed) fixed_by_rel[relative_to(path, root)] = text;
  for (const auto& f : files) {
    std::string rel = relative_to(f, root);
    if (rel.empty()) continue;
    std::string text = read_file(f);
    if (!write_file(plan_dir / "original" / rel, text, error)) {
      std::cerr << "ddplint: error: " << error << "\n";
      return 2;
    }
    auto it = fixed_by_rel.find(rel);
    if (with_fixed && !write_file(plan_dir / "fixed" / rel, it == fixed_by_rel.end() ? text : it->second, error)) {
      std::cerr << "ddplint: error: " << error << "\n";
      return 2;
    }
  }
  json runs = json::array();
  runs.push_back({{"name", "original"}, {"root", "original"}, {"ddp_calls", ddp_calls_json(program, root)},
                  {"ddp_overrides", overrides}});
  if (with_fixed) {
    runs.push_back({{"name", "fixed"}, {"root", "fixed"}, {"ddp_calls", ddp_calls_json(*fixed_result.program, root)},
                    {"ddp_overrides", overrides}});
  }
  json applied = json::array();
  for (const auto& a : fixes.applied_fixes) {
    std::string rel = relative_to(a.path, root);
    if (rel.empty()) continue;
    applied.push_back({{"code", a.code},
                       {"path", rel},
                       {"line", a.line},
                       {"title", a.title},
                       {"applicability", a.applicability == Applicability::Safe ? "safe" : "unsafe"},
                       {"uncovered", std::none_of(result.diagnostics.begin(), result.diagnostics.end(),
                                                  [&](const Diagnostic& d) {
                                                    return d.code == a.code && d.path == a.path &&
                                                           d.symbols == a.symbols;
                                                  })}});
  }
  json plan = {{"version", 1},
               {"applied_fixes", applied},
               {"entry", entry_json},
               {"entry_spec", o.entry},
               {"iterations", o.iterations},
               {"seed", o.seed},
               {"world_size", o.world_size},
               {"backend", o.backend},
               {"device", o.device},
               {"timeout", o.timeout},
               {"collective_timeout", o.collective_timeout},
               {"compare_iterations", 3},
               {"unsafe_fixes", o.unsafe},
               {"findings", findings},
               {"runs", runs}};
  if (!write_file(plan_dir / "plan.json", plan.dump(1) + "\n", error)) {
    std::cerr << "ddplint: error: " << error << "\n";
    return 2;
  }
  if (!temporary) {
    std::cerr << fmt::format(
        "ddplint verify: plan written to {0}; run it where torch is with:\n"
        "  PYTHONPATH='{1}' python3 -m ddplint_verify run '{0}/plan.json'\n",
        plan_dir.string(), harness);
    return 0;
  }

  // 3. The runs and the verdicts, in Python with torch.
  std::string tried;
  std::string python = find_python(o.python, tried);
  if (python.empty()) {
    std::cerr << fmt::format(
        "ddplint: error: no Python interpreter with torch.distributed found (tried {}); pass --python or set "
        "DDPLINT_PYTHON\n",
        tried);
    return 2;
  }
  std::vector<std::string> argv = {python, "-m", "ddplint_verify", "run", (plan_dir / "plan.json").string(),
                                   "--format", o.format};
  if (!o.output_file.empty()) argv.insert(argv.end(), {"-o", o.output_file});
  if (o.keep_runs) argv.push_back("--keep-runs");
  const char* pp = std::getenv("PYTHONPATH");
  std::string pythonpath = harness + (pp && *pp ? std::string(":") + pp : "");
  std::cout.flush();
  int rc = spawn_wait(argv, {"PYTHONPATH=" + pythonpath}, false);
  if (rc < 0) {
    std::cerr << fmt::format("ddplint: error: cannot run {}\n", python);
    return 2;
  }
  if (o.keep_runs) progress(fmt::format("plan kept in {}", plan_dir.string()));
  return rc == 0 || rc == 1 || rc == 2 ? rc : 2;
}

}  // namespace ddplint::verify

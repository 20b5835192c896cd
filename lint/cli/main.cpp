// ddplint command line.
//
// Exit codes:
//   0  no diagnostics
//   1  diagnostics were reported (findings, or inputs that could not be linted: DDP901)
//   2  usage error or internal error
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <fstream>
#include <map>
#include <sstream>

#include <atomic>
#include <thread>

#include <CLI/CLI.hpp>
#include <tree_sitter/api.h>
#include <fmt/format.h>

#include "fixers/apply.h"
#include "lint/driver/config.h"
#include "lint/frontend/python/frontend.h"
#include "lint/driver/driver.h"
#include "lint/report/report.h"
#include "lint/verify/verify.h"
#include "passes/participation.h"
#include "passes/registry.h"

extern "C" const TSLanguage* tree_sitter_python(void);


namespace ddplint::docs {
const std::map<std::string, std::string>& rule_pages();
}

namespace {

std::vector<std::string> split_codes(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  for (const auto& r : raw) {
    size_t pos = 0;
    while (pos <= r.size()) {
      size_t comma = r.find(',', pos);
      std::string s = r.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      while (!s.empty() && s.front() == ' ') s.erase(s.begin());
      while (!s.empty() && s.back() == ' ') s.pop_back();
      if (!s.empty()) out.push_back(s);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  return out;
}

bool valid_pattern(const std::string& p) { return ddplint::driver::valid_code_pattern(p); }

struct CheckFlags {
  std::vector<std::string> paths, select, ignore;
  std::string format = "text", color = "auto";
  bool quiet = false, exit_zero = false, fix = false, unsafe = false, diff = false, verbose = false;
  bool statistics = false;
  std::string output_file, config;
  unsigned threads = 0;
  bool no_gitignore = false;
  std::vector<std::string> source_roots;  ///< OLD=NEW
};

int run_check(const CheckFlags& f) {
  ddplint::driver::CheckOptions opt;
  opt.paths = f.paths.empty() ? std::vector<std::string>{"."} : f.paths;
  opt.select = split_codes(f.select);
  opt.ignore = split_codes(f.ignore);
  if (!f.config.empty()) opt.config = f.config;
  opt.threads = f.threads;
  opt.respect_gitignore = !f.no_gitignore;
  opt.quiet_progress = f.quiet || f.fix || f.diff;
  for (const auto& sr : f.source_roots) {
    size_t eq = sr.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << fmt::format("ddplint: error: --source-root `{}`: expected OLD=NEW\n", sr);
      return 2;
    }
    opt.source_roots.emplace_back(sr.substr(0, eq), sr.substr(eq + 1));
  }
  for (const auto& list : {opt.select, opt.ignore}) {
    for (const auto& p : list) {
      if (!valid_pattern(p)) {
        std::cerr << fmt::format("ddplint: error: unknown rule code or prefix `{}` (see `ddplint rules`)\n", p);
        return 2;
      }
    }
  }
  size_t fixed = 0;
  bool fix_errors = false;
  if (f.fix || f.diff) {
    auto outcome = ddplint::driver::compute_fixes(opt, f.unsafe);
    if (!outcome.config_error.empty()) {
      std::cerr << "ddplint: error: " << outcome.config_error << "\n";
      return 2;
    }
    if (!outcome.converged) {
      std::cerr << "ddplint: internal error: fixes did not converge after 10 rounds; no file was changed\n";
      return 2;
    }
    for (const auto& e : outcome.errors) std::cerr << "ddplint: " << e << "\n";
    if (f.diff) {
      for (const auto& [path, text] : outcome.fixed) {
        std::cout << ddplint::fixers::unified_diff(path, outcome.original.at(path), text);
      }
      std::cerr << fmt::format("Would fix {} finding{}.\n", outcome.applied, outcome.applied == 1 ? "" : "s");
      return outcome.fixed.empty() ? 0 : 1;
    }
    for (const auto& [path, text] : outcome.fixed) {
      std::string error;
      if (!ddplint::fixers::write_atomically(path, text, error)) {
        std::cerr << "ddplint: error: " << error << "\n";
        fix_errors = true;
      }
    }
    if (!fix_errors) fixed = outcome.applied;
  }
  auto result = ddplint::driver::check(opt);
  if (!result.config_error.empty()) {
    std::cerr << "ddplint: error: " << result.config_error << "\n";
    return 2;
  }
  if (f.verbose) {
    for (const auto& i : result.info) std::cerr << "ddplint: " << i << "\n";
  }
  std::ostringstream report;
  if (f.statistics) {
    ddplint::report::write_statistics(report, result.diagnostics);
  } else if (f.format == "json") {
    ddplint::report::write_json(report, result.diagnostics, *result.program);
  } else if (f.format == "sarif") {
    ddplint::report::write_sarif(report, result.diagnostics, *result.program, DDPLINT_VERSION);
  } else if (f.format == "github") {
    ddplint::report::write_github(report, result.diagnostics);
  } else {
    ddplint::report::TextOptions t;
    t.quiet = f.quiet;
    t.unsafe = f.unsafe;
    t.fixed = fixed;
    bool tty = f.output_file.empty() && isatty(STDOUT_FILENO);
    t.color = f.color == "always" || (f.color == "auto" && tty && !std::getenv("NO_COLOR"));
    ddplint::report::write_text(report, result.diagnostics, *result.program, result.files, t);
  }
  if (!f.output_file.empty()) {
    std::string error;
    std::ofstream probe(f.output_file, std::ios::app);  // create it if missing, for the atomic write
    probe.close();
    if (!ddplint::fixers::write_atomically(f.output_file, report.str(), error)) {
      std::cerr << "ddplint: error: " << error << "\n";
      return 2;
    }
  } else {
    std::cout << report.str();
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "ddplint: error: cannot write the report\n";
      return 2;
    }
  }
  int rc = fix_errors ? 1 : result.diagnostics.empty() || f.exit_zero ? 0 : 1;
  // The process ends here: freeing every IR node and analysis result one by one would
  // only cost time.
  (void)result.analysis.release();
  (void)result.program.release();
  return rc;
}

int run_lower(const std::string& file, const std::string& cls, const std::string& method) {
  auto result = ddplint::driver::lower({file});
  for (const auto& d : result.diagnostics) {
    std::cerr << fmt::format("{}: {} {}\n", ddplint::driver::diagnostic_path(d, *result.program), d.code, d.message);
  }
  if (!result.diagnostics.empty()) return 1;
  bool found = false;
  std::cout << ddplint::driver::print_lowered(*result.program, cls, method, found);
  if (!found) {
    std::cerr << fmt::format("ddplint: error: no nn.Module class `{}` in {}\n", cls, file);
    return 2;
  }
  return 0;
}

/// The benchmark's reference: read and tree-sitter-parse every file, nothing else.
int run_parse_only(const std::vector<std::string>& paths, unsigned threads) {
  ddplint::DiagnosticSink sink;
  auto files = ddplint::frontend::python::discover_sources(paths.empty() ? std::vector<std::string>{"."} : paths, sink);
  std::atomic<size_t> next{0}, bytes{0}, errors{0};
  auto work = [&]() {
    TSParser* parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_python());
    for (size_t i = next++; i < files.size(); i = next++) {
      std::ifstream in(files[i], std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      TSTree* tree = ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
      bytes += text.size();
      if (!tree || ts_node_has_error(ts_tree_root_node(tree))) ++errors;
      if (tree) ts_tree_delete(tree);
    }
    ts_parser_delete(parser);
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  std::cout << fmt::format("parsed {} files, {} bytes, {} with syntax errors\n", files.size(), bytes.load(),
                           errors.load());
  return 0;
}

int run_rules() {
  std::cout << fmt::format("{:<8} {:<34} {:<9} {}\n", "code", "name", "severity", "fix");
  for (const auto& r : ddplint::passes::rule_table()) {
    const char* fix = r.fix == ddplint::passes::FixAvailability::Safe       ? "safe"
                      : r.fix == ddplint::passes::FixAvailability::Unsafe   ? "unsafe"
                      : r.fix == ddplint::passes::FixAvailability::DisplayOnly ? "display-only"
                                                                             : "-";
    std::cout << fmt::format("{:<8} {:<34} {:<9} {}\n", r.code, r.slug,
                             r.severity == ddplint::Severity::Error ? "error" : "warning", fix);
  }
  return 0;
}

int run_rule(const std::string& code) {
  const auto& pages = ddplint::docs::rule_pages();
  auto it = pages.find(code);
  if (it == pages.end()) {
    std::cerr << fmt::format("ddplint: error: unknown rule `{}` (see `ddplint rules`)\n", code);
    return 2;
  }
  std::cout << it->second;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ddplint: finds DistributedDataParallel problems in PyTorch models before a GPU job does"};
  app.set_version_flag("--version", std::string("ddplint ") + DDPLINT_VERSION);
  app.require_subcommand(1);

  auto* check = app.add_subcommand("check", "Lint Python files and folders");
  CheckFlags cf;
  check->add_option("paths", cf.paths, "Files or folders (default: .)");
  check->add_option("--format", cf.format, "Output format")
      ->check(CLI::IsMember({"text", "json", "sarif", "github"}));
  check->add_flag("--statistics", cf.statistics, "Print the number of findings per code instead");
  check->add_option("--output-file,-o", cf.output_file, "Write the report to this file");
  check->add_option("--select", cf.select, "Only these codes or prefixes (comma-separated)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  check->add_option("--ignore", cf.ignore, "Skip these codes or prefixes (comma-separated)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  check->add_option("--color", cf.color, "Colour the text output")->check(CLI::IsMember({"auto", "always", "never"}));
  check->add_flag("-q,--quiet", cf.quiet, "Print diagnostics only, no summary");
  check->add_flag("--exit-zero", cf.exit_zero, "Exit 0 even when diagnostics are reported");
  check->add_flag("--fix", cf.fix, "Apply safe fixes (files are rewritten atomically)");
  check->add_flag("--unsafe-fixes", cf.unsafe, "With --fix or --diff: also apply unsafe fixes");
  check->add_flag("--diff", cf.diff, "Print the fixes as a unified diff; write nothing (exit 1 if there is one)");
  check->add_flag("-v,--verbose", cf.verbose, "Say what could not be checked, and why (stderr)");
  check->add_option("--config", cf.config, "Use this configuration file for every file");
  check->add_flag("--no-respect-gitignore", cf.no_gitignore, "Lint files .gitignore files exclude too");
  check->add_option("--threads,-j", cf.threads, "Parse and analyse on this many threads (default: one per core)");
  check->add_option("--source-root", cf.source_roots,
                    "OLD=NEW: TorchScript archives name their sources by the paths they were saved with; read "
                    "those under OLD from NEW instead (repeatable)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  auto* config = app.add_subcommand("config", "Print the effective settings for a file or folder");
  std::string config_path = ".", config_file;
  config->add_option("path", config_path, "A file or folder (default: .)");
  config->add_option("--config", config_file, "Use this configuration file");

  auto* lower = app.add_subcommand("lower", "Print the ddplint IR of a file (TorchScript text form)");
  std::string lower_file, lower_class, lower_method;
  lower->add_option("file", lower_file, "A Python file")->required();
  lower->add_option("--class", lower_class, "Only this nn.Module class");
  lower->add_option("--method", lower_method, "Only this method");

  auto* parse_only = app.add_subcommand("bench-parse", "Parse only (the benchmark's reference), no linting");
  parse_only->group("");  // hidden
  std::vector<std::string> parse_paths;
  unsigned parse_threads = 0;
  parse_only->add_option("paths", parse_paths, "Files or folders");
  parse_only->add_option("-j,--threads", parse_threads, "Threads");

  auto* verify = app.add_subcommand(
      "verify", "Run the model under real DDP (torchrun) to confirm the findings and the fixes");
  ddplint::verify::VerifyOptions vo;
  verify->add_option("paths", vo.paths, "Files or folders to lint (default: the project root)");
  verify->add_option("--entry", vo.entry, "FILE.py:FUNCTION or package.module:FUNCTION returning (model, batch_fn, loss_fn)")
      ->required();
  verify->add_option("--root", vo.root, "Project root: copied, put on sys.path (default: the entry file's folder)");
  verify->add_flag("--unsafe-fixes", vo.unsafe, "Also verify unsafe fixes");
  verify->add_option("--iterations,-n", vo.iterations, "Training iterations per run")->check(CLI::Range(1, 100000));
  verify->add_option("--world-size", vo.world_size, "Ranks (default: one per GPU, or 2 on CPU)")
      ->check(CLI::Range(1, 4096));
  verify->add_option("--seed", vo.seed, "Seed for weights and per-iteration randomness");
  verify->add_option("--backend", vo.backend, "Process group backend")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}));
  verify->add_option("--device", vo.device, "Where the model runs")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  verify->add_option("--ddp", vo.ddp, "KEY=true|false: a DDP flag for both runs (repeatable)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify->add_option("--timeout", vo.timeout, "Seconds per run before it counts as a hang")->check(CLI::PositiveNumber);
  verify->add_option("--collective-timeout", vo.collective_timeout, "Seconds a rank waits in a collective")
      ->check(CLI::PositiveNumber);
  verify->add_option("--python", vo.python, "Interpreter with torch (default: $DDPLINT_PYTHON, python3, /usr/bin/python3)");
  verify->add_option("--format", vo.format, "Output format")->check(CLI::IsMember({"text", "json"}));
  verify->add_option("--output-file,-o", vo.output_file, "Write the report to this file");
  verify->add_option("--emit-plan", vo.emit_plan, "Write the plan to this folder and stop (run it elsewhere)");
  verify->add_flag("--keep-runs", vo.keep_runs, "Keep the plan and the per-rank logs");
  verify->add_option("--config", vo.config, "Use this configuration file");
  std::vector<std::string> verify_select, verify_ignore;
  verify->add_option("--select", verify_select, "Only these codes or prefixes")->allow_extra_args(false);
  verify->add_option("--ignore", verify_ignore, "Skip these codes or prefixes")->allow_extra_args(false);

  auto* rules = app.add_subcommand("rules", "List the rules");
  auto* rule = app.add_subcommand("rule", "Print a rule's documentation");
  std::string rule_code;
  rule->add_option("code", rule_code, "e.g. DDP101")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (*check) return run_check(cf);
    if (*verify) {
      vo.select = split_codes(verify_select);
      vo.ignore = split_codes(verify_ignore);
      return ddplint::verify::run_verify(vo);
    }
    if (*config) {
      ddplint::driver::SettingsResolver r(config_file.empty() ? std::nullopt : std::optional<std::string>(config_file));
      const ddplint::driver::Settings* s = r.for_path(config_path);
      if (!s) {
        std::cerr << "ddplint: error: " << r.error() << "\n";
        return 2;
      }
      std::cout << ddplint::driver::describe_settings(*s);
      return 0;
    }
    if (*lower) return run_lower(lower_file, lower_class, lower_method);
    if (*rules) return run_rules();
    if (*parse_only) return run_parse_only(parse_paths, parse_threads);
    if (*rule) return run_rule(rule_code);
  } catch (const std::exception& e) {
    std::cerr << "ddplint: internal error: " << e.what() << "\n";
    return 2;
  }
  return 2;
}

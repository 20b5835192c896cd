#include "lint/driver/driver.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "fixers/apply.h"
#include "lint/driver/config.h"
#include "lint/driver/suppressions.h"
#include "fixers/call_arguments.h"
#include "lint/frontend/python/frontend.h"
#include "lint/frontend/torchscript/archive.h"
#include "passes/ddp_calls.h"
#include "passes/participation.h"
#include "passes/registry.h"

namespace ddplint::driver {
namespace {

/// Resident memory now, in MB (DDPLINT_TIMING's laps show it beside the time).
double resident_mb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

bool matches(const std::string& code, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (p == "ALL" || code.rfind(p, 0) == 0) return true;
  }
  return false;
}

std::unique_ptr<ir::Program> load(const std::vector<std::string>& all_paths, DiagnosticSink& sink, size_t& files,
                                  const std::map<std::string, std::string>* overlay = nullptr,
                                  SettingsResolver* settings = nullptr, unsigned threads = 1,
                                  bool respect_gitignore = true, bool lower_init = false,
                                  const torchscript::LoadOptions& ts_options = {}) {
  auto program = std::make_unique<ir::Program>();
  frontend::python::Frontend fe(*program, sink);
  fe.set_lower_init(lower_init);
  // Archives named on the command line go to the TorchScript frontend.
  std::vector<std::string> paths, archives;
  for (const auto& p : all_paths) (torchscript::is_archive_path(p) ? archives : paths).push_back(p);
  auto sources = paths.empty() ? std::vector<std::string>{}
                               : frontend::python::discover_sources(paths, sink, respect_gitignore);
  if (settings) {
    std::vector<std::string> kept;
    for (const auto& s : sources) {
      const Settings* st = settings->for_path(s);
      if (st && st->excluded(s)) continue;
      if (st) {
        for (const auto& root : st->src) fe.add_search_root((std::filesystem::path(st->root) / root).string());
      }
      kept.push_back(s);
    }
    sources = std::move(kept);
  }
  auto t = std::chrono::steady_clock::now();
  fe.add_files(sources, threads, overlay);
  if (std::getenv("DDPLINT_TIMING")) {
    std::fprintf(stderr, "ddplint: %-10s %7.1f ms  %6.0f MB resident\n", "parse",
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count(), resident_mb());
  }
  files = sources.size() + archives.size();
  fe.lower();
  torchscript::load_archives(archives, ts_options, *program, sink);
  return program;
}

}  // namespace

struct AnalysisResults {
  std::vector<passes::Participation> parts;
  passes::ContextIndex context;  ///< points into parts
};

CheckResult::CheckResult() = default;
CheckResult::~CheckResult() = default;
CheckResult::CheckResult(CheckResult&&) noexcept = default;
CheckResult& CheckResult::operator=(CheckResult&&) noexcept = default;

bool is_selected(const std::string& code, const std::vector<std::string>& select,
                 const std::vector<std::string>& ignore) {
  if (!select.empty() && !matches(code, select)) return false;
  // The most specific pattern wins, as in ruff: --select DDP101 --ignore DDP1 keeps DDP101.
  size_t sel_len = 0, ign_len = 0;
  for (const auto& p : select) {
    if (code.rfind(p, 0) == 0) sel_len = std::max(sel_len, p.size());
  }
  for (const auto& p : ignore) {
    if (p == "ALL" || code.rfind(p, 0) == 0) ign_len = std::max(ign_len, p == "ALL" ? size_t{0} + 1 : p.size());
  }
  return ign_len == 0 || sel_len > ign_len;
}

std::string diagnostic_path(const Diagnostic& d, const ir::Program& program) {
  if (d.span.file >= 0 && static_cast<size_t>(d.span.file) < program.files.size()) {
    return program.files[static_cast<size_t>(d.span.file)].path;
  }
  return d.path;
}

std::string print_lowered(const ir::Program& p, const std::string& cls, const std::string& method, bool& found) {
  std::string out;
  found = cls.empty();
  auto reported = [&](int file) { return file >= 0 && p.files[static_cast<size_t>(file)].reported; };
  for (const auto& c : p.classes) {
    if (!reported(c->file)) continue;  // loaded only to resolve imports
    if (!cls.empty() && c->name != cls && c->qualified_name != cls) continue;
    found = true;
    out += ir::print_class(*c, p);
    for (const auto& m : c->methods) {
      if (!method.empty() && m->name != method) continue;
      out += ir::print_graph(*m->graph, p, c->name + "." + m->name) + "\n";
    }
  }
  if (cls.empty()) {
    for (const auto& f : p.functions) {
      if (!f->graph->block()->nodes().empty() && !reported(f->graph->block()->nodes().front()->span().file)) continue;
      std::string short_name = f->qualified_name.substr(f->qualified_name.rfind('.') + 1);
      if (!method.empty() && short_name != method) continue;
      out += ir::print_graph(*f->graph, p, f->qualified_name) + "\n";
    }
  }
  return out;
}

CheckResult lower(const std::vector<std::string>& paths) {
  CheckResult r;
  DiagnosticSink sink;
  r.program = load(paths, sink, r.files, nullptr, nullptr, 1, true, /*lower_init=*/true);
  r.diagnostics = std::move(sink.diagnostics());
  return r;
}

CheckResult check(const CheckOptions& options) {
  CheckResult r;
  DiagnosticSink sink;
  SettingsResolver settings(options.config);
  for (const auto& p : options.paths) {
    if (!settings.for_path(p)) {
      r.config_error = settings.error();
      r.program = std::make_unique<ir::Program>();
      return r;
    }
  }
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  // DDPLINT_TIMING=1 prints where the time goes (stderr), for the benchmark.
  static const bool timing = std::getenv("DDPLINT_TIMING") != nullptr;
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    if (!timing) return;
    auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "ddplint: %-10s %7.1f ms  %6.0f MB resident\n", what,
                 std::chrono::duration<double, std::milli>(now - t0).count(), resident_mb());
    t0 = now;
  };
  torchscript::LoadOptions ts_options;
  ts_options.source_roots = options.source_roots;
  r.program = load(options.paths, sink, r.files, options.overlay, &settings, threads, options.respect_gitignore,
                   false, ts_options);
  lap("load");
  if (timing) {
    size_t graphs = 0, nodes = 0, values = 0;
    std::function<void(const ir::Block&)> count = [&](const ir::Block& b) {
      for (const auto& n : b.nodes()) {
        ++nodes;
        for (const auto& sub : n->blocks()) count(*sub);
      }
    };
    auto graph = [&](const ir::Graph& g) {
      ++graphs;
      values += static_cast<size_t>(g.value_count());
      count(*g.block());
    };
    for (const auto& c : r.program->classes) {
      for (const auto& m : c->methods) graph(*m->graph);
    }
    for (const auto& f : r.program->functions) graph(*f->graph);
    std::fprintf(stderr, "ddplint: IR         %zu graphs, %zu nodes, %zu values\n", graphs, nodes, values);
  }
  const ir::Program& program = *r.program;
  // Every class first (context files too: they tell how reported classes are used),
  // then the rules, which read what the containing classes say (ContextIndex).
  // Classes are analysed in parallel; results keep the classes' order. The program's
  // lookup tables are built now, before the threads read them.
  program.find_class("");
  program.find_function("");
  std::vector<passes::Participation> analysed(program.classes.size());
  {
    std::atomic<size_t> next{0}, done{0};
    auto work = [&]() {
      for (size_t i = next++; i < program.classes.size(); i = next++) {
        if (program.classes[i]->analyse_as_root) {
          analysed[i] = passes::analyze_participation(program, *program.classes[i]);
        }
        ++done;
      }
    };
    std::vector<std::thread> pool;
    unsigned n = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(program.classes.size())));
    for (unsigned t = 0; t < n; ++t) pool.emplace_back(work);
    // A progress line on a terminal, for runs that take more than a second.
    bool tty = isatty(STDERR_FILENO) != 0 && !options.quiet_progress;
    auto start = std::chrono::steady_clock::now();
    bool shown = false;
    while (tty && done < program.classes.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (std::chrono::steady_clock::now() - start > std::chrono::seconds(1)) {
        std::fprintf(stderr, "\rddplint: analysed %zu/%zu classes", done.load(), program.classes.size());
        shown = true;
      }
    }
    for (auto& t : pool) t.join();
    if (shown) std::fprintf(stderr, "\r\033[K");
  }
  lap("analysis");
  if (timing) {
    size_t roots = 0, facts = 0, atoms = 0;
    for (const auto& a : analysed) {
      roots += a.analyzed;
      facts += a.facts.size();
      atoms += a.atoms.size();
    }
    std::fprintf(stderr, "ddplint: analysis   %zu roots, %zu parameter facts, %zu atoms, ParamFact %zu bytes\n", roots,
                 facts, atoms, sizeof(passes::ParamFact));
  }
  r.analysis = std::make_unique<AnalysisResults>();
  std::vector<passes::Participation>& parts = r.analysis->parts;
  passes::ContextIndex& context = r.analysis->context;
  for (auto& part : analysed) {
    if (part.analyzed) parts.push_back(std::move(part));
  }
  for (const auto& part : parts) context.add(part);  // after: the index keeps pointers
  auto calls = passes::find_ddp_calls(program);
  for (const auto& c : calls) {
    if (c.model) context.add_root(c.model);
  }
  auto conversions = passes::find_layout_conversions(program);
  std::map<const ir::ClassInfo*, const passes::Participation*> by_class;
  for (const auto& p : parts) by_class.emplace(p.root, &p);
  auto pctx_lookup = [&](const ir::ClassInfo* c) -> const passes::Participation* {
    auto it = by_class.find(c);
    return it == by_class.end() ? nullptr : it->second;
  };
  // Models converted to channels-last before their wrap: their weights are channels-last.
  std::set<const ir::ClassInfo*> channels_last;
  for (const auto& c : conversions) {
    // Before the wrap (or after it: DDP301's finding), the weights end up channels-last.
    if (!c.model || c.memory_format.find("channels_last") == std::string::npos) continue;
    channels_last.insert(c.model);
    if (const passes::Participation* p = pctx_lookup(c.model)) {
      channels_last.insert(p->entered_classes.begin(), p->entered_classes.end());
    }
  }
  passes::ProgramRuleContext pctx{program, parts, context, calls, conversions, sink, {}};
  for (const auto& rule : passes::rule_table()) {
    if (rule.run_program && is_selected(rule.code, options.select, options.ignore)) rule.run_program(pctx);
  }
  for (const auto& part : parts) {
    const ir::ClassInfo& cls = *part.root;
    if (cls.file < 0 || !program.files[static_cast<size_t>(cls.file)].reported) continue;
    if (part.truncated) {  // partial facts would invent unused parameters
      sink.info(fmt::format("{}: the analysis of `{}` stopped at its budget; its findings are skipped",
                            program.files[static_cast<size_t>(cls.file)].path, cls.name));
      continue;
    }
    passes::RuleContext ctx{program, part, sink, context, &channels_last};
    for (const auto& rule : passes::rule_table()) {
      if (rule.run && is_selected(rule.code, options.select, options.ignore)) rule.run(ctx);
    }
  }
  lap("rules");
  // Suppressions first (on every finding, so that a `# noqa` for an ignored code is
  // not "unused"), then the settings: select, ignore, per-file-ignores, severity.
  std::vector<Diagnostic> all;
  std::set<std::tuple<std::string, std::string, uint32_t, std::vector<std::string>>> seen;
  for (auto& d : sink.diagnostics()) {
    d.path = diagnostic_path(d, program);
    // Files loaded only to resolve imports are not reported on.
    if (d.span.file >= 0 && !program.files[static_cast<size_t>(d.span.file)].reported && d.code != "DDP901") continue;
    if (!seen.insert({d.code, d.path, d.span.begin, d.symbols}).second) continue;
    if (d.span.file >= 0) {  // a TorchScript archive's copy of a source that changed or is missing
      const std::string& stale = program.files[static_cast<size_t>(d.span.file)].stale_note;
      if (!stale.empty()) d.notes.push_back({ir::Span{}, stale});
    }
    all.push_back(std::move(d));
  }
  apply_suppressions(all, program, true);
  std::vector<Diagnostic> out;
  for (auto& d : all) {
    d.path = diagnostic_path(d, program);
    const Settings* st = settings.for_path(d.path);
    if (!st) {
      r.config_error = settings.error();
      return r;
    }
    if (!st->enabled(d.code, d.path, options.select, options.ignore)) continue;
    if (d.code == "DDP902") {  // a suppression of a code that is not enabled is not "unused"
      bool any = false;
      for (const auto& c : d.symbols) any = any || st->enabled(c, d.path, options.select, options.ignore);
      if (!any) continue;
    }
    auto sev = st->severity.find(d.code);
    if (sev != st->severity.end()) d.severity = sev->second;
    out.push_back(std::move(d));
  }
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.path, a.span.line, a.span.col, a.code) < std::tie(b.path, b.span.line, b.span.col, b.code);
  });
  r.diagnostics = std::move(out);
  r.info = std::move(sink.infos());
  return r;
}

}  // namespace ddplint::driver

namespace ddplint::driver {

bool fix_applies(const Diagnostic& d, bool unsafe) {
  if (!d.fix || d.fix->edits.empty()) return false;
  return d.fix->applicability == Applicability::Safe || (unsafe && d.fix->applicability == Applicability::Unsafe);
}

FixOutcome compute_fixes(const CheckOptions& options, bool unsafe) {
  constexpr int kMaxRounds = 10;
  FixOutcome out;
  std::map<std::string, std::string> overlay;
  std::set<std::tuple<std::string, std::string, uint32_t>> refused;  // (code, path, line)
  // A fix applied once whose finding comes back did not fix it: never again.
  std::set<std::tuple<std::string, std::string, std::vector<std::string>>> applied_once;
  CheckOptions opt = options;
  opt.overlay = &overlay;
  for (int round = 0;; ++round) {
    CheckResult r = check(opt);
    if (!r.config_error.empty()) {
      out.config_error = r.config_error;
      return out;
    }
    // Model-side fixes (DDP1xx) first: once they apply, the DDP call may no longer
    // need changing, which the next round's check decides.
    std::vector<const Diagnostic*> todo;
    bool model_side = false;
    for (const auto& d : r.diagnostics) {
      if (!fix_applies(d, unsafe) || refused.count({d.code, d.path, d.span.line})) continue;
      if (applied_once.count({d.code, d.path, d.symbols})) {
        refused.insert({d.code, d.path, d.span.line});
        out.errors.push_back(fmt::format("{}:{}: {} fix did not resolve the finding; not applied again", d.path,
                                         d.span.line, d.code));
        continue;
      }
      todo.push_back(&d);
      model_side = model_side || d.code.rfind("DDP1", 0) == 0;
    }
    if (model_side) {
      todo.erase(std::remove_if(todo.begin(), todo.end(), [](const Diagnostic* d) { return d->code.rfind("DDP1", 0) != 0; }),
                 todo.end());
    }
    if (todo.empty()) break;
    if (round == kMaxRounds) {
      out.converged = false;
      return out;
    }
    std::map<std::string, std::vector<const Diagnostic*>> by_file;
    for (const Diagnostic* d : todo) by_file[d->path].push_back(d);
    size_t refused_before = refused.size();
    size_t applied_this_round = 0;
    for (auto& [path, diags] : by_file) {
      const ir::SourceFile* file = nullptr;
      for (const auto& f : r.program->files) {
        if (f.path == path) file = &f;
      }
      if (!file) continue;
      if (!out.original.count(path)) out.original[path] = file->text;
      std::string text = file->text;
      // Non-overlapping fixes in one go; an overlapping one waits for the next round.
      std::vector<Edit> edits;
      std::vector<const Diagnostic*> taken;
      for (const Diagnostic* d : diags) {
        std::vector<Edit> trial = edits;
        trial.insert(trial.end(), d->fix->edits.begin(), d->fix->edits.end());
        std::string probe = text;
        if (!fixers::apply_edits(probe, trial)) {
          if (diags.size() == 1 || taken.empty()) {
            refused.insert({d->code, d->path, d->span.line});
            out.errors.push_back(fmt::format("{}:{}: {} fix overlaps another edit; not applied", path, d->span.line,
                                             d->code));
          }
          continue;
        }
        edits = std::move(trial);
        taken.push_back(d);
      }
      std::string fixed = text;
      if (taken.empty() || !fixers::apply_edits(fixed, edits)) continue;
      if (!fixers::parses_cleanly(fixed)) {
        for (const Diagnostic* d : taken) {
          refused.insert({d->code, d->path, d->span.line});
          out.errors.push_back(fmt::format("{}:{}: {} fix would leave invalid syntax; not applied", path, d->span.line,
                                           d->code));
        }
        continue;
      }
      overlay[path] = fixed;
      applied_this_round += taken.size();
      for (const Diagnostic* d : taken) {
        applied_once.insert({d->code, d->path, d->symbols});
        out.applied_fixes.push_back({d->code, d->path, d->fix->title, d->span.line, d->fix->applicability, round,
                                     d->symbols});
      }
    }
    out.applied += applied_this_round;
    // Nothing applied: stop, unless fixes were refused this round (the next round
    // goes on without them, e.g. to the call-site fixes held back for them).
    if (applied_this_round == 0 && refused.size() == refused_before) break;
  }
  for (const auto& [path, text] : overlay) {
    if (out.original[path] != text) out.fixed[path] = text;
  }
  return out;
}

}  // namespace ddplint::driver

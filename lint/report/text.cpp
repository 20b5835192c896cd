#include <fmt/format.h>

#include "lint/driver/driver.h"
#include "lint/report/report.h"
#include "passes/registry.h"

namespace ddplint::report {
namespace {

struct Palette {
  bool on;
  std::string bold() const { return on ? "\x1b[1m" : ""; }
  std::string red() const { return on ? "\x1b[1;31m" : ""; }
  std::string yellow() const { return on ? "\x1b[1;33m" : ""; }
  std::string cyan() const { return on ? "\x1b[1;36m" : ""; }
  std::string blue() const { return on ? "\x1b[1;34m" : ""; }
  std::string reset() const { return on ? "\x1b[0m" : ""; }
};

void snippet(std::ostream& out, const ir::Span& s, const ir::Program& p, const Palette& c) {
  if (!s.valid() || static_cast<size_t>(s.file) >= p.files.size()) return;
  const ir::SourceFile& f = p.files[static_cast<size_t>(s.file)];
  std::string_view line = f.line_text(s.line);
  if (line.size() > 400) return;  // minified or generated: no snippet
  std::string num = std::to_string(s.line);
  std::string pad(num.size(), ' ');
  size_t start = s.col > 0 ? s.col - 1 : 0;
  size_t end = s.end_line == s.line ? std::max<size_t>(s.end_col - 1, start + 1) : line.size();
  end = std::min(end, line.size());
  if (end <= start) end = start + 1;
  std::string marker;
  for (size_t i = 0; i < start; ++i) marker += line[i] == '\t' ? '\t' : ' ';
  marker += std::string(end - start, '^');
  out << c.blue() << pad << " |" << c.reset() << "\n";
  out << c.blue() << num << " |" << c.reset() << " " << line << "\n";
  out << c.blue() << pad << " |" << c.reset() << " " << c.red() << marker << c.reset() << "\n";
}

std::string where(const Diagnostic& d, const ir::Span& s, const ir::Program& p) {
  if (s.valid() && static_cast<size_t>(s.file) < p.files.size()) {
    return fmt::format("{}:{}:{}", p.files[static_cast<size_t>(s.file)].path, s.line, s.col);
  }
  return d.path.empty() ? "<input>" : d.path;
}

}  // namespace

void write_text(std::ostream& out, const std::vector<Diagnostic>& diags, const ir::Program& program, size_t files,
                const TextOptions& options) {
  Palette c{options.color};
  size_t errors = 0, warnings = 0, fixable = 0, hidden = 0;
  for (const auto& d : diags) {
    const passes::RuleInfo* rule = passes::find_rule(d.code);
    bool error = d.severity.value_or(rule ? rule->severity : Severity::Error) == Severity::Error;
    (error ? errors : warnings)++;
    bool can_fix = driver::fix_applies(d, options.unsafe);
    if (can_fix) ++fixable;
    else if (driver::fix_applies(d, true)) ++hidden;
    out << c.bold() << where(d, d.span, program) << ":" << c.reset() << " " << (error ? c.red() : c.yellow())
        << d.code << c.reset() << (can_fix ? " [*]" : "") << " " << d.message << "\n";
    snippet(out, d.span, program, c);
    for (const auto& n : d.notes) {
      if (n.span.valid()) {
        out << c.bold() << where(d, n.span, program) << ":" << c.reset() << " " << c.cyan() << "note:" << c.reset()
            << " " << n.message << "\n";
        snippet(out, n.span, program, c);
      } else {
        out << "  " << c.cyan() << "=" << c.reset() << " " << n.message << "\n";
      }
    }
    if (d.fix && !can_fix) {
      out << "  " << c.cyan() << "=" << c.reset() << " "
          << (d.fix->applicability == Applicability::Unsafe ? "unsafe fix (--unsafe-fixes): " : "suggested fix: ")
          << d.fix->title << "\n";
    }
    out << "\n";
  }
  if (options.quiet) return;
  if (options.fixed) out << fmt::format("Fixed {} finding{}.\n", options.fixed, options.fixed == 1 ? "" : "s");
  if (diags.empty()) {
    out << fmt::format("All checks passed ({} file{} checked).\n", files, files == 1 ? "" : "s");
  } else {
    out << fmt::format("Found {} error{} and {} warning{} in {} file{} checked.\n", errors, errors == 1 ? "" : "s",
                       warnings, warnings == 1 ? "" : "s", files, files == 1 ? "" : "s");
    if (fixable) out << fmt::format("[*] {} fixable with the `--fix` option.\n", fixable);
    if (hidden) {
      out << fmt::format("{} more fix{} available with `--fix --unsafe-fixes`.\n", hidden, hidden == 1 ? "" : "es");
    }
  }
}

}  // namespace ddplint::report

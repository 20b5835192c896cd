#include <algorithm>

#include <nlohmann/json.hpp>

#include "lint/report/report.h"
#include "passes/registry.h"

namespace ddplint::report {
namespace {

nlohmann::json location(const ir::Span& s, const ir::Program& p, const std::string& fallback_path) {
  nlohmann::json j;
  if (s.valid() && static_cast<size_t>(s.file) < p.files.size()) {
    j["path"] = p.files[static_cast<size_t>(s.file)].path;
    j["line"] = s.line;
    j["column"] = s.col;
    j["end_line"] = s.end_line;
    j["end_column"] = s.end_col;
  } else {
    j["path"] = fallback_path.empty() ? nlohmann::json() : nlohmann::json(fallback_path);
    j["line"] = 1;
    j["column"] = 1;
    j["end_line"] = 1;
    j["end_column"] = 1;
  }
  return j;
}

}  // namespace

void write_json(std::ostream& out, const std::vector<Diagnostic>& diags, const ir::Program& program) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& d : diags) {
    const passes::RuleInfo* rule = passes::find_rule(d.code);
    nlohmann::json j = location(d.span, program, d.path);
    j["code"] = d.code;
    j["name"] = rule ? rule->slug : "";
    j["severity"] = d.severity.value_or(rule ? rule->severity : Severity::Error) == Severity::Error ? "error" : "warning";
    j["message"] = d.message;
    std::string symbol;
    for (size_t i = 0; i < d.symbols.size(); ++i) symbol += (i ? ", " : "") + d.symbols[i];
    j["symbol"] = symbol;
    j["symbols"] = d.symbols;
    j["scope"] = d.scope;
    nlohmann::json notes = nlohmann::json::array();
    for (const auto& n : d.notes) {
      nlohmann::json nj;
      if (n.span.valid()) nj = location(n.span, program, "");
      else nj = {{"path", nullptr}, {"line", nullptr}, {"column", nullptr}};
      nj["message"] = n.message;
      notes.push_back(std::move(nj));
    }
    j["notes"] = std::move(notes);
    if (d.fix) {
      nlohmann::json fix;
      fix["applicability"] = d.fix->applicability == Applicability::Safe     ? "safe"
                             : d.fix->applicability == Applicability::Unsafe ? "unsafe"
                                                                             : "display-only";
      fix["title"] = d.fix->title;
      nlohmann::json edits = nlohmann::json::array();
      for (const auto& e : d.fix->edits) {
        if (e.file < 0 || static_cast<size_t>(e.file) >= program.files.size()) continue;
        const ir::SourceFile& f = program.files[static_cast<size_t>(e.file)];
        auto [l1, c1] = f.position(e.begin);
        auto [l2, c2] = f.position(e.end);
        edits.push_back({{"path", f.path}, {"line", l1}, {"column", c1}, {"end_line", l2}, {"end_column", c2},
                         {"content", e.content}});
      }
      fix["edits"] = std::move(edits);
      j["fix"] = std::move(fix);
    } else {
      j["fix"] = nullptr;
    }
    arr.push_back(std::move(j));
  }
  nlohmann::json doc;
  doc["diagnostics"] = std::move(arr);
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace ddplint::report

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/): one run, the rule
// table as the driver's rules, each diagnostic a result with a physical and a logical
// location, notes as related locations, fixes as artifact changes.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "lint/report/report.h"
#include "passes/registry.h"

namespace ddplint::report {
namespace {

constexpr const char* kHelpBase = "https://github.com/ddplint/ddplint/blob/main/docs/rules/";

nlohmann::json region(const ir::Span& s) {
  return {{"startLine", s.line}, {"startColumn", s.col}, {"endLine", s.end_line}, {"endColumn", s.end_col}};
}

std::string uri(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ') out += "%20";
    else if (c == '%') out += "%25";
    else out += c;
  }
  return out;
}

}  // namespace

void write_sarif(std::ostream& out, const std::vector<Diagnostic>& diags, const ir::Program& program,
                 const std::string& version) {
  nlohmann::json rules = nlohmann::json::array();
  std::map<std::string, size_t> index;
  for (const auto& r : passes::rule_table()) {
    index[r.code] = rules.size();
    rules.push_back({{"id", r.code},
                     {"name", r.slug},
                     {"shortDescription", {{"text", r.summary}}},
                     {"helpUri", std::string(kHelpBase) + r.code + ".md"},
                     {"defaultConfiguration", {{"level", r.severity == Severity::Error ? "error" : "warning"}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& d : diags) {
    const passes::RuleInfo* rule = passes::find_rule(d.code);
    Severity sev = d.severity.value_or(rule ? rule->severity : Severity::Error);
    nlohmann::json res;
    res["ruleId"] = d.code;
    if (index.count(d.code)) res["ruleIndex"] = index[d.code];
    res["level"] = sev == Severity::Error ? "error" : "warning";
    res["message"] = {{"text", d.message}};
    nlohmann::json loc;
    nlohmann::json phys = {{"artifactLocation", {{"uri", uri(d.path)}}}};
    if (d.span.valid()) phys["region"] = region(d.span);
    loc["physicalLocation"] = phys;
    if (!d.scope.empty()) {
      loc["logicalLocations"] = nlohmann::json::array({{{"fullyQualifiedName", d.scope}, {"kind", "function"}}});
    }
    res["locations"] = nlohmann::json::array({loc});
    nlohmann::json related = nlohmann::json::array();
    int id = 0;
    for (const auto& n : d.notes) {
      if (!n.span.valid() || static_cast<size_t>(n.span.file) >= program.files.size()) continue;
      related.push_back({{"id", id++},
                         {"message", {{"text", n.message}}},
                         {"physicalLocation",
                          {{"artifactLocation", {{"uri", uri(program.files[static_cast<size_t>(n.span.file)].path)}}},
                           {"region", region(n.span)}}}});
    }
    if (!related.empty()) res["relatedLocations"] = related;
    if (d.fix && !d.fix->edits.empty()) {
      std::map<int, nlohmann::json> by_file;
      for (const auto& e : d.fix->edits) {
        if (e.file < 0 || static_cast<size_t>(e.file) >= program.files.size()) continue;
        const ir::SourceFile& f = program.files[static_cast<size_t>(e.file)];
        auto [l1, c1] = f.position(e.begin);
        auto [l2, c2] = f.position(e.end);
        by_file[e.file].push_back(
            {{"deletedRegion", {{"startLine", l1}, {"startColumn", c1}, {"endLine", l2}, {"endColumn", c2}}},
             {"insertedContent", {{"text", e.content}}}});
      }
      nlohmann::json changes = nlohmann::json::array();
      for (auto& [file, reps] : by_file) {
        changes.push_back({{"artifactLocation", {{"uri", uri(program.files[static_cast<size_t>(file)].path)}}},
                           {"replacements", reps}});
      }
      res["fixes"] = nlohmann::json::array({{{"description", {{"text", d.fix->title}}}, {"artifactChanges", changes}}});
    }
    results.push_back(std::move(res));
  }
  nlohmann::json doc = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", nlohmann::json::array({{{"tool",
                                        {{"driver",
                                          {{"name", "ddplint"},
                                           {"version", version},
                                           {"informationUri", "https://github.com/ddplint/ddplint"},
                                           {"rules", rules}}}}},
                                       {"results", results}}})}};
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void write_github(std::ostream& out, const std::vector<Diagnostic>& diags) {
  // GitHub Actions workflow commands; data escapes %, CR, LF; properties also : and ,.
  auto data = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '%') o += "%25";
      else if (c == '\r') o += "%0D";
      else if (c == '\n') o += "%0A";
      else o += c;
    }
    return o;
  };
  auto prop = [&](const std::string& s) {
    std::string o;
    for (char c : data(s)) {
      if (c == ':') o += "%3A";
      else if (c == ',') o += "%2C";
      else o += c;
    }
    return o;
  };
  for (const auto& d : diags) {
    const passes::RuleInfo* rule = passes::find_rule(d.code);
    Severity sev = d.severity.value_or(rule ? rule->severity : Severity::Error);
    out << "::" << (sev == Severity::Error ? "error" : "warning") << " file=" << prop(d.path);
    if (d.span.valid()) {
      out << ",line=" << d.span.line << ",col=" << d.span.col << ",endLine=" << d.span.end_line
          << ",endColumn=" << d.span.end_col;
    }
    out << ",title=" << prop(d.code + (rule ? std::string(" (") + rule->slug + ")" : std::string())) << "::"
        << data(d.code + " " + d.message) << "\n";
  }
}

void write_statistics(std::ostream& out, const std::vector<Diagnostic>& diags) {
  std::map<std::string, size_t> counts;
  for (const auto& d : diags) counts[d.code]++;
  std::vector<std::pair<std::string, size_t>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [code, n] : rows) {
    const passes::RuleInfo* rule = passes::find_rule(code);
    out << n << "\t" << code << "\t" << (rule ? rule->slug : "") << "\n";
  }
}

}  // namespace ddplint::report

#include "lint/driver/suppressions.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

namespace ddplint::driver {
namespace {

struct Suppression {
  const ir::SourceFile::Comment* comment = nullptr;
  int file = -1;
  bool file_level = false;
  std::vector<std::string> codes;  ///< empty: every code
  std::vector<bool> used;
  bool used_bare = false;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Parses `# noqa`, `# noqa: A, B`, `# ddplint: noqa[: ...]` out of a comment.
bool parse(const std::string& text, Suppression& s) {
  std::string t = lower(text);
  size_t at = std::string::npos;
  size_t file_tag = t.find("ddplint:");
  if (file_tag != std::string::npos) {
    size_t n = t.find("noqa", file_tag);
    if (n != std::string::npos && t.substr(file_tag + 8, n - file_tag - 8).find_first_not_of(' ') == std::string::npos) {
      s.file_level = true;
      at = n;
    }
  }
  if (at == std::string::npos) {
    at = t.find("noqa");
    if (at == std::string::npos) return false;
    // `# noqa` must start the comment (or follow another `#` comment part).
    size_t before = t.rfind('#', at);
    if (before == std::string::npos || t.substr(before + 1, at - before - 1).find_first_not_of(' ') != std::string::npos) {
      return false;
    }
  }
  size_t pos = at + 4;
  while (pos < t.size() && t[pos] == ' ') ++pos;
  if (pos < t.size() && t[pos] == ':') {
    ++pos;
    std::string code;
    for (; pos <= text.size(); ++pos) {
      char c = pos < text.size() ? text[pos] : ',';
      if (std::isalnum(static_cast<unsigned char>(c))) {
        code += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      } else if (c == ',' || c == ' ') {
        if (!code.empty()) s.codes.push_back(code);
        code.clear();
        if (c == ' ' && !s.codes.empty()) {  // a space after a complete list ends it
          size_t next = text.find_first_not_of(' ', pos);
          if (next != std::string::npos && text[next] != ',') break;
        }
      } else {
        if (!code.empty()) s.codes.push_back(code);
        break;
      }
    }
  }
  s.used.assign(s.codes.size(), false);
  return true;
}

bool covers(Suppression& s, const std::string& code) {
  if (s.codes.empty()) {
    s.used_bare = true;
    return true;
  }
  for (size_t i = 0; i < s.codes.size(); ++i) {
    if (code.rfind(s.codes[i], 0) == 0) {
      s.used[i] = true;
      return true;
    }
  }
  return false;
}

}  // namespace

void apply_suppressions(std::vector<Diagnostic>& diags, const ir::Program& program, bool report_unused) {
  std::vector<Suppression> all;
  std::map<std::pair<int, uint32_t>, std::vector<size_t>> by_line;
  std::map<int, std::vector<size_t>> by_file;
  for (size_t f = 0; f < program.files.size(); ++f) {
    if (!program.files[f].reported) continue;
    for (const auto& c : program.files[f].comments) {
      Suppression s;
      s.comment = &c;
      s.file = static_cast<int>(f);
      if (!parse(c.text, s)) continue;
      all.push_back(std::move(s));
      size_t i = all.size() - 1;
      if (all[i].file_level) by_file[static_cast<int>(f)].push_back(i);
      else by_line[{static_cast<int>(f), c.line}].push_back(i);
    }
  }
  if (all.empty()) return;
  std::vector<Diagnostic> kept;
  for (auto& d : diags) {
    bool suppressed = false;
    if (d.span.file >= 0) {
      const ir::SourceFile& f = program.files[static_cast<size_t>(d.span.file)];
      std::vector<uint32_t> lines{d.span.line};
      auto st = f.statement_start.find(d.span.line);
      if (st != f.statement_start.end()) lines.push_back(st->second);
      for (size_t i : by_file[d.span.file]) suppressed = covers(all[i], d.code) || suppressed;
      for (uint32_t l : lines) {
        auto it = by_line.find({d.span.file, l});
        if (it == by_line.end()) continue;
        for (size_t i : it->second) suppressed = covers(all[i], d.code) || suppressed;
      }
    }
    if (!suppressed) kept.push_back(std::move(d));
  }
  diags = std::move(kept);
  if (!report_unused) return;
  for (const auto& s : all) {
    std::vector<std::string> unused;
    for (size_t i = 0; i < s.codes.size(); ++i) {
      if (!s.used[i] && s.codes[i].rfind("DDP", 0) == 0) unused.push_back(s.codes[i]);
    }
    if (unused.empty()) continue;
    const ir::SourceFile& f = program.files[static_cast<size_t>(s.file)];
    Diagnostic d;
    d.code = "DDP902";
    d.span.file = s.file;
    d.span.begin = s.comment->begin;
    d.span.end = s.comment->begin + static_cast<uint32_t>(s.comment->text.size());
    d.span.line = d.span.end_line = s.comment->line;
    d.span.col = s.comment->begin - f.line_starts[s.comment->line - 1] + 1;
    d.span.end_col = d.span.col + static_cast<uint32_t>(s.comment->text.size());
    std::string list;
    for (const auto& u : unused) list += (list.empty() ? "" : ", ") + u;
    d.symbols = unused;
    d.message = fmt::format("unused suppression: no {} is reported {}", list,
                            s.file_level ? "in this file" : "on this line");
    // Only a comment that is nothing but this suppression goes (`# noqa: X  # why` stays).
    bool all_unused = unused.size() == s.codes.size() && !s.used_bare && s.comment->text.find('#', 1) == std::string::npos;
    if (all_unused && !s.file_level) {
      // Drop the comment, and the spaces before it.
      uint32_t b = s.comment->begin;
      while (b > f.line_starts[s.comment->line - 1] && (f.text[b - 1] == ' ' || f.text[b - 1] == '\t')) --b;
      bool whole_line = b == f.line_starts[s.comment->line - 1];
      if (!whole_line) d.fix = Fix{"Remove the unused suppression", Applicability::Safe, {Edit{s.file, b, d.span.end, ""}}};
    }
    diags.push_back(std::move(d));
  }
}

}  // namespace ddplint::driver

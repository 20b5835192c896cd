#include "fixers/apply.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace ddplint::fixers {
namespace {

WriteFn& write_fn() {
  static WriteFn fn = [](int fd, const char* data, size_t size) { return static_cast<long>(::write(fd, data, size)); };
  return fn;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) {
      out.push_back(s.substr(pos));
      break;
    }
    out.push_back(s.substr(pos, nl - pos + 1));
    pos = nl + 1;
  }
  return out;
}

}  // namespace

void set_write_function(WriteFn fn) { write_fn() = std::move(fn); }

bool apply_edits(std::string& text, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 0; i < edits.size(); ++i) {
    if (edits[i].end < edits[i].begin || edits[i].end > text.size()) return false;
    if (i > 0 && edits[i].begin < edits[i - 1].end) return false;
    // Two insertions at one point have no defined order: refuse them too.
    if (i > 0 && edits[i].begin == edits[i - 1].begin && edits[i].begin == edits[i].end) return false;
  }
  std::string out = text;
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) out.replace(it->begin, it->end - it->begin, it->content);
  text = std::move(out);
  return true;
}

bool write_atomically(const std::string& given, const std::string& text, std::string& error) {
  // Through a symlink, the file it points at is rewritten; the link stays.
  std::error_code link_ec;
  std::string path = std::filesystem::is_symlink(given, link_ec) ? std::filesystem::canonical(given, link_ec).string()
                                                                 : given;
  if (link_ec) path = given;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    error = fmt::format("cannot stat {}: {}", path, std::strerror(errno));
    return false;
  }
  if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0 || access(path.c_str(), W_OK) != 0) {
    error = fmt::format("{} is read-only; not modified", path);
    return false;
  }
  std::filesystem::path p(path);
  std::string tmpl = (p.parent_path().empty() ? std::string(".") : p.parent_path().string()) + "/." +
                     p.filename().string() + ".ddplint-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    error = fmt::format("cannot create a temporary file beside {}: {}", path, std::strerror(errno));
    return false;
  }
  auto fail = [&](const std::string& why) {
    close(fd);
    unlink(tmpl.c_str());
    error = fmt::format("cannot write {}: {}; the file is unchanged", path, why);
    return false;
  };
  size_t done = 0;
  while (done < text.size()) {
    long n = write_fn()(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(n < 0 ? std::strerror(errno) : "short write");
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail(std::strerror(errno));
  if (fchmod(fd, st.st_mode & 07777) != 0) return fail(std::strerror(errno));
  if (close(fd) != 0) {
    unlink(tmpl.c_str());
    error = fmt::format("cannot write {}: {}; the file is unchanged", path, std::strerror(errno));
    return false;
  }
  if (rename(tmpl.c_str(), path.c_str()) != 0) {
    unlink(tmpl.c_str());
    error = fmt::format("cannot replace {}: {}; the file is unchanged", path, std::strerror(errno));
    return false;
  }
  return true;
}

std::string unified_diff(const std::string& path, const std::string& before, const std::string& after) {
  if (before == after) return "";
  auto a = split_lines(before), b = split_lines(after);
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  const size_t ctx = 3;
  size_t start = prefix > ctx ? prefix - ctx : 0;
  size_t a_end = std::min(a.size(), a.size() - suffix + ctx);
  size_t b_end = std::min(b.size(), b.size() - suffix + ctx);
  auto line = [](const std::string& l) { return l.empty() || l.back() != '\n' ? l + "\n\\ No newline at end of file\n" : l; };
  std::string out = fmt::format("--- {}\n+++ {}\n", path, path);
  size_t a_len = a_end - start, b_len = b_end - start;
  out += fmt::format("@@ -{},{} +{},{} @@\n", a_len ? start + 1 : start, a_len, b_len ? start + 1 : start, b_len);
  for (size_t i = start; i < prefix; ++i) out += " " + line(a[i]);
  for (size_t i = prefix; i < a.size() - suffix; ++i) out += "-" + line(a[i]);
  for (size_t i = prefix; i < b.size() - suffix; ++i) out += "+" + line(b[i]);
  for (size_t i = a.size() - suffix; i < a_end; ++i) out += " " + line(a[i]);
  return out;
}

}  // namespace ddplint::fixers

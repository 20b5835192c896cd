#include "lint/frontend/python/path_memo.h"

namespace ddplint::frontend::python {

namespace fs = std::filesystem;

namespace {

/// The answer for `key` in `memo`, computed (outside the lock) on a first question.
template <class T, class Compute>
T remembered(std::mutex& mu, std::unordered_map<std::string, T>& memo, const std::string& key, Compute compute) {
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = memo.find(key);
    if (it != memo.end()) return it->second;
  }
  T answer = compute();
  std::lock_guard<std::mutex> lock(mu);
  memo.emplace(key, answer);
  return answer;
}

}  // namespace

const fs::path& PathMemo::current_path() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!have_cwd_) {
    std::error_code ec;
    cwd_ = fs::current_path(ec);
    have_cwd_ = true;
  }
  return cwd_;
}

fs::path PathMemo::canonical_folder(const fs::path& dir) {
  return remembered(mu_, folders_, dir.string(), [&] {
    std::error_code ec;
    fs::path c = fs::canonical(dir, ec);
    return ec ? fs::path() : c;
  });
}

fs::path PathMemo::canonical_folder_of_file(const std::string& path) {
  fs::path p(path);
  fs::path name = p.filename();
  if (name.empty() || name == "." || name == "..") return {};
  std::error_code ec;
  fs::file_status st = fs::symlink_status(p, ec);
  if (ec || !fs::exists(st) || fs::is_symlink(st) || fs::is_directory(st)) return {};
  // An existing file that is not a link: canonical(p) is its folder's canonical form and
  // its name.
  fs::path abs = p.is_absolute() ? p : current_path() / p;
  return canonical_folder(abs.parent_path());
}

std::string PathMemo::weakly_canonical(const std::string& path) {
  fs::path folder = canonical_folder_of_file(path);
  if (!folder.empty()) return (folder / fs::path(path).filename()).string();
  std::error_code ec;
  return fs::weakly_canonical(path, ec).string();
}

fs::file_status PathMemo::status(const fs::path& path) {
  return remembered(mu_, status_, path.string(), [&] {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    return ec ? fs::file_status(fs::file_type::not_found) : st;
  });
}

}  // namespace ddplint::frontend::python

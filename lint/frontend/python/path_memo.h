// File-system answers a run asks many times, asked of the system once per folder.
//
// Resolving a file's config, its module name and the files its imports name each asked
// the system about every folder above every file: `weakly_canonical` reads every
// component's link (readlink) and a package walk stats `__init__.py` level by level.
// On the 1323-file bench tree that was 55,000 system calls, most of them the same ones.
// A PathMemo lives for one run (a later run may see a changed tree). Thread-safe.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ddplint::frontend::python {

class PathMemo {
 public:
  /// std::filesystem::weakly_canonical(path), as a string ("" when it fails). A file that
  /// exists and is not a link costs one lstat: its folder's canonical form is memoised.
  std::string weakly_canonical(const std::string& path);
  /// The canonical form of the folder holding `path` (as weakly_canonical(path) would
  /// give it, less the file name); empty when `path` is not an existing file that is not
  /// a link, and the caller must ask the system itself.
  std::filesystem::path canonical_folder_of_file(const std::string& path);
  /// std::filesystem::status(path) (links followed; not_found when it fails).
  std::filesystem::file_status status(const std::filesystem::path& path);
  /// The working directory, read once.
  const std::filesystem::path& current_path();

 private:
  std::filesystem::path canonical_folder(const std::filesystem::path& dir);

  std::mutex mu_;
  std::unordered_map<std::string, std::filesystem::path> folders_;  ///< folder -> canonical ("" failed)
  std::unordered_map<std::string, std::filesystem::file_status> status_;
  std::filesystem::path cwd_;
  bool have_cwd_ = false;
};

}  // namespace ddplint::frontend::python

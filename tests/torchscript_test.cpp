// TorchScript archives: generated at test time from testdata/torchscript/models.py with
// the first Python that has torch (make_archives.py), linted through the plugin, and
// compared with the findings on the source itself. Skipped, with the reason, where the
// plugin was not built (no LibTorch) or no Python has torch.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "lint/frontend/torchscript/archive.h"
#include "lint/verify/verify.h"
#include "test_util.h"

using namespace ddplint::test_util;
using nlohmann::json;

namespace {

/// The archives, made once for the suite; empty with `why` set when they cannot be.
struct Archives {
  std::unique_ptr<TempDir> dir;
  std::string why;
  std::string path(const std::string& name) const { return dir->path() + "/" + name; }
};

const Archives& archives() {
  static const Archives a = [] {
    Archives out;
    if (ddplint::torchscript::plugin_path().empty()) {
      out.why = "the TorchScript plugin was not built (LibTorch not found at configure time)";
      return out;
    }
    std::string tried;
    std::string python = ddplint::verify::find_python("", tried);
    if (python.empty()) {
      out.why = "no Python with torch to write the test archives (tried " + tried + ")";
      return out;
    }
    out.dir = std::make_unique<TempDir>();
    auto r = shell(python + " " + testdata("torchscript/make_archives.py") + " " + out.dir->path());
    if (r.rc != 0) out.why = "make_archives.py failed: " + r.out;
    return out;
  }();
  return a;
}

#define REQUIRE_ARCHIVES()                                              \
  if (!archives().why.empty()) {                                        \
    GTEST_SKIP() << archives().why;                                     \
  }

json check_json(const std::string& args) {
  auto r = run("check --format json " + args);
  json j = json::parse(r.out.substr(r.out.find('{')), nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

/// code -> symbols, for the diagnostics in `scope`'s class (all when empty). ModuleList
/// elements (`layers.0`) count as the list: the archive unrolls what the source loops over.
std::set<std::string> findings(const json& report, const std::string& cls = "") {
  std::set<std::string> out;
  for (const auto& d : report["diagnostics"]) {
    std::string scope = d.value("scope", "");
    if (!cls.empty() && scope.rfind(cls + ".", 0) != 0) continue;
    for (const auto& s : d["symbols"]) {
      std::string sym = s.get<std::string>(), norm;
      size_t pos = 0;
      while (pos <= sym.size()) {
        size_t dot = sym.find('.', pos);
        std::string part = sym.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        if (part.empty() || !std::all_of(part.begin(), part.end(), ::isdigit)) norm += (norm.empty() ? "" : ".") + part;
        if (dot == std::string::npos) break;
        pos = dot + 1;
      }
      out.insert(d["code"].get<std::string>() + " " + norm);
    }
  }
  return out;
}

TEST(TorchScript, SeedPatternsAtTheOriginalLines) {
  REQUIRE_ARCHIVES();
  auto r = run("check " + archives().path("rgbd.pt"), source_dir());
  EXPECT_EQ(r.rc, 1) << r.out;
  // The conditional depth branch, at the call in models.py, as for the source.
  EXPECT_NE(r.out.find("testdata/torchscript/models.py:57:31: DDP101 `self.depth_embed.patch_embed`"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("testdata/torchscript/models.py:57:69: DDP101 `self.depth_embed.modality_token`"),
            std::string::npos)
      << r.out;
  // The 1x1 convolution fed channels-last activations, with its real strides.
  EXPECT_NE(r.out.find("DDP303 channels-last activations made here reach `self.proj` (1x1 kernel)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("sizes [16, 16, 1, 1], strides [16, 1, 1, 1], row-major"), std::string::npos) << r.out;
  // Unused modules at their definition in __init__.
  EXPECT_NE(r.out.find("testdata/torchscript/models.py:49:9: DDP102 `self.teacher`"), std::string::npos) << r.out;
}

TEST(TorchScript, SameFindingsAsTheSourceExceptWhereTheArchiveKnowsMore) {
  REQUIRE_ARCHIVES();
  json source = check_json(testdata("torchscript/models.py"));
  for (const auto& [archive, cls] : std::map<std::string, std::string>{
           {"rgbd.pt", "RGBDNet"}, {"all_used.pt", "AllUsed"}, {"layerdrop.pt", "LayerDrop"}}) {
    std::set<std::string> want = findings(source, cls);
    if (archive == "rgbd.pt") {
      // The flag's value is in the archive: use_aux=False makes aux_head never used.
      ASSERT_TRUE(want.erase("DDP103 aux_head")) << archive;
      want.insert("DDP102 aux_head");
      // head's weight was saved channels-last: its gradient and bucket view agree.
      ASSERT_TRUE(want.erase("DDP303 head")) << archive;
    }
    json got = check_json(archives().path(archive));
    EXPECT_EQ(findings(got), want) << archive << "\n" << got.dump(1);
  }
}

TEST(TorchScript, JsonHasTheShapeOfThePythonFrontends) {
  REQUIRE_ARCHIVES();
  json a = check_json(archives().path("rgbd.pt"));
  json p = check_json(testdata("torchscript/models.py"));
  ASSERT_FALSE(a["diagnostics"].empty());
  ASSERT_FALSE(p["diagnostics"].empty());
  std::set<std::string> ka, kp;
  for (const auto& [k, v] : a["diagnostics"][0].items()) ka.insert(k);
  for (const auto& [k, v] : p["diagnostics"][0].items()) kp.insert(k);
  EXPECT_EQ(ka, kp);
}

TEST(TorchScript, ArchivesThatCannotBeAnalysedAreDDP901) {
  REQUIRE_ARCHIVES();
  TempDir dir;
  std::string good = read_file(archives().path("rgbd.pt"));
  dir.write("truncated.pt", good.substr(0, good.size() / 2));
  dir.write("random.pt", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR garbage bytes", 30));
  dir.write("empty.pt", "");
  struct Case {
    std::string path, message;
  };
  for (const auto& c : std::vector<Case>{
           {archives().path("traced.pt"), "a traced archive (torch.jit.trace)"},
           {archives().path("state_dict.pt"), "not a TorchScript archive"},
           {dir.path() + "/truncated.pt", "not a TorchScript archive"},
           {dir.path() + "/random.pt", "not a TorchScript archive"},
           {dir.path() + "/empty.pt", "not a TorchScript archive"},
           {dir.path() + "/missing.pt", "no such file"},
       }) {
    auto r = run("check " + c.path + " " + testdata("clean/resnet.py"));
    EXPECT_EQ(r.rc, 1) << c.path << "\n" << r.out;
    EXPECT_NE(r.out.find("DDP901 " + c.message), std::string::npos) << c.path << "\n" << r.out;
    // The other input is still linted (and clean).
    EXPECT_NE(r.out.find("in 2 files checked"), std::string::npos) << r.out;
  }
}

TEST(TorchScript, CorruptDebugRecordsAreRefusedNotUnpickled) {
  if (ddplint::torchscript::plugin_path().empty()) GTEST_SKIP() << "the TorchScript plugin was not built";
  // Found by fuzz_torchscript: a debug_pkl string length of gigabytes, which LibTorch's
  // unpickler allocates and zero-fills before noticing (~20 s and GBs of memory).
  auto start = std::chrono::steady_clock::now();
  auto r = run("check " + testdata("fuzz-regressions/torchscript/corrupt-debug-pkl.pt"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.rc, 1) << r.out;
  // The zip check now stops it first (its record is marked deflated and does not
  // inflate); with valid checksums the opcode walk over debug records would.
  EXPECT_NE(r.out.find("debug_pkl: corrupt deflate stream"), std::string::npos) << r.out;
  EXPECT_LT(seconds, 10.0);
}

TEST(TorchScript, ImplausibleDebugPicklesAreNotUnpickled) {
  REQUIRE_ARCHIVES();
  // Valid checksums, a debug record claiming a 2 GB string: the opcode walk refuses it.
  auto start = std::chrono::steady_clock::now();
  auto r = run("check " + archives().path("bad_debug.pt"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("debug information (*.debug_pkl) is corrupt"), std::string::npos) << r.out;
  EXPECT_LT(seconds, 10.0);
}

TEST(TorchScript, CorruptRecordsNeverReachLibTorch) {
  if (ddplint::torchscript::plugin_path().empty()) GTEST_SKIP() << "the TorchScript plugin was not built";
  // Found by fuzz_torchscript: a changed byte in a code record made LibTorch's type
  // parser SEGV inside torch::jit::load. The zip's CRCs catch it before.
  auto r = run("check " + testdata("fuzz-regressions/torchscript/corrupt-code-record.pt"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("a corrupt archive (rgbd/data.pkl: CRC mismatch)"), std::string::npos) << r.out;
  // The same parser crash through a record the directory marks as deflated.
  r = run("check " + testdata("fuzz-regressions/torchscript/corrupt-deflated-record.pt"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("___torch_mangle_1.py: CRC mismatch"), std::string::npos) << r.out;
  // And through a zip directory that points past the end of the file.
  r = run("check " + testdata("fuzz-regressions/torchscript/damaged-directory.pt"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("a corrupt archive (its zip directory lies outside the file)"), std::string::npos) << r.out;
  // An end-record signature too close to the end: the real end record is an earlier one.
  r = run("check " + testdata("fuzz-regressions/torchscript/truncated-end-record.pt"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("a corrupt archive"), std::string::npos) << r.out;
}

TEST(TorchScript, ImpossibleAllocationsAreDDP901) {
  if (ddplint::torchscript::plugin_path().empty()) GTEST_SKIP() << "the TorchScript plugin was not built";
  // From fuzz_torchscript: LibTorch asks for 27 GB while reading it; std::bad_alloc is
  // caught like any load error (under ASan, whose operator new aborts instead, it stops
  // the fuzzer: this test is where the input lives).
  auto r = run("check " + testdata("fuzz-regressions/torchscript/huge-allocation.pt"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("DDP901"), std::string::npos) << r.out;
}

TEST(TorchScript, PythonRunsNeverLoadLibTorch) {
  REQUIRE_ARCHIVES();
  // The dynamic loader's trace names every library a process maps.
  auto py = shell("LD_DEBUG=libs " + std::string(DDPLINT_BINARY) + " check " + testdata("torchscript/models.py"));
  EXPECT_EQ(py.out.find("libtorch_cpu"), std::string::npos) << "a .py run loaded LibTorch";
  auto pt = shell("LD_DEBUG=libs " + std::string(DDPLINT_BINARY) + " check " + archives().path("all_used.pt"));
  EXPECT_NE(pt.out.find("libtorch_cpu"), std::string::npos) << "the .pt run did not load the plugin?";
}

TEST(TorchScript, StaleOrMovedSourcesAreSaidSo) {
  REQUIRE_ARCHIVES();
  namespace fs = std::filesystem;
  std::string saved = fs::canonical(testdata("torchscript")).string();
  // The sources moved: --source-root finds them at the new place.
  TempDir moved;
  moved.write("models.py", read_file(testdata("torchscript/models.py")));
  auto r = run("check --source-root " + saved + "=" + moved.path() + " " + archives().path("rgbd.pt"));
  EXPECT_NE(r.out.find(moved.path() + "/models.py:57:31: DDP101"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("stale"), std::string::npos) << r.out;
  // Changed since the archive was saved: the location is in the archived text, and said so.
  std::string text = read_file(testdata("torchscript/models.py"));
  size_t at = text.find("        if n_i > 0:");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "        # a new comment line moves everything below\n");
  moved.write("models.py", text);
  r = run("check --source-root " + saved + "=" + moved.path() + " " + archives().path("rgbd.pt"));
  EXPECT_NE(r.out.find("the archive " + archives().path("rgbd.pt") + " is stale"), std::string::npos) << r.out;
  // Not on disk at all: the archived source stands in, and the note says why.
  TempDir empty;
  r = run("check --source-root " + saved + "=" + empty.path() + " " + archives().path("rgbd.pt"));
  EXPECT_NE(r.out.find("is not on disk"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DDP101 `self.depth_embed.patch_embed`"), std::string::npos) << r.out;
}

}  // namespace

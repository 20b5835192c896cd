// The TorchScript frontend: a scripted archive, loaded with LibTorch, lowered into
// ddplint IR. The only translation unit that includes torch headers.
//
// Every module instance becomes a ClassInfo of its own (qualified "<archive>::<path>")
// whose facts are the live module's: its parameters (trainable when requires_grad, with
// real sizes and strides for convolution weights), buffers, children, and the values of
// its plain attributes, so that configuration flags are known constants and branches on
// them fold. Every method of every instance is lowered node for node as compiled (not
// inlined: calls stay prim::CallMethod, and the analysis interprets them in the caller's
// context, exactly as for Python sources, so findings group by the module called):
// TorchScript's symbols are ddplint's, GetAttr chains stay chains, prim::Loop becomes
// ddplint's iterate-over-range loop, CallFunction gets its callee's name. Each node is
// placed at the source it was compiled from (SourceRange::findSourceRangeThatGenerated);
// GetAttr nodes, which carry no range, at the attribute expression in their consumer's
// text; nodes with neither at their enclosing If/Loop. Traced archives are recognised
// by their "source", a recorded Python stack, found by following forward's calls.
#include <caffe2/serialize/inline_container.h>
#include <zlib.h>
#include <torch/script.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "lint/frontend/torchscript/plugin_api.h"

namespace ddplint::torchscript {
namespace {

namespace fs = std::filesystem;
namespace jit = torch::jit;

std::string error_text(const std::exception& e) {
  if (auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  std::string s = e.what();
  return s.substr(0, s.find("\nException raised from"));
}

/// "__torch__.models.RGBDNet" -> "RGBDNet"; mangled "___torch_mangle_3" parts dropped.
std::string short_type_name(const c10::ClassTypePtr& type) {
  if (!type || !type->name()) return "Module";
  std::string q = type->name()->qualifiedName();
  std::vector<std::string> parts;
  std::stringstream ss(q);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.rfind("___torch_mangle_", 0) == 0 || p == "__torch__") continue;
    parts.push_back(p);
  }
  return parts.empty() ? "Module" : parts.back();
}

struct Location {
  std::string file;
  size_t line = 0, col = 0;              // line 1-based, col 0-based
  std::string text;                      // the range's text (first line) in the archived source
  std::shared_ptr<jit::Source> source;   // the archived source it lies in
};

class Lowering {
 public:
  Lowering(std::string archive, const LoadOptions& options, ir::Program& program, LoadResult& result)
      : archive_(std::move(archive)), options_(options), program_(program), result_(result) {}

  void run() {
    auto t0 = std::chrono::steady_clock::now();
    // LibTorch's loader trusts the archive: a corrupted code record can crash its parser
    // (a SEGV in ScriptTypeParser, found by fuzz_torchscript). The zip's own checksums
    // catch corruption first; tensor data records are not read (their bytes cannot
    // crash a parser, and they are most of the file).
    if (std::string bad = zip_integrity_error(archive_); !bad.empty()) {
      fail("a corrupt archive (" + bad + "); LibTorch is not asked to read it");
      return;
    }
    jit::Module module;
    try {
      module = jit::load(archive_);
    } catch (const std::exception& e) {
      fail(fmt::format("not a TorchScript archive torch::jit::load can read: {}", first_line(error_text(e))));
      return;
    }
    auto t1 = std::chrono::steady_clock::now();
    result_.load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    if (!debug_info_sane()) {
      debug_ok_ = false;
      fail("the archive's debug information (*.debug_pkl) is corrupt: LibTorch would allocate what its lengths "
           "claim; findings below have no source locations");
    }
    if (!module.find_method("forward")) {
      fail("the archive's module has no forward method");
      return;
    }
    try {
      if (is_traced(*module.get_method("forward").graph(), 0)) {
        fail("a traced archive (torch.jit.trace): control flow was fixed at trace time and the archive records "
             "one path, so conditional parameter use cannot be checked; script the model (torch.jit.script) "
             "instead");
        return;
      }
    } catch (const std::exception& e) {
      fail(fmt::format("cannot read forward: {}", first_line(error_text(e))));
      return;
    }
    archive_file_ = add_file(archive_, "");
    build_classes(module, "");
    for (auto& [cls, m] : instances_) {
      // torch.nn's own leaf modules (Conv2d, BatchNorm2d, Linear, ...) use all their
      // parameters when called: the analysis takes a call of a class without methods
      // that way, as it takes torch.nn builtins in Python sources, instead of
      // interpreting torch's implementation branch by branch.
      bool builtin_leaf = false;
      if (auto type = m.type(); type && type->name()) {
        builtin_leaf = type->name()->qualifiedName().rfind("__torch__.torch.nn.modules.", 0) == 0 &&
                       m.named_children().size() == 0;
      }
      if (!builtin_leaf) lower_methods(*cls, m);
    }
    finish_spans();
    result_.lower_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  }

 private:
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  void fail(const std::string& message) {
    Diagnostic d;
    d.code = "DDP901";
    d.path = archive_;
    d.message = message;
    result_.diagnostics.push_back(std::move(d));
  }

  /// The first zip record (other than tensor data) whose CRC-32 does not match its
  /// central directory entry, as "name: CRC mismatch"; "" when all match or the file is
  /// no zip LibTorch could open anyway (it then says why itself).
  static std::string zip_integrity_error(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    in.seekg(0, std::ios::end);
    const uint64_t size = static_cast<uint64_t>(in.tellg());
    auto read = [&](uint64_t at, size_t n, std::string& out) {
      if (at > size || n > size - at) return false;
      out.resize(n);
      in.seekg(static_cast<std::streamoff>(at));
      return static_cast<bool>(in.read(out.data(), static_cast<std::streamsize>(n)));
    };
    auto u16 = [](const std::string& b, size_t at) {
      return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) | static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 8;
    };
    auto u32 = [&](const std::string& b, size_t at) { return u16(b, at) | u16(b, at + 2) << 16; };
    auto u64 = [&](const std::string& b, size_t at) { return u32(b, at) | static_cast<uint64_t>(u32(b, at + 4)) << 32; };
    std::string tail;
    uint64_t tail_at = size > 65557 ? size - 65557 : 0;
    if (!read(tail_at, static_cast<size_t>(size - tail_at), tail)) return "";
    // The last end record with room for its 22 bytes, as miniz looks for it.
    size_t eocd = tail.rfind(std::string("PK\x05\x06", 4));
    while (eocd != std::string::npos && eocd + 22 > tail.size()) {
      eocd = eocd == 0 ? std::string::npos : tail.rfind(std::string("PK\x05\x06", 4), eocd - 1);
    }
    if (eocd == std::string::npos) return "";
    uint64_t entries = u16(tail, eocd + 10), cd_size = u32(tail, eocd + 12), cd_offset = u32(tail, eocd + 16);
    if (cd_offset == 0xFFFFFFFFu || cd_size == 0xFFFFFFFFu) {  // zip64: the locator sits just before
      if (eocd < 20 || tail.compare(eocd - 20, 4, std::string("PK\x06\x07", 4)) != 0) return "";
      std::string z;
      if (!read(u64(tail, eocd - 20 + 8), 56, z) || z.compare(0, 4, std::string("PK\x06\x06", 4)) != 0) return "";
      entries = u64(z, 32);
      cd_size = u64(z, 40);
      cd_offset = u64(z, 48);
    }
    // From here on the file claims to be a zip: a directory that cannot be walked is a
    // damaged archive, not something to hand to LibTorch.
    std::string cd;
    if (cd_size > (64u << 20) || !read(cd_offset, static_cast<size_t>(cd_size), cd)) {
      return "its zip directory lies outside the file";
    }
    uint64_t seen = 0;
    for (size_t at = 0; at + 46 <= cd.size() && cd.compare(at, 4, std::string("PK\x01\x02", 4)) == 0; ++seen) {
      uint32_t method = u16(cd, at + 10), crc = u32(cd, at + 16);
      uint64_t comp = u32(cd, at + 20), plain = u32(cd, at + 24), local = u32(cd, at + 42);
      size_t name_len = u16(cd, at + 28), extra_len = u16(cd, at + 30), comment_len = u16(cd, at + 32);
      if (at + 46 + name_len > cd.size()) return "the central directory is truncated";
      std::string name = cd.substr(at + 46, name_len);
      at += 46 + name_len + extra_len + comment_len;
      bool data = name.find("/data/") != std::string::npos;
      if (data || comp == 0xFFFFFFFFu || local == 0xFFFFFFFFu || comp > (64u << 20) || plain > (64u << 20)) continue;
      if (method != 0 && method != 8) return name + ": compressed with method " + std::to_string(method);
      std::string header, body;
      if (!read(local, 30, header) || header.compare(0, 4, std::string("PK\x03\x04", 4)) != 0) {
        return name + ": no local header where the directory says";
      }
      if (!read(local + 30 + u16(header, 26) + u16(header, 28), static_cast<size_t>(comp), body)) {
        return name + ": truncated";
      }
      if (method == 8) {  // deflated (torch writes records stored, other zip tools may not)
        std::string out(static_cast<size_t>(plain), '\0');
        z_stream z{};
        if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return name + ": cannot inflate";
        z.next_in = reinterpret_cast<Bytef*>(body.data());
        z.avail_in = static_cast<uInt>(body.size());
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        int rc = inflate(&z, Z_FINISH);
        bool whole = rc == Z_STREAM_END && z.total_out == plain;
        inflateEnd(&z);
        if (!whole) return name + ": corrupt deflate stream";
        body = std::move(out);
      }
      uLong got = crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
      if (got != crc) return name + ": CRC mismatch";
    }
    if (seen != entries) return "its zip directory lists " + std::to_string(seen) + " of " + std::to_string(entries) + " records";
    return "";
  }

  /// LibTorch unpickles debug records lazily and trusts their length fields (a corrupt
  /// one makes it allocate and zero gigabytes). Every *.debug_pkl is walked first, opcode
  /// by opcode, checking that each length fits in the record; an opcode outside what
  /// torch's pickler writes counts as corrupt too.
  bool debug_info_sane() {
    try {
      caffe2::serialize::PyTorchStreamReader reader(archive_);
      for (const std::string& name : reader.getAllRecords()) {
        if (name.size() < 10 || name.compare(name.size() - 10, 10, ".debug_pkl") != 0) continue;
        auto [data, size] = reader.getRecord(name);
        if (!pickle_sane(static_cast<const uint8_t*>(data.get()), size)) return false;
      }
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  static bool pickle_sane(const uint8_t* p, size_t n) {
    size_t i = 0;
    auto take = [&](size_t k) { return i + k <= n ? (i += k, true) : false; };
    auto u32 = [&](size_t at) {
      return static_cast<size_t>(p[at]) | static_cast<size_t>(p[at + 1]) << 8 | static_cast<size_t>(p[at + 2]) << 16 |
             static_cast<size_t>(p[at + 3]) << 24;
    };
    while (i < n) {
      uint8_t op = p[i++];
      switch (op) {
        case 0x80: if (!take(1)) return false; break;                       // PROTO
        case '(': case ')': case ']': case '}': case 't': case 'l': case 'a': case 'e': case 'u': case 's':
        case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 'N': case 'R': case 'b': case 'Q': case '0':
          break;                                                              // no argument
        case '.': return true;                                                // STOP
        case 'K': case 'q': case 'h': if (!take(1)) return false; break;    // BININT1, BINPUT, BINGET
        case 'M': if (!take(2)) return false; break;                         // BININT2
        case 'J': case 'r': case 'j': if (!take(4)) return false; break;    // BININT, LONG_BINPUT/GET
        case 'G': if (!take(8)) return false; break;                         // BINFLOAT
        case 0x8a: {                                                          // LONG1
          if (!take(1)) return false;
          if (!take(p[i - 1])) return false;
          break;
        }
        case 'X': case 'B': {                                                 // BINUNICODE, BINBYTES
          if (!take(4)) return false;
          if (!take(u32(i - 4))) return false;
          break;
        }
        case 0x8c: case 'C': {                                                // SHORT_BINUNICODE/BYTES
          if (!take(1)) return false;
          if (!take(p[i - 1])) return false;
          break;
        }
        case 'c': {                                                           // GLOBAL: two lines
          for (int line = 0; line < 2; ++line) {
            while (i < n && p[i] != '\n') ++i;
            if (!take(1)) return false;
          }
          break;
        }
        default:
          return false;
      }
    }
    return false;  // no STOP
  }

  // ---- classes ------------------------------------------------------------

  std::string class_key(const std::string& path) const { return archive_ + "::" + path; }

  void build_classes(const jit::Module& m, const std::string& path) {
    auto cls = std::make_unique<ir::ClassInfo>();
    cls->qualified_name = class_key(path);
    cls->name = short_type_name(m.type());
    cls->file = archive_file_;
    cls->analyse_as_root = path.empty();
    std::set<std::string> seen = {"training"};
    for (const auto& p : m.named_parameters(/*recurse=*/false)) {
      ir::AttrFact a;
      a.name = p.name;
      a.kind = ir::AttrFact::Kind::Parameter;
      a.trainable = p.value.requires_grad();
      if (p.name == "weight") describe_layout(m, p.value, a);
      cls->attrs.push_back(a);
      seen.insert(p.name);
    }
    for (const auto& b : m.named_buffers(/*recurse=*/false)) {
      ir::AttrFact a;
      a.name = b.name;
      a.kind = ir::AttrFact::Kind::Buffer;
      cls->attrs.push_back(a);
      seen.insert(b.name);
    }
    std::vector<std::pair<std::string, jit::Module>> children;
    for (const auto& c : m.named_children()) {
      ir::AttrFact a;
      a.name = c.name;
      a.kind = ir::AttrFact::Kind::Submodule;
      a.module.kind = ir::ModuleExpr::Kind::Class;
      a.module.class_name = class_key(path.empty() ? c.name : path + "." + c.name);
      cls->attrs.push_back(a);
      seen.insert(c.name);
      children.emplace_back(c.name, c.value);
    }
    // Plain attributes: the values the archive was saved with (configuration resolved).
    for (const auto& attr : m.named_attributes(/*recurse=*/false)) {
      if (seen.count(attr.name)) continue;
      ir::AttrFact a;
      a.name = attr.name;
      a.kind = ir::AttrFact::Kind::Plain;
      const c10::IValue& v = attr.value;
      a.constant_value_known = true;
      if (v.isBool()) {
        a.constant = v.toBool();
      } else if (v.isInt()) {
        a.constant = v.toInt();
      } else if (v.isDouble()) {
        a.constant = v.toDouble();
      } else if (v.isString()) {
        a.constant = v.toStringRef();
      } else if (v.isNone()) {
        a.constant = ir::NoneConst{};
      } else {
        a.constant_value_known = false;
      }
      cls->attrs.push_back(a);
    }
    program_.classes.push_back(std::move(cls));
    if (path.empty()) root_ = program_.classes.back().get();
    instances_.emplace_back(program_.classes.back().get(), m);
    for (const auto& [name, child] : children) build_classes(child, path.empty() ? name : path + "." + name);
  }

  /// A convolution weight with size-1 dims (1x1 kernel: [O, I, 1, 1]; depthwise:
  /// [C, 1, k, k]) is both contiguous and channels-last by PyTorch's tests, which skip
  /// size-1 dims; its exact strides are what DDP's bucket view copies, so they decide:
  /// row-major strides meet channels-last gradients from cuDNN with a mismatch.
  static void describe_layout(const jit::Module& m, const at::Tensor& w, ir::AttrFact& a) {
    std::string type = short_type_name(m.type());
    if (type.rfind("Conv", 0) != 0 || type.find("Transpose") != std::string::npos) return;
    if (w.dim() < 3 || w.dim() > 5) return;
    auto sizes = w.sizes();
    bool one_by_one = true;
    for (int64_t d = 2; d < w.dim(); ++d) one_by_one = one_by_one && sizes[d] == 1;
    std::string kind = one_by_one ? "1x1 kernel" : sizes[1] == 1 ? "depthwise" : "";
    if (kind.empty()) return;
    std::vector<int64_t> row_major(static_cast<size_t>(w.dim()));
    int64_t stride = 1;
    for (int64_t d = w.dim() - 1; d >= 0; --d) {
      row_major[static_cast<size_t>(d)] = stride;
      stride *= std::max<int64_t>(sizes[d], 1);
    }
    auto list = [](c10::IntArrayRef xs) {
      std::string out = "[";
      for (size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + std::to_string(xs[i]);
      return out + "]";
    };
    bool exact_row_major = std::equal(row_major.begin(), row_major.end(), w.strides().begin());
    if (!exact_row_major) return;  // channels-last strides: its gradient and bucket view agree
    a.size1_kernel = kind;
    a.layout_detail = fmt::format("in the archive: sizes {}, strides {}, row-major — channels-last-compatible too, "
                                  "since size-1 dims are skipped",
                                  list(sizes), list(w.strides()));
  }

  // ---- sources ------------------------------------------------------------

  std::string remap(const std::string& file) const {
    for (const auto& [from, to] : options_.source_roots) {
      if (file.rfind(from, 0) == 0) return to + file.substr(from.size());
    }
    return file;
  }

  int add_file(const std::string& path, const std::string& text) {
    ir::SourceFile f;
    // As the Python frontend names files: relative to the working directory when under it.
    std::error_code ec;
    fs::path rel = fs::path(path).lexically_relative(fs::current_path(ec));
    f.path = !ec && !rel.empty() && *rel.begin() != ".." && fs::path(path).is_absolute() ? rel.string() : path;
    f.module_name = path;
    f.set_text(text);
    program_.files.push_back(std::move(f));
    return static_cast<int>(program_.files.size()) - 1;
  }

  /// The file a location's source is read from: the file on disk when its text at
  /// the location is the archived text; else the archived source, marked stale.
  int file_for(const Location& loc) {
    std::string path = remap(loc.file);
    auto it = files_.find(path);
    if (it == files_.end()) {
      std::ifstream in(path, std::ios::binary);
      int index = -1;
      if (in) {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        index = add_file(path, text);
      }
      it = files_.emplace(path, index).first;
    }
    int index = it->second;
    if (index >= 0 && matches(program_.files[static_cast<size_t>(index)], loc)) return index;
    // Not on disk, or changed since the archive was saved: the archived text, at its lines.
    // One archived copy per archived source (sources are shared between nodes).
    std::string key = path + "\n" + std::to_string(reinterpret_cast<uintptr_t>(loc.source.get()));
    auto a = archived_.find(key);
    if (a != archived_.end()) return a->second;
    size_t first_line = loc.source->starting_line_no();
    std::string text(first_line > 0 ? first_line - 1 : 0, '\n');
    text += loc.source->text_str().str();
    int archived = add_file(path, text);
    program_.files[static_cast<size_t>(archived)].stale_note =
        index >= 0 ? fmt::format("the archive {} is stale: {} changed since it was saved; this location is in the "
                                 "archived source",
                                 archive_, path)
                   : fmt::format("{} is not on disk (saved elsewhere? see --source-root); this location is in the "
                                 "source archived in {}",
                                 path, archive_);
    archived_.emplace(key, archived);
    return archived;
  }

  static bool matches(const ir::SourceFile& f, const Location& loc) {
    if (loc.line == 0 || loc.line > f.line_starts.size()) return false;
    size_t begin = f.line_starts[loc.line - 1] + loc.col;
    return begin + loc.text.size() <= f.text.size() && f.text.compare(begin, loc.text.size(), loc.text) == 0;
  }

  static std::optional<Location> location_of(const jit::SourceRange& range) {
    auto orig = range.findSourceRangeThatGenerated();
    if (!orig || !orig->source()) return std::nullopt;
    auto flc = orig->file_line_col();
    if (!flc) return std::nullopt;
    Location loc;
    loc.file = std::get<0>(*flc);
    loc.line = std::get<1>(*flc);
    loc.col = std::get<2>(*flc);
    if (loc.file.empty() || loc.line == 0) return std::nullopt;
    loc.text = orig->text().str();
    loc.text = loc.text.substr(0, loc.text.find('\n'));
    loc.source = orig->source();
    return loc;
  }

  /// Where a node was compiled from. Memoized by node: instances of one module type
  /// share its graphs, and the lookup unpickles debug information.
  std::optional<Location> user_location(const jit::Node* n) {
    auto it = locations_.find(n);
    if (it != locations_.end()) return it->second;
    return locations_[n] = find_location(n);
  }

  std::optional<Location> find_location(const jit::Node* n) {
    if (!debug_ok_) return std::nullopt;
    try {
      return location_of(n->sourceRange());
    } catch (const std::exception&) {  // debug info is unpickled lazily: corrupt here, not at load
      return std::nullopt;
    }
  }

  std::optional<Location> attribute_location(const jit::Node& n) {
    const std::string name = n.s(c10::attr::name);
    // Follow GetAttr chains down to a consumer with a range.
    const jit::Node* at = &n;
    for (int depth = 0; depth < 16; ++depth) {
      const jit::Node* user = nullptr;
      for (const jit::Use& u : at->output()->uses()) {
        user = u.user;
        break;
      }
      if (!user) return std::nullopt;
      if (user->kind() == c10::prim::GetAttr) {
        at = user;
        continue;
      }
      auto l = user_location(user);
      if (!l) return std::nullopt;
      size_t pos = 0;
      while ((pos = l->text.find(name, pos)) != std::string::npos) {
        auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        size_t end = pos + name.size();
        bool whole = (pos == 0 || !word(l->text[pos - 1]) || l->text[pos - 1] == '.') &&
                     (end == l->text.size() || !word(l->text[end]));
        if (whole && pos > 0 && l->text[pos - 1] == '.') {
          size_t start = pos;
          while (start > 0 && (word(l->text[start - 1]) || l->text[start - 1] == '.')) --start;
          // The whole dotted expression up to this attribute, and the rest of the chain.
          size_t stop = end;
          while (stop < l->text.size() && (word(l->text[stop]) || l->text[stop] == '.')) ++stop;
          Location out = *l;
          out.col = l->col + start;
          out.text = l->text.substr(start, stop - start);
          return out;
        }
        pos = end;
      }
      return std::nullopt;
    }
    return std::nullopt;
  }

  ir::Span span_of(const Location& loc) {
    ir::Span s;
    s.file = file_for(loc);
    const ir::SourceFile& f = program_.files[static_cast<size_t>(s.file)];
    if (loc.line > f.line_starts.size()) return {};
    s.begin = f.line_starts[loc.line - 1] + static_cast<uint32_t>(loc.col);
    s.end = std::min<uint32_t>(static_cast<uint32_t>(f.text.size()), s.begin + static_cast<uint32_t>(loc.text.size()));
    s.line = s.end_line = static_cast<uint32_t>(loc.line);
    s.col = static_cast<uint32_t>(loc.col) + 1;
    s.end_col = s.col + (s.end - s.begin);
    return s;
  }

  // ---- graphs -------------------------------------------------------------

  /// A traced archive's "source" is the Python stack at trace time, not code. The first
  /// node with a source decides; calls are followed into their callees (a traced
  /// forward may only call submodules, whose nodes carry the text).
  bool is_traced(const jit::Graph& g, int depth) {
    if (!debug_ok_) return false;
    return traced(g, depth);
  }

  static bool traced(const jit::Graph& g, int depth) {
    static const std::regex frame(R"(^[^\n]+\(\d+\): [\w<>]+\n)");
    for (const jit::Node* n : g.nodes()) {
      try {
        if (n->kind() == c10::prim::CallMethod && depth < 8) {
          if (auto cls = n->inputs()[0]->type()->cast<c10::ClassType>()) {
            if (auto* fn = cls->findMethod(n->s(c10::attr::name))) {
              if (auto* gf = dynamic_cast<jit::GraphFunction*>(fn)) return traced(*gf->graph(), depth + 1);
            }
          }
          continue;
        }
        auto orig = n->sourceRange().findSourceRangeThatGenerated();
        if (!orig || !orig->source()) continue;
        std::string text = orig->source()->text_str().str().substr(0, 400);
        return std::regex_search(text, frame);
      } catch (const std::exception&) {
        continue;
      }
    }
    return false;
  }

  /// Every method of a module instance, each graph as compiled (calls stay calls: the
  /// analysis interprets them in the caller's context, as for Python sources).
  void lower_methods(ir::ClassInfo& cls, const jit::Module& module) {
    for (const jit::Method& m : module.get_methods()) {
      std::shared_ptr<jit::Graph> g = m.graph();
      auto method = std::make_unique<ir::Method>();
      method->name = m.name();
      method->graph = std::make_unique<ir::Graph>();
      const auto& schema = m.function().getSchema();
      ir::Block* top = method->graph->block();
      values_.clear();
      functions_.clear();
      for (size_t i = 0; i < g->inputs().size(); ++i) {
        std::string name = i < schema.arguments().size() ? schema.arguments()[i].name() : g->inputs()[i]->debugName();
        if (i == 0) name = "self";
        values_[g->inputs()[i]] = top->add_param(name);
        method->param_names.push_back(name);
        const auto& args = schema.arguments();
        std::optional<ir::Constant> def;
        if (i < args.size() && args[i].default_value()) def = constant_of(*args[i].default_value());
        method->param_defaults.push_back(def);
      }
      lower_block(*g->block(), *top, {});
      for (const jit::Value* r : g->outputs()) top->add_return(value(r, *top, {}));
      for (const jit::Node* n : g->nodes()) {
        if (auto l = user_location(n)) {
          method->span = span_of(*l);
          if (method->span.valid()) break;
        }
      }
      cls.methods.push_back(std::move(method));
    }
  }

  /// Class and attribute spans: the class's forward (what findings about a whole
  /// module point at when nothing better exists).
  void finish_spans() {
    for (auto& [cls, m] : instances_) {
      if (const ir::Method* f = cls->method("forward")) cls->span = f->span;
      if (!cls->span.valid()) cls->span = root_->span;
    }
    for (auto& [cls, m] : instances_) {
      for (auto& a : cls->attrs) {
        a.def_span = cls->span;
        if (auto sp = assignment_span(*cls, a.name)) a.def_span = *sp;
      }
    }
  }

  /// `self.name = ...` (or `self.name: T = ...`) inside the class's definition in its
  /// source file: where __init__ builds the attribute (ddplint reports unused modules
  /// there, as for Python sources). __init__ is not compiled into the archive, so the
  /// text is searched.
  std::optional<ir::Span> assignment_span(const ir::ClassInfo& cls, const std::string& name) {
    if (!cls.span.valid()) return std::nullopt;
    auto key = std::make_tuple(cls.span.file, cls.name, name);
    auto hit = assignments_.find(key);
    if (hit != assignments_.end()) return hit->second;
    return assignments_[key] = find_assignment(cls, name);
  }

  std::optional<ir::Span> find_assignment(const ir::ClassInfo& cls, const std::string& name) const {
    const ir::SourceFile& f = program_.files[static_cast<size_t>(cls.span.file)];
    const std::string& text = f.text;
    size_t header = std::string::npos;
    for (const char* tail : {"(", ":"}) {
      std::string h = "class " + cls.name + tail;
      size_t at = text.rfind(h, cls.span.begin);
      if (at != std::string::npos && (header == std::string::npos || at > header)) header = at;
    }
    if (header == std::string::npos) return std::nullopt;
    size_t stop = text.find("\nclass ", header + 1);
    if (stop == std::string::npos) stop = text.size();
    std::string_view body(text.data(), stop);  // searches end at the class's end
    std::string needle = "self." + name;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (size_t pos = body.find(needle, header); pos != std::string_view::npos;
         pos = body.find(needle, pos + needle.size())) {
      size_t end = pos + needle.size();
      if (end < text.size() && word(text[end])) continue;
      size_t k = end;
      while (k < text.size() && text[k] == ' ') ++k;
      bool assign = k < text.size() && ((text[k] == '=' && (k + 1 >= text.size() || text[k + 1] != '=')) || text[k] == ':');
      if (!assign) continue;
      size_t line_start = text.rfind('\n', pos);
      line_start = line_start == std::string::npos ? 0 : line_start + 1;
      size_t stmt = line_start;
      while (stmt < pos && (text[stmt] == ' ' || text[stmt] == '\t')) ++stmt;
      size_t line_end = text.find('\n', pos);
      if (line_end == std::string::npos) line_end = text.size();
      ir::Span sp;
      sp.file = cls.span.file;
      sp.begin = static_cast<uint32_t>(stmt);
      sp.end = static_cast<uint32_t>(line_end);
      auto [line, col] = f.position(sp.begin);
      sp.line = sp.end_line = line;
      sp.col = col;
      sp.end_col = col + (sp.end - sp.begin);
      return sp;
    }
    return std::nullopt;
  }

  static std::optional<ir::Constant> constant_of(const c10::IValue& iv) {
    if (iv.isBool()) return iv.toBool();
    if (iv.isInt()) return iv.toInt();
    if (iv.isDouble()) return iv.toDouble();
    if (iv.isString()) return iv.toStringRef();
    if (iv.isNone()) return ir::NoneConst{};
    return std::nullopt;
  }

  ir::Value* value(const jit::Value* v, ir::Block& block, const ir::Span& span) {
    auto it = values_.find(v);
    if (it != values_.end()) return it->second;
    // A value defined outside what was lowered (should not happen): an opaque stand-in.
    ir::Node* n = block.append(ir::kind::Opaque, span);
    ir::Value* out = n->add_output();
    values_[v] = out;
    return out;
  }

  void lower_block(const jit::Block& from, ir::Block& to, const ir::Span& outer) {
    for (const jit::Node* n : from.nodes()) lower_node(*n, to, outer);
  }

  ir::Span node_span(const jit::Node& n, const ir::Span& outer) {
    if (auto l = user_location(&n)) {
      ir::Span s = span_of(*l);
      if (s.valid()) return s;
    }
    return outer;
  }

  void lower_node(const jit::Node& n, ir::Block& block, const ir::Span& outer) {
    ir::Span span = node_span(n, outer);
    std::string kind = n.kind().toQualString();
    auto inputs = [&](ir::Node* out, size_t from = 0) {
      for (size_t i = from; i < n.inputs().size(); ++i) out->add_input(value(n.inputs()[i], block, span));
    };
    auto outputs = [&](ir::Node* out) {
      for (const jit::Value* o : n.outputs()) values_[o] = out->add_output();
    };
    auto text = [&](ir::Node* out) {
      if (auto l = user_location(&n)) out->text = l->text;
    };
    if (n.kind() == c10::prim::Constant) {
      if (auto fn = n.output()->type()->cast<c10::FunctionType>()) {  // the callee of a CallFunction
        std::string q = fn->function()->qualname().qualifiedName();
        functions_[n.output()] = q.rfind("__torch__.", 0) == 0 ? q.substr(10) : q;
        return;
      }
      std::optional<ir::Constant> c;
      if (auto iv = jit::toIValue(n.output())) c = constant_of(*iv);
      // A tensor, list or device constant is opaque to the analysis.
      ir::Node* out = block.append(c ? ir::kind::Constant : ir::kind::Opaque, span);
      out->value = c;
      outputs(out);
      return;
    }
    if (n.kind() == c10::prim::CallFunction) {
      ir::Node* out = block.append(ir::kind::CallFunction, span);
      auto f = functions_.find(n.inputs()[0]);
      out->name = f != functions_.end() ? f->second : "";
      inputs(out, 1);
      text(out);
      outputs(out);
      return;
    }
    if (n.kind() == c10::prim::If) {
      ir::Node* out = block.append(ir::kind::If, span);
      inputs(out);
      text(out);
      for (size_t b = 0; b < 2 && b < n.blocks().size(); ++b) {
        ir::Block* nb = out->add_block();
        lower_block(*n.blocks()[b], *nb, span);
        for (const jit::Value* r : n.blocks()[b]->outputs()) nb->add_return(value(r, *nb, span));
      }
      outputs(out);
      return;
    }
    if (n.kind() == c10::prim::Loop) {
      // TorchScript: Loop(max_trips, cond, carried...) { (i, carried...) -> (cond, carried...) }.
      // ddplint: Loop(Iterate(range(max_trips)), carried...) { (elem, carried...) -> (carried...) }.
      ir::Node* range = block.append(ir::kind::CallFunction, span);
      range->name = "builtins.range";
      range->add_input(value(n.inputs()[0], block, span));
      ir::Value* r = range->add_output();
      ir::Node* iter = block.append(ir::kind::Iterate, span);
      iter->add_input(r);
      ir::Value* it = iter->add_output();
      ir::Node* loop = block.append(ir::kind::Loop, span);
      loop->name = "for";
      loop->add_input(it);
      for (size_t i = 2; i < n.inputs().size(); ++i) loop->add_input(value(n.inputs()[i], block, span));
      text(loop);
      ir::Block* body = loop->add_block();
      const jit::Block* from = n.blocks()[0];
      for (const jit::Value* p : from->inputs()) values_[p] = body->add_param(p->debugName());
      lower_block(*from, *body, span);
      for (size_t i = 1; i < from->outputs().size(); ++i) body->add_return(value(from->outputs()[i], *body, span));
      outputs(loop);
      return;
    }
    if (n.kind() == c10::prim::GetAttr) {
      // GetAttr nodes carry no source range: the attribute expression is found in the
      // text of the first consumer that has one (`self.depth_embed.modality_token`).
      if (auto l = attribute_location(n)) {
        ir::Span s2 = span_of(*l);
        if (s2.valid()) span = s2;
      }
    }
    ir::Node* out = block.append(kind, span);
    if (n.hasAttribute(c10::attr::name) && n.kindOf(c10::attr::name) == jit::AttributeKind::s) {
      out->name = n.s(c10::attr::name);
    }
    if (n.kind() == c10::aten::contiguous || n.kind() == c10::aten::to) {
      // memory_format as the Python frontend spells it: a keyword naming torch.<format>.
      const c10::FunctionSchema* schema = n.maybeSchema();
      for (size_t i = 0; i < n.inputs().size(); ++i) {
        const jit::Value* in = n.inputs()[i];
        bool fmt_arg = schema && i < schema->arguments().size() && schema->arguments()[i].name() == "memory_format";
        auto iv = fmt_arg ? jit::toIValue(in) : c10::nullopt;
        if (iv && iv->isInt()) {
          static const char* names[] = {"torch.contiguous_format", "torch.preserve_format", "torch.channels_last",
                                        "torch.channels_last_3d"};
          int64_t f = iv->toInt();
          ir::Node* c = block.insert_before(out, ir::kind::Opaque, span);
          c->name = f >= 0 && f < 4 ? names[f] : "torch.memory_format";
          out->add_input(c->add_output(), "memory_format");
        } else {
          out->add_input(value(in, block, span));
        }
      }
      text(out);
      outputs(out);
      return;
    }
    inputs(out);
    text(out);
    for (size_t b = 0; b < n.blocks().size(); ++b) {  // other nodes with blocks: lowered, not modelled
      ir::Block* nb = out->add_block();
      lower_block(*n.blocks()[b], *nb, span);
    }
    outputs(out);
  }

  std::string archive_;
  const LoadOptions& options_;
  ir::Program& program_;
  LoadResult& result_;
  int archive_file_ = -1;
  ir::ClassInfo* root_ = nullptr;
  std::vector<std::pair<ir::ClassInfo*, jit::Module>> instances_;
  std::unordered_map<const jit::Value*, std::string> functions_;  // function constants -> qualified name
  std::map<std::string, int> files_;     // path -> file index (-1: not on disk)
  std::map<std::string, int> archived_;  // archived sources used instead
  std::unordered_map<const jit::Value*, ir::Value*> values_;
  std::unordered_map<const jit::Node*, std::optional<Location>> locations_;
  std::map<std::tuple<int, std::string, std::string>, std::optional<ir::Span>> assignments_;
  bool debug_ok_ = true;
};

}  // namespace
}  // namespace ddplint::torchscript

extern "C" __attribute__((visibility("default"))) int ddplint_torchscript_abi() {
  return ddplint::torchscript::kPluginAbi;
}

extern "C" __attribute__((visibility("default"))) void ddplint_torchscript_load(
    const char* path, const ddplint::torchscript::LoadOptions* options, ddplint::ir::Program* program,
    ddplint::torchscript::LoadResult* result) {
  try {
    ddplint::torchscript::Lowering(path, *options, *program, *result).run();
  } catch (const std::exception& e) {
    ddplint::Diagnostic d;
    d.code = "DDP901";
    d.path = path;
    d.message = std::string("internal error while reading the archive: ") + e.what();
    result->diagnostics.push_back(std::move(d));
  }
}

// The module model: the tree of submodules and parameters a class builds, as far
// as the source says, with trainability.
//
//   RGBDSegmenter
//     rgb_embed: PatchEmbed { proj: torch.nn.Conv2d {weight, bias}, norm: ... }
//     blocks: torch.nn.ModuleList { *: Block {...} }      // "*": every element
//
// Paths are dotted as in `named_parameters()`, with "*" standing for every element
// of a homogeneous container ("blocks.*.mlp.0.weight").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lint/ir/ir.h"

namespace ddplint::passes {

struct ParamInfo {
  std::string name;  ///< "weight"
  std::string path;  ///< "rgb_embed.proj.weight"
  bool trainable = true;
  bool known = true;  ///< false: a stand-in for the unseen parameters of an opaque module
  bool optional = false;  ///< may be None (`nn.Parameter(...) if bias else None`)
  /// For convolution weights with size-1 dims: "1x1 kernel" or "depthwise"; "" otherwise.
  std::string size1_kernel;
  std::string layout_detail;  ///< real sizes and strides, when a TorchScript archive says
  ir::Span def_span;
};

struct ModuleNode {
  enum class Kind { Class, Leaf, Container, Opaque };
  Kind kind = Kind::Opaque;
  std::string name;        ///< last path segment ("" for the root)
  std::string path;        ///< dotted path from the root
  std::string class_name;  ///< "torch.nn.Linear", "pkg.blocks.GatedFusion", "torch.nn.ModuleList"
  const ir::ClassInfo* cls = nullptr;  ///< for project classes
  std::string container_kind;          ///< "torch.nn.Sequential", ... for containers
  const ModuleNode* parent = nullptr;
  bool optional = false;   ///< may be None
  std::vector<std::string> built_when;  ///< conditions under which the parent's __init__ builds it
  std::string why_opaque;
  ir::Span def_span;       ///< the assignment that builds it
  std::vector<std::unique_ptr<ModuleNode>> children;
  std::vector<ParamInfo> params;  ///< direct parameters

  const ModuleNode* child(const std::string& n) const;
  const ParamInfo* param(const std::string& n) const;
  /// Every parameter at or below this node.
  void collect_params(std::vector<const ParamInfo*>& out) const;
  size_t trainable_count() const;
};

class ModuleTree {
 public:
  /// Builds the tree of `root`; bounded in depth and size (recursive or huge
  /// models end in opaque nodes).
  static std::unique_ptr<ModuleTree> build(const ir::Program& program, const ir::ClassInfo& root);

  const ModuleNode& root() const { return *root_; }
  const ModuleNode* find(const std::string& path) const;
  /// All parameters, trainable or not, in tree order.
  const std::vector<const ParamInfo*>& params() const { return params_; }

 private:
  std::unique_ptr<ModuleNode> root_;
  std::vector<const ParamInfo*> params_;
};

/// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(const std::string& a, const std::string& b);
/// True when `path` equals `prefix` or lies below it ("a.b.c" under "a.b").
bool path_under(const std::string& path, const std::string& prefix);

}  // namespace ddplint::passes

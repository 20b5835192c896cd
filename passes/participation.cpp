#include "passes/participation.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

namespace ddplint::passes {
namespace {

namespace kind = ir::kind;
using ir::Block;
using ir::Node;
using ir::Value;

/// How one parameter reaches a value, inside the interpreter: Dep with its strings
/// held by pointer (module and parameter paths live in the tree, scopes in a pool).
/// A guard held by a shared pointer, none for "always" (most dependencies): small
/// to copy, as dependency entries are copied on every merge.
class SharedGuard {
 public:
  SharedGuard() = default;
  SharedGuard(const Guard& g) {  // NOLINT: implicit, stands for a Guard
    if (!g.always()) g_ = std::make_shared<const Guard>(g);
  }
  SharedGuard(Guard&& g) {  // NOLINT
    if (!g.always()) g_ = std::make_shared<const Guard>(std::move(g));
  }
  operator const Guard&() const { return get(); }  // NOLINT
  const Guard& get() const {
    static const Guard always;
    return g_ ? *g_ : always;
  }
  bool always() const { return !g_; }
  bool is_never() const { return g_ && g_->is_never(); }

 private:
  std::shared_ptr<const Guard> g_;
};

struct IDep {
  SharedGuard guard;
  const ir::Span* use = nullptr;  ///< a node's span, in the program
  const std::string* via = nullptr;
  const std::string* scope = nullptr;
};

/// Parameter (by id: ids follow the lexicographic order of the paths) -> how it
/// reaches a value, in path order. Values are copied far more often than changed
/// (every SSA value, argument and return holds one), so copies share one sorted
/// vector and a change first takes a private copy (copy on write).
class Deps {
 public:
  using Entry = std::pair<uint32_t, IDep>;
  using Vec = std::vector<Entry>;
  using iterator = Vec::iterator;
  using const_iterator = Vec::const_iterator;

  const_iterator begin() const { return vec().begin(); }
  const_iterator end() const { return vec().end(); }
  const_iterator find(uint32_t p) const {
    const Vec& v = vec();
    auto it = lower(v, p);
    return it != v.end() && it->first == p ? it : v.end();
  }
  size_t count(uint32_t p) const { return find(p) != end() ? 1 : 0; }
  size_t size() const { return vec().size(); }
  bool empty() const { return !m_ || m_->empty(); }

  // Changes: the vector is made private first (reads never copy it).
  /// The entries, to change them in place.
  Vec& entries() { return m_ ? own() : empty_vec(); }
  iterator find_mut(uint32_t p) {
    if (!m_) return empty_vec().end();
    Vec& v = own();
    auto it = lower(v, p);
    return it != v.end() && it->first == p ? it : v.end();
  }
  IDep& operator[](uint32_t p) { return emplace(p, IDep{}).first->second; }
  std::pair<iterator, bool> emplace(uint32_t p, const IDep& d) {
    Vec& v = own();
    auto it = lower(v, p);
    if (it != v.end() && it->first == p) return {it, false};
    return {v.insert(it, Entry{p, d}), true};
  }
  void clear() { m_.reset(); }
  /// Takes `other`'s entries when this holds none (sharing its vector).
  bool adopt_if_empty(const Deps& other) {
    if (!empty()) return false;
    m_ = other.m_;
    return true;
  }
  void assign(Vec&& v) { m_ = std::make_shared<Vec>(std::move(v)); }

 private:
  static bool key_less(const Entry& e, uint32_t k) { return e.first < k; }
  static const_iterator lower(const Vec& v, uint32_t p) {
    if (v.empty() || v.back().first < p) return v.end();
    return std::lower_bound(v.begin(), v.end(), p, key_less);
  }
  static iterator lower(Vec& v, uint32_t p) {
    if (v.empty() || v.back().first < p) return v.end();
    return std::lower_bound(v.begin(), v.end(), p, key_less);
  }
  // Read-only, never written through: the iterators of an unset Deps point here.
  static Vec& empty_vec() {
    static Vec v;
    return v;
  }
  const Vec& vec() const { return m_ ? *m_ : empty_vec(); }
  Vec& own() {
    if (!m_) m_ = std::make_shared<Vec>();
    else if (m_.use_count() > 1) m_ = std::make_shared<Vec>(*m_);
    return *m_;
  }
  std::shared_ptr<Vec> m_;
};

constexpr int kMaxCallDepth = 24;
constexpr int kMaxCalls = 20000;
constexpr size_t kMaxSteps = 2000000;  ///< node evaluations per root class

/// A set of loop ids, sorted. Copies share one vector (copy on write): most values
/// take their loops unchanged from an operand.
class LoopSet {
 public:
  bool empty() const { return !v_ || v_->empty(); }
  size_t count(int l) const { return v_ && std::binary_search(v_->begin(), v_->end(), l) ? 1 : 0; }
  std::vector<int>::const_iterator begin() const { return vec().begin(); }
  std::vector<int>::const_iterator end() const { return vec().end(); }
  void insert(int l) {
    if (count(l)) return;
    auto n = v_ ? std::make_shared<std::vector<int>>(*v_) : std::make_shared<std::vector<int>>();
    n->insert(std::lower_bound(n->begin(), n->end(), l), l);
    v_ = std::move(n);
  }
  /// Adds every loop of `o` but `except` (0: none; loop ids start at 1).
  void insert(const LoopSet& o, int except = 0) {
    if (o.empty()) return;
    const bool skip = except != 0 && o.count(except);
    if (!skip) {
      if (v_ == o.v_) return;
      if (empty()) {
        v_ = o.v_;
        return;
      }
    }
    std::vector<int> m;
    m.reserve(vec().size() + o.vec().size());
    std::set_union(vec().begin(), vec().end(), o.vec().begin(), o.vec().end(), std::back_inserter(m));
    if (skip && !count(except)) m.erase(std::lower_bound(m.begin(), m.end(), except));
    if (m.size() == vec().size()) return;  // nothing new
    v_ = std::make_shared<std::vector<int>>(std::move(m));
  }

 private:
  static const std::vector<int>& empty_vec() {
    static const std::vector<int> v;
    return v;
  }
  const std::vector<int>& vec() const { return v_ ? *v_ : empty_vec(); }
  std::shared_ptr<const std::vector<int>> v_;
};

struct AbsValExtra;

/// What the interpreter knows of one SSA value. Frames hold one per value of their
/// graph and values are copied a lot, so the fields most values leave unset live in
/// a shared side struct (copy on write), allocated only when one is set.
struct AbsVal {
  Deps deps;
  const ir::Constant* cval = nullptr;  ///< the constant value: in the program, or a static
  LoopSet iter_loops;
  // A module value: a node of the tree, possibly "each element" of a container,
  // possibly selected under a guard (a runtime key, mod_guard()).
  const ModuleNode* mod = nullptr;
  const ir::ClassInfo* super_of = nullptr;
  const ir::AttrFact* flag = nullptr;  ///< condition helper: a configuration attribute read
  Provenance prov = Provenance::Varying;
  bool each_element = false;
  bool is_super = false;
  // Condition helpers.
  bool nonnull_when = true;
  bool null_test = false;
  bool flag_negated = false;
  bool direct_param = false;   ///< exactly a parameter read (`self.bias`), not a computation
  bool from_shape = false;     ///< a size read off a tensor (`x.shape[1]`, `x.size(0)`): at least 1 in practice
  bool never_none = false;     ///< the result of an operation: a tensor or a number, never None
  bool maybe_none = false;     ///< a module on some paths, None on others
  bool has_items = false;
  bool varying_length = false;  ///< range(n) with runtime n
  // Memory format of a tensor, when a conversion in the code fixed it.
  enum class Layout : uint8_t { Unknown, Contiguous, ChannelsLast } layout = Layout::Unknown;

  // The rare fields (see AbsValExtra).
  inline const Guard& mod_guard() const;
  inline void set_mod_guard(const Guard& g);
  inline const std::string& nonnull_path() const;
  inline void set_nonnull_path(const std::string& s);
  inline const std::string& global() const;
  inline void set_global(const std::string& s);
  inline const std::string& nullable_param() const;
  inline void set_nullable_param(const std::string& s);
  inline const ir::Span& layout_origin() const;
  inline const std::string& layout_text() const;
  inline const ir::ClassInfo* layout_cls() const;
  inline void set_layout_origin(const ir::Span& origin, const std::string& text, const ir::ClassInfo* cls);
  inline void copy_layout_origin(const AbsVal& from);
  inline const std::string& bound_method() const;
  inline void set_bound_method(const std::string& s);
  inline const std::shared_ptr<const AbsVal>& elem() const;
  inline void set_elem(std::shared_ptr<const AbsVal> e);
  inline const std::vector<AbsVal>& items() const;
  inline std::vector<AbsVal>& items_mut();

 private:
  inline AbsValExtra& mx();
  std::shared_ptr<const AbsValExtra> x_;
};

struct AbsValExtra {
  Guard mod_guard;
  std::string nonnull_path;
  std::string global;          ///< a module-level constant read
  std::string nullable_param;  ///< an optional parameter read (`self.bias`, may be None)
  ir::Span layout_origin;      ///< the conversion that made it channels-last
  std::string layout_text;
  const ir::ClassInfo* layout_cls = nullptr;
  std::string bound_method;  ///< `self._forward` as a value: calling it runs that method
  // Containers and iterables.
  std::shared_ptr<const AbsVal> elem;
  std::vector<AbsVal> items;

  static const AbsValExtra& none() {
    static const AbsValExtra x;
    return x;
  }
};

bool is_default(const ir::Span& s) {
  const ir::Span d;
  return s.file == d.file && s.begin == d.begin && s.end == d.end && s.line == d.line && s.col == d.col &&
         s.end_line == d.end_line && s.end_col == d.end_col;
}

AbsValExtra& AbsVal::mx() {
  if (!x_) x_ = std::make_shared<AbsValExtra>();
  else if (x_.use_count() > 1) x_ = std::make_shared<AbsValExtra>(*x_);
  return const_cast<AbsValExtra&>(*x_);
}
const Guard& AbsVal::mod_guard() const { return (x_ ? *x_ : AbsValExtra::none()).mod_guard; }
void AbsVal::set_mod_guard(const Guard& g) {
  if (!x_ && g.always()) return;
  mx().mod_guard = g;
}
const std::string& AbsVal::nonnull_path() const { return (x_ ? *x_ : AbsValExtra::none()).nonnull_path; }
void AbsVal::set_nonnull_path(const std::string& s) {
  if (!x_ && s.empty()) return;
  mx().nonnull_path = s;
}
const std::string& AbsVal::global() const { return (x_ ? *x_ : AbsValExtra::none()).global; }
void AbsVal::set_global(const std::string& s) {
  if (!x_ && s.empty()) return;
  mx().global = s;
}
const std::string& AbsVal::nullable_param() const { return (x_ ? *x_ : AbsValExtra::none()).nullable_param; }
void AbsVal::set_nullable_param(const std::string& s) {
  if ((!x_ || x_->nullable_param.empty()) && s.empty()) return;
  mx().nullable_param = s;
}
const ir::Span& AbsVal::layout_origin() const { return (x_ ? *x_ : AbsValExtra::none()).layout_origin; }
const std::string& AbsVal::layout_text() const { return (x_ ? *x_ : AbsValExtra::none()).layout_text; }
const ir::ClassInfo* AbsVal::layout_cls() const { return (x_ ? *x_ : AbsValExtra::none()).layout_cls; }
void AbsVal::set_layout_origin(const ir::Span& origin, const std::string& text, const ir::ClassInfo* cls) {
  AbsValExtra& x = mx();
  x.layout_origin = origin;
  x.layout_text = text;
  x.layout_cls = cls;
}
void AbsVal::copy_layout_origin(const AbsVal& from) {
  auto unset = [](const AbsValExtra* x) {
    return !x || (is_default(x->layout_origin) && x->layout_text.empty() && !x->layout_cls);
  };
  if (unset(x_.get()) && unset(from.x_.get())) return;
  set_layout_origin(from.layout_origin(), from.layout_text(), from.layout_cls());
}
const std::string& AbsVal::bound_method() const { return (x_ ? *x_ : AbsValExtra::none()).bound_method; }
void AbsVal::set_bound_method(const std::string& s) {
  if (!x_ && s.empty()) return;
  mx().bound_method = s;
}
const std::shared_ptr<const AbsVal>& AbsVal::elem() const { return (x_ ? *x_ : AbsValExtra::none()).elem; }
void AbsVal::set_elem(std::shared_ptr<const AbsVal> e) {
  if ((!x_ || !x_->elem) && !e) return;
  mx().elem = std::move(e);
}
const std::vector<AbsVal>& AbsVal::items() const { return (x_ ? *x_ : AbsValExtra::none()).items; }
std::vector<AbsVal>& AbsVal::items_mut() { return mx().items; }

const ir::Constant& const_true() {
  static const ir::Constant c{true};
  return c;
}
const ir::Constant& const_false() {
  static const ir::Constant c{false};
  return c;
}
const ir::Constant& const_none() {
  static const ir::Constant c{ir::NoneConst{}};
  return c;
}

bool is_true(const ir::Constant* c) {
  if (!c) return false;
  if (auto* b = std::get_if<bool>(c)) return *b;
  if (auto* i = std::get_if<int64_t>(c)) return *i != 0;
  if (auto* d = std::get_if<double>(c)) return *d != 0.0;
  if (auto* s = std::get_if<std::string>(c)) return !s->empty();
  return false;  // None
}

std::optional<double> number(const ir::Constant* c) {
  if (!c) return std::nullopt;
  if (auto* b = std::get_if<bool>(c)) return *b ? 1.0 : 0.0;
  if (auto* i = std::get_if<int64_t>(c)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(c)) return *d;
  return std::nullopt;
}

/// A constant value; `c` must outlive the analysis (it is in the program).
AbsVal constant(const ir::Constant& c) {
  AbsVal v;
  v.prov = Provenance::Constant;
  v.cval = &c;
  return v;
}
AbsVal constant(ir::Constant&& c) = delete;
AbsVal constant(bool b) { return constant(b ? const_true() : const_false()); }

void add_deps(Deps& into, const Deps& from) {
  if (from.empty()) return;
  if (into.adopt_if_empty(from)) return;
  const Deps& a = into;
  // Nothing changes when every entry of `from` is in `into` under a guard that absorbs it.
  bool change = false;
  {
    auto i = a.begin();
    for (auto j = from.begin(); j != from.end() && !change; ++j) {
      while (i != a.end() && i->first < j->first) ++i;
      if (i == a.end() || i->first != j->first) change = true;
      else if (!i->second.guard.always() && !j->second.guard.is_never()) change = true;
    }
  }
  if (!change) return;
  Deps::Vec out;
  out.reserve(a.size() + from.size());
  auto i = a.begin();
  auto j = from.begin();
  while (i != a.end() || j != from.end()) {
    if (j == from.end() || (i != a.end() && i->first < j->first)) {
      out.push_back(*i++);
    } else if (i == a.end() || j->first < i->first) {
      out.push_back(*j++);
    } else {
      out.push_back(*i);
      out.back().second.guard = guard_or(i->second.guard, j->second.guard);
      ++i;
      ++j;
    }
  }
  into.assign(std::move(out));
}

/// Ops whose result carries no gradient back to their inputs.
bool non_differentiable(std::string_view op) {
  static const std::unordered_set<std::string_view> k = {
      "detach", "detach_", "item", "tolist", "numpy", "eq", "ne", "lt", "le", "gt", "ge", "__contains__",
      "__not_contains__", "__not__", "__and__", "__or__", "__xor__", "__is__", "__isnot__", "argmax", "argmin",
      "argsort", "nonzero", "numel", "size", "dim", "long", "int", "bool", "short", "byte", "sign", "zeros_like",
      "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "new_zeros", "new_ones",
      "new_empty", "new_full", "new_tensor", "bernoulli", "bernoulli_", "isnan", "isinf", "isfinite", "any", "all",
      "floor", "ceil", "round", "trunc", "floordiv", "remainder", "zero_", "fill_", "eq_", "bucketize",
      "searchsorted", "unique", "bincount", "histc", "multinomial", "randperm", "randint", "rand", "randn",
      "normal_", "uniform_", "random_", "topk_indices", "one_hot", "is_nonzero", "count_nonzero", "data_ptr",
      "stride", "is_contiguous", "get_device", "nelement", "element_size"};
  return k.find(op) != k.end();
}

bool is_random_function(const std::string& q) {
  static const std::set<std::string> k = {"torch.rand", "torch.randn", "torch.randint", "torch.randperm",
                                          "torch.bernoulli", "torch.multinomial", "torch.normal", "torch.rand_like",
                                          "torch.randn_like", "torch.randint_like"};
  return q.rfind("random.", 0) == 0 || q.rfind("numpy.random", 0) == 0 || q.rfind("np.random", 0) == 0 || k.count(q);
}

std::string last_segment(const std::string& q) { return q.substr(q.rfind('.') + 1); }

/// A parameter dropped: a NeverReason, with the scope by pointer (interned).
struct Event {
  uint32_t param = 0;  ///< a parameter id
  int depth = 0;
  NeverReason::Kind kind = NeverReason::Kind::NotReferenced;
  ir::Span span;
  std::string detail;
  const ir::ClassInfo* blamed = nullptr;
  const std::string* scope = nullptr;

  NeverReason reason() const {
    NeverReason r;
    r.kind = kind;
    r.span = span;
    r.detail = detail;
    r.blamed = blamed;
    if (scope) r.scope = *scope;
    return r;
  }
};

/// A module path used in a branch never taken in training.
struct DeadUse {
  std::string param;
  int depth = 0;
  NeverReason reason;
};

struct Frame {
  int id = 0;  ///< unique per call in one analysis (frames on the stack reuse addresses)
  const ModuleNode* self = nullptr;
  const ir::ClassInfo* cls = nullptr;  ///< the class whose code runs (owner of atoms)
  const std::string* scope = nullptr;  ///< interned
  int depth = 0;
  int no_grad = 0;
  std::vector<int> loops;
  std::vector<AbsVal> vals;  ///< by Value::id in the frame's graph
  /// Params seen in any value here, with their first use; may hold a param more than
  /// once (after a call), the first entry counts.
  std::vector<std::pair<uint32_t, const ir::Span*>> seen;
  Deps escaped;  ///< stored on the module
};

class Interpreter {
 public:
  Interpreter(const ir::Program& program, Participation& out) : program_(program), out_(out) {
    // Parameter ids follow the order of the paths, so that Deps iterate in path order.
    std::vector<const std::string*> paths;
    for (const ParamInfo* p : out_.tree->params()) paths.push_back(&p->path);
    std::sort(paths.begin(), paths.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
    for (const std::string* s : paths) {
      if (path_.empty() || *path_.back() != *s) path_.push_back(s);
    }
    for (const ParamInfo* p : out_.tree->params()) {
      auto it = std::lower_bound(path_.begin(), path_.end(), &p->path,
                                 [](const std::string* a, const std::string* b) { return *a < *b; });
      pid_.emplace(p, static_cast<uint32_t>(it - path_.begin()));
    }
    seen_stamp_.assign(path_.size(), 0);
  }

  uint32_t id_of(const ParamInfo* p) const { return pid_.at(p); }
  size_t param_count() const { return path_.size(); }
  const std::string& path_of(uint32_t id) const { return *path_[id]; }
  static Dep to_dep(const IDep& d) {
    Dep out;
    out.guard = d.guard.get();
    if (d.use) out.use = *d.use;
    if (d.via) out.via = *d.via;
    if (d.scope) out.scope = *d.scope;
    return out;
  }

  Deps run(const ir::ClassInfo& root, const ir::Method& forward) {
    std::vector<AbsVal> args;
    AbsVal self;
    self.mod = &out_.tree->root();
    self.prov = Provenance::Config;
    args.push_back(self);
    // Arguments are unknown: a boolean mode flag (`return_features=False`) may be
    // passed by some training loops and not others.
    for (size_t i = 1; i < forward.param_names.size(); ++i) args.push_back(AbsVal{});
    entered_[""] = &root;
    auto r = call_graph(*forward.graph, &out_.tree->root(), &root, root.name + "." + forward.name, std::move(args), {},
                        0);
    if (!r) return {};
    Deps used = r->deps;
    add_deps(used, root_escaped_);
    return used;
  }

  std::vector<Event> events;                       ///< cuts and losses
  std::vector<DeadUse> dead_uses;                  ///< uses in branches never taken in training
  std::unordered_map<std::string, const ir::ClassInfo*> entered_;  ///< module paths whose code ran
  bool reachable_root = true;
  bool truncated = false;

 private:
  // ---- calls -----------------------------------------------------------------

  std::optional<AbsVal> call_graph(const ir::Graph& g, const ModuleNode* self, const ir::ClassInfo* cls,
                                   const std::string& scope, std::vector<AbsVal> args,
                                   const std::vector<std::pair<std::string, AbsVal>>& kwargs, int depth,
                                   const std::vector<std::string>* names = nullptr,
                                   const std::vector<std::optional<ir::Constant>>* defaults = nullptr) {
    if (depth > kMaxCallDepth || ++calls_ > kMaxCalls) {
      truncated = true;
      return std::nullopt;
    }
    Frame f;
    f.id = ++frame_counter_;
    f.self = self;
    f.cls = cls;
    f.scope = &*scopes_.insert(scope).first;
    f.depth = depth;
    if (!vals_pool_.empty()) {  // reuse the storage of a finished frame
      f.vals = std::move(vals_pool_.back());
      vals_pool_.pop_back();
    }
    f.vals.resize(static_cast<size_t>(g.value_count()));
    const auto& params = g.block()->params();
    for (size_t i = 0; i < params.size(); ++i) {
      AbsVal v = i < args.size() ? std::move(args[i]) : AbsVal{};
      // A parameter the caller leaves out takes its literal default.
      if (i >= args.size() && depth > 0 && defaults && i < defaults->size() && (*defaults)[i]) v = constant(*(*defaults)[i]);
      if (names && i < names->size()) {
        for (const auto& [k, kv] : kwargs) {
          if (k == (*names)[i]) v = kv;
        }
      }
      f.vals[static_cast<size_t>(params[i]->id())] = std::move(v);
    }
    Frame* saved = frame_;
    frame_ = &f;
    bool reachable = eval_block(*g.block());
    frame_ = saved;
    if (depth == 0) reachable_root = reachable;
    AbsVal ret = reachable && !g.block()->returns().empty() ? f.vals[static_cast<size_t>(g.block()->returns()[0]->id())]
                                                                     : AbsVal{};
    // What this frame saw but neither returned nor stored was discarded here.
    std::stable_sort(f.seen.begin(), f.seen.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    f.seen.erase(std::unique(f.seen.begin(), f.seen.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
                 f.seen.end());
    for (const auto& [p, span] : f.seen) {
      if (ret.deps.count(p) || f.escaped.count(p)) continue;
      events.push_back({p, depth, NeverReason::Kind::Discarded, span ? *span : ir::Span{}, {}, cls, f.scope});
    }
    if (depth == 0) add_deps(root_escaped_, f.escaped);
    else if (saved) add_deps(saved->escaped, f.escaped);
    f.vals.clear();
    vals_pool_.push_back(std::move(f.vals));
    return ret;
  }

  /// Calls `m` (a module value) with `args`, from node `at`.
  AbsVal call_module(const AbsVal& m, const std::string& method, const std::vector<AbsVal>& args,
                     const std::vector<std::pair<std::string, AbsVal>>& kwargs, const Node& at) {
    const ModuleNode* node = m.mod;
    if (m.each_element && node->kind == ModuleNode::Kind::Container && node->children.empty()) {
      return use_all(node, at, args, kwargs);  // elements ddplint could not see
    }
    if (m.each_element && node->kind == ModuleNode::Kind::Container) {
      AbsVal out;
      bool first = true;
      for (const auto& c : node->children) {
        AbsVal each = m;
        each.mod = c.get();
        each.each_element = false;
        AbsVal r = call_module(each, method, args, kwargs, at);
        if (node != frame_->self) {  // used, from the caller's view, as "an element of the container"
          bool any = false;
          for (const auto& [p, d] : r.deps) any = any || (path_under(path_of(p), c->path) && d.via != &node->path);
          if (any) {
            for (auto& [p, d] : r.deps.entries()) {
              if (path_under(path_of(p), c->path)) d.via = &node->path;
            }
          }
        }
        if (first) out = r;
        else add_deps(out.deps, r.deps);
        out.prov = join(out.prov, r.prov);
        first = false;
      }
      return out;
    }
    AbsVal result;
    // Project class with the method: interpret it with self = node.
    const ir::ClassInfo* owner = nullptr;
    const ir::ClassInfo* start = m.is_super ? m.super_of : node->cls;
    const ir::Method* fn = nullptr;
    if (start) {
      if (m.is_super) {
        for (const auto& b : start->bases) {
          if (const ir::ClassInfo* bc = program_.find_class(b)) {
            fn = find_method(program_, *bc, method, &owner);
            if (fn) break;
          }
        }
      } else {
        fn = find_method(program_, *start, method, &owner);
      }
    }
    bool same_self = node == frame_->self;
    auto key = std::make_tuple(static_cast<const void*>(fn), node);
    if (fn && std::find(on_stack_.begin(), on_stack_.end(), key) != on_stack_.end()) fn = nullptr;  // recursion (a module iterating itself): not followed
    if (fn) {
      on_stack_.push_back(key);
      std::vector<AbsVal> full;
      full.reserve(args.size() + 1);
      AbsVal self;
      self.mod = node;
      self.prov = Provenance::Config;
      full.push_back(self);
      for (const auto& a : args) full.push_back(a);
      if (!same_self) entered_.try_emplace(node->path, node->cls);
      std::string callee_scope = owner->name + "." + fn->name;
      call_sites_.emplace_back(node, at.span());
      auto r = call_graph(*fn->graph, node, owner, callee_scope, std::move(full), kwargs, frame_->depth + 1,
                          &fn->param_names, &fn->param_defaults);
      if (r) {
        result = std::move(*r);
      } else {  // budget: assume the callee uses everything it has
        result = use_all(node, at, args, kwargs);
      }
      call_sites_.pop_back();
      on_stack_.pop_back();
      if (fn->no_grad.valid()) {  // @torch.no_grad()
        ir::Node deco;
        deco.set_span(fn->no_grad);
        cut(result.deps, NeverReason::Kind::NoGrad, deco, "@no_grad");
        result.deps.clear();
      }
      if (same_self) {
        // A helper that holds no condition of its own: its uses count, for reports, at
        // the call (where the caller's condition is).
        std::set<uint32_t> from_args;
        for (const auto& a : args) {
          for (const auto& [p, d] : a.deps) from_args.insert(p);
        }
        for (auto& [p, d] : result.deps.entries()) {
          if (from_args.count(p)) continue;
          bool own = false;
          for (const Lit& l : d.guard.get().literals()) {
            if (out_.atoms[static_cast<size_t>(l.atom)].scope == callee_scope) own = true;
          }
          if (!own) {
            d.use = &at.span();
            d.scope = frame_->scope;
          }
        }
      }
    } else if (node->kind == ModuleNode::Kind::Container && node->container_kind == "torch.nn.Sequential" &&
               (method == "forward" || method == "__call__")) {
      entered_.try_emplace(node->path, nullptr);
      AbsVal x = args.empty() ? AbsVal{} : args[0];
      for (const auto& c : node->children) {
        AbsVal each;
        each.mod = c.get();
        x = call_module(each, "forward", {x}, {}, at);
      }
      result = x;
    } else if (node->cls && !m.is_super && method != "forward") {
      // `self.norm(x)` where `norm` is an attribute holding a callable, not a method.
      const ir::AttrFact* a = find_attr(program_, *node->cls, method);
      if (const ModuleNode* child = node->child(method)) {
        AbsVal c;
        c.mod = child;
        c.set_mod_guard(m.mod_guard());
        result = call_module(c, "forward", args, kwargs, at);
      } else if (a || !has_unseen_base(*node->cls)) {
        // A callable stored on the module, or a name ddplint cannot place on a class it
        // fully sees: data flows through; no parameter is touched that ddplint knows of.
        // It may still be a module built somewhere ddplint does not follow.
        for (const auto& x : args) add_deps(result.deps, x.deps);
        for (const auto& [k, x] : kwargs) add_deps(result.deps, x.deps);
        out_.calls_unknown_callable = true;
      } else {  // perhaps a method of a base class outside the project
        result = use_all(node, at, args, kwargs, m.is_super);
      }
    } else {
      if (node->kind != ModuleNode::Kind::Class) entered_.try_emplace(node->path, nullptr);
      result = use_all(node, at, args, kwargs, m.is_super);
    }
    // Parameters that entered inside the callee are used, from the caller's view, at
    // this call; a runtime selection (`self.heads[task]`) guards them.
    if (!same_self) {
      for (auto& [p, d] : result.deps.entries()) {
        if (!path_under(path_of(p), node->path)) continue;
        d.use = &at.span();
        d.via = &node->path;
        d.scope = frame_->scope;
        d.guard = guard_and(d.guard, m.mod_guard());
      }
    }
    return result;
  }

  bool has_unseen_base(const ir::ClassInfo& cls, int depth = 0) {
    if (depth > 16) return true;
    for (const auto& b : cls.bases) {
      if (const ir::ClassInfo* bc = program_.find_class(b)) {
        if (has_unseen_base(*bc, depth + 1)) return true;
      } else if (b.rfind("torch.nn.", 0) != 0) {
        return true;
      }
    }
    return false;
  }

  /// The ids of every parameter at or below `node`, sorted, once each.
  const std::vector<uint32_t>& param_ids(const ModuleNode* node) {
    auto [it, fresh] = node_ids_.try_emplace(node);
    if (fresh) {
      std::vector<const ParamInfo*> ps;
      node->collect_params(ps);
      for (const ParamInfo* p : ps) it->second.push_back(id_of(p));
      std::sort(it->second.begin(), it->second.end());
      it->second.erase(std::unique(it->second.begin(), it->second.end()), it->second.end());
    }
    return it->second;
  }

  static Deps::Vec entries(const std::vector<uint32_t>& ids, const IDep& d) {
    Deps::Vec v;
    v.reserve(ids.size());
    for (uint32_t id : ids) v.emplace_back(id, d);
    return v;
  }

  /// Sets the entries of `add` (sorted, unique) in `into`, replacing those it holds.
  static void overwrite(Deps& into, Deps::Vec&& add) {
    if (add.empty()) return;
    if (into.empty()) {
      into.assign(std::move(add));
      return;
    }
    const Deps& a = into;
    Deps::Vec out;
    out.reserve(a.size() + add.size());
    auto i = a.begin();
    auto j = add.begin();
    while (i != a.end() || j != add.end()) {
      if (j == add.end() || (i != a.end() && i->first < j->first)) {
        out.push_back(*i++);
      } else {
        if (i != a.end() && i->first == j->first) ++i;
        out.push_back(std::move(*j++));
      }
    }
    into.assign(std::move(out));
  }

  AbsVal use_all(const ModuleNode* node, const Node& at, const std::vector<AbsVal>& args,
                 const std::vector<std::pair<std::string, AbsVal>>& kwargs, bool direct_only = false) {
    AbsVal out;
    for (const auto& a : args) add_deps(out.deps, a.deps);
    for (const auto& [k, a] : kwargs) add_deps(out.deps, a.deps);
    const IDep d{{}, &at.span(), &node->path, frame_->scope};
    if (direct_only) {
      std::vector<uint32_t> ids;
      for (const auto& p : node->params) ids.push_back(id_of(&p));
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      overwrite(out.deps, entries(ids, d));
    } else {
      overwrite(out.deps, entries(param_ids(node), d));
    }
    if (!args.empty()) {
      carry_layout(out, args[0]);  // convolutions, norms, activations keep the input's format
      const ParamInfo* w = node->param("weight");
      if (w && !w->size1_kernel.empty() && w->trainable && args[0].layout == AbsVal::Layout::ChannelsLast &&
          args[0].layout_origin().valid()) {
        out_.layout_mixes.push_back({w, node->path, args[0].layout_origin(), args[0].layout_text(), args[0].layout_cls(),
                                     at.span()});
      }
    }
    return out;
  }

  // ---- blocks ------------------------------------------------------------------

  /// Returns false when the block cannot complete (it always raises).
  bool eval_block(const Block& b) {
    for (const auto& n : b.nodes()) {
      if (!eval_node(*n)) return false;
    }
    return true;
  }

  // Values are only read in the frame of their own graph (callees get frames of their own).
  AbsVal& val(const Value* v) { return frame_->vals[static_cast<size_t>(v->id())]; }

  void set(const Value* v, AbsVal a) {
    if (frame_->no_grad == 0) {
      for (const auto& [p, d] : a.deps) {
        if (seen_stamp_[p] == frame_->id) continue;
        seen_stamp_[p] = frame_->id;
        frame_->seen.emplace_back(p, d.use);
      }
    }
    val(v) = std::move(a);
  }

  void cut(const Deps& deps, NeverReason::Kind k, const Node& at, const std::string& detail) {
    for (const auto& [p, d] : deps) events.push_back({p, frame_->depth, k, at.span(), detail, frame_->cls, frame_->scope});
  }

  /// A structural key for a condition value, so that two tests of the same thing
  /// (`if ctx is not None:` twice) are one atom: "aten::__isnot__(%2,None)".
  std::string condition_key(const Value* v, int depth = 0) {
    if (depth > 8) return "?";
    const Node* d = v->node();
    if (!d) return fmt::format("%{}@{}", static_cast<const void*>(v), frame_->id);
    if (d->is(kind::Constant) && d->value) return ir::print_constant(*d->value);
    if (d->is(kind::If) || d->is(kind::Loop) || d->outputs().size() != 1 ||
        d->is(kind::CallFunction) || d->is(kind::CallMethod) || d->is(kind::CallValue)) {
      // Calls may return something new each time (random.random()).
      return fmt::format("%{}@{}", static_cast<const void*>(v), frame_->id);
    }
    std::string k = d->kind() + "[" + d->name + "](";
    for (const Value* in : d->inputs()) k += condition_key(in, depth + 1) + ",";
    return k + ")";
  }

  int intern_atom(const Node& n, Atom a, const std::string& cond_key = "") {
    auto key = std::make_tuple(cond_key.empty() ? static_cast<const void*>(&n) : nullptr, cond_key, frame_->self,
                               static_cast<int>(a.kind));
    auto it = atom_ids_.find(key);
    if (it != atom_ids_.end()) {
      out_.atoms[static_cast<size_t>(it->second)].iter_loops.insert(a.iter_loops.begin(), a.iter_loops.end());
      return it->second;
    }
    a.owner = frame_->cls;
    a.scope = *frame_->scope;
    a.span = n.span();
    a.node = &n;
    out_.atoms.push_back(std::move(a));
    int id = static_cast<int>(out_.atoms.size()) - 1;
    atom_ids_[key] = id;
    return id;
  }

  /// "self.a.b" uses in a branch that training never takes.
  void record_dead_uses(const Block& b, const Node& cond_node, bool dead_is_then) {
    std::map<int, std::string> paths;  // by Value::id
    for (size_t id = 0; id < frame_->vals.size(); ++id) {
      const AbsVal& a = frame_->vals[id];
      if (a.mod && !a.each_element) paths[static_cast<int>(id)] = a.mod->path;
    }
    std::function<void(const Block&)> walk = [&](const Block& blk) {
      for (const auto& n : blk.nodes()) {
        if (n->is(kind::GetAttr) && !n->inputs().empty()) {
          auto it = paths.find(n->input(0)->id());
          if (it != paths.end()) {
            std::string p = join_path(it->second, n->name);
            paths[n->output()->id()] = p;
            NeverReason r;
            r.kind = NeverReason::Kind::EvalOnly;
            r.span = cond_node.span();
            r.detail = dead_is_then ? cond_node.text : "not (" + cond_node.text + ")";
            r.blamed = frame_->cls;
            r.scope = *frame_->scope;
            dead_uses.push_back({p, frame_->depth, r});
          }
        }
        for (const auto& sub : n->blocks()) walk(*sub);
      }
    };
    walk(b);
  }

  bool eval_node(const Node& n) {
    if (!n.grad_off) return eval_node_inner(n);
    // Inside a no_grad region: whatever this node computes carries no gradient.
    frame_->no_grad++;
    bool ok = eval_node_inner(n);
    frame_->no_grad--;
    for (const Value* o : n.outputs()) {
      AbsVal& v = val(o);
      cut(v.deps, NeverReason::Kind::NoGrad, *n.grad_off, n.grad_off->text);
      v.deps.clear();
    }
    return ok;
  }

  bool eval_node_inner(const Node& n) {
    if (++steps_ > kMaxSteps) {  // pathological nesting: stop, findings are partial
      truncated = true;
      for (const Value* o : n.outputs()) set(o, AbsVal{});
      return true;
    }
    // A view: comparing it with a kind:: constant compares lengths first, known at compile time.
    const std::string_view k = n.kind();
    auto in = [&](size_t i) -> AbsVal& { return val(n.input(i)); };

    if (k == kind::Constant) {
      set(n.output(), constant(*n.value));
      return true;
    }
    // Operators, the most common nodes after constants: decided before the other kinds
    // (none of which starts with "aten::" but these two).
    if (k.rfind("aten::", 0) == 0 && k != kind::GetItem && k != kind::SetItem) {
      const std::string_view op = k.substr(6);
      // super().forward(x) and friends: a method call on a module the frontend
      // could not type.
      if (!n.inputs().empty() && in(0).mod && !non_differentiable(op)) {
        std::vector<AbsVal> args;
        std::vector<std::pair<std::string, AbsVal>> kwargs;
        split_args(n, 1, args, kwargs);
        set(n.output(), module_method(in(0), std::string(op), args, kwargs, n));
        return true;
      }
      set(n.output(), aten(n, op));
      return true;
    }
    if (k == kind::RaiseException) return false;
    if (k == kind::If) return eval_if(n);
    if (k == kind::Loop) {
      eval_loop(n);
      return true;
    }
    if (k == kind::NoGradEnter || k == kind::NoGradExit) return true;
    if (k == kind::BreakStmt || k == kind::ContinueStmt) return true;
    if (k == kind::GetAttr) {
      set(n.output(), get_attr(in(0), n));
      return true;
    }
    if (k == kind::SetAttr) {
      const AbsVal& obj = in(0);
      const AbsVal& v = in(1);
      if (obj.mod) {
        if (frame_->no_grad) cut(v.deps, NeverReason::Kind::NoGrad, n, "");
        else add_deps(frame_->escaped, v.deps);
      }
      return true;
    }
    if (k == kind::CallMethod || k == kind::CallValue) {
      AbsVal recv = in(0);
      std::vector<AbsVal> args;
      std::vector<std::pair<std::string, AbsVal>> kwargs;
      split_args(n, 1, args, kwargs);
      if (recv.mod) {
        std::string method = k == kind::CallValue ? (recv.bound_method().empty() ? "forward" : recv.bound_method()) : n.name;
        if (method == "forward" && !recv.bound_method().empty()) method = recv.bound_method();
        set(n.output(), module_method(recv, method, args, kwargs, n));
      } else {
        set(n.output(), generic(n, 0, n.name));
      }
      return true;
    }
    if (k == kind::CallFunction) {
      set(n.output(), call_function(n));
      return true;
    }
    if (k == kind::TupleUnpack) {
      const AbsVal& src = in(0);
      // `for norm, attn, ffn in self.layers:` unpacks a ModuleList element.
      const ModuleNode* holder = src.mod;
      if (holder && src.each_element) holder = holder->children.size() == 1 ? holder->children[0].get() : nullptr;
      if (holder && holder->kind == ModuleNode::Kind::Container && holder->children.size() == n.outputs().size()) {
        for (size_t i = 0; i < n.outputs().size(); ++i) {
          AbsVal m;
          m.mod = holder->children[i].get();
          m.set_mod_guard(src.mod_guard());
          m.prov = Provenance::Config;
          set(n.output(i), std::move(m));
        }
        return true;
      }
      for (size_t i = 0; i < n.outputs().size(); ++i) {
        if (src.has_items && src.items().size() == n.outputs().size()) {
          set(n.output(i), src.items()[i]);
        } else {
          AbsVal v;
          v.deps = src.deps;
          v.from_shape = src.from_shape;
          v.prov = src.prov;
          v.iter_loops = src.iter_loops;
          set(n.output(i), std::move(v));
        }
      }
      return true;
    }
    if (k == kind::ListConstruct || k == kind::TupleConstruct || k == kind::DictConstruct) {
      AbsVal out;
      out.prov = Provenance::Constant;
      out.has_items = k == kind::TupleConstruct;
      for (size_t i = 0; i < n.inputs().size(); ++i) {
        const AbsVal& a = in(i);
        add_deps(out.deps, a.deps);
        out.prov = join(out.prov, a.prov);
        out.iter_loops.insert(a.iter_loops);
        if (n.input_name(i) == "*") out.has_items = false;
        out.items_mut().push_back(a);
        if (a.mod && !out.elem()) out.set_elem(std::make_shared<AbsVal>(a));
      }
      if (!out.elem()) {
        AbsVal e;
        e.deps = out.deps;
        e.prov = out.prov;
        out.set_elem(std::make_shared<AbsVal>(e));
      }
      set(n.output(), std::move(out));
      return true;
    }
    if (k == kind::Iterate) {
      set(n.output(), in(0));
      return true;
    }
    if (k == kind::Global) {
      AbsVal v;
      v.prov = Provenance::Config;
      v.set_global(n.name);
      set(n.output(), std::move(v));
      return true;
    }
    if (k == kind::Uninitialized) {
      set(n.output(), AbsVal{});
      return true;
    }
    if (k == kind::Opaque) {
      AbsVal v;
      for (size_t i = 0; i < n.inputs().size(); ++i) add_deps(v.deps, in(i).deps);
      const std::string& q = n.name;
      bool library = q.rfind("torch.", 0) == 0 || q.rfind("math.", 0) == 0 || q == "str" || q == "lambda" ||
                     q.rfind("typing.", 0) == 0 || q.rfind("numpy.", 0) == 0;
      v.prov = n.inputs().empty() && library ? Provenance::Config : Provenance::Varying;
      set(n.output(), std::move(v));
      return true;
    }
    if (k == kind::GetItem) {
      set(n.output(), get_item(in(0), in(1), n));
      return true;
    }
    if (k == kind::SetItem) {
      AbsVal out = in(0);
      const AbsVal& v = in(2);
      if (out.mod) {
        add_deps(frame_->escaped, v.deps);
      }
      add_deps(out.deps, v.deps);
      out.prov = Provenance::Varying;
      out.has_items = false;
      set(n.output(), std::move(out));
      return true;
    }
    // prim::slice and anything else: data flows through.
    if (!n.outputs().empty()) set(n.output(), generic(n, 0, ""));
    return true;
  }

  void split_args(const Node& n, size_t from, std::vector<AbsVal>& args,
                  std::vector<std::pair<std::string, AbsVal>>& kwargs) {
    for (size_t i = from; i < n.inputs().size(); ++i) {
      const std::string& name = n.input_name(i);
      if (name == "*" && val(n.input(i)).has_items) {  // f(*(x, emb))
        for (const auto& item : val(n.input(i)).items()) args.push_back(item);
        continue;
      }
      if (name.empty() || name == "*" || name == "**") args.push_back(val(n.input(i)));
      else kwargs.push_back({name, val(n.input(i))});
    }
  }

  AbsVal generic(const Node& n, size_t from, std::string_view) {
    AbsVal out;
    out.prov = Provenance::Constant;
    bool shaped = false, other = false;
    for (size_t i = from; i < n.inputs().size(); ++i) {
      const AbsVal& a = val(n.input(i));
      if (a.from_shape) shaped = true;
      else if (a.prov != Provenance::Constant) other = true;
      add_deps(out.deps, a.deps);
      out.prov = join(out.prov, a.prov);
      out.iter_loops.insert(a.iter_loops);
    }
    if (n.inputs().size() <= from) out.prov = Provenance::Varying;
    out.from_shape = shaped && !other;  // `seq_len // 2`, `x.shape[1] * 4`
    // Operators and tensor methods give tensors or numbers; a lookup (`batch.get("mask")`,
    // `d.pop(k)`) or a call ddplint does not follow may give None.
    static const std::unordered_set<std::string_view> kMaybeNone = {"aten::get", "aten::pop", "aten::setdefault", "aten::__getitem__",
                                                     "prim::CallFunction", "prim::CallMethod", "ddplint::CallValue",
                                                     "prim::TupleUnpack"};
    out.never_none = !kMaybeNone.count(n.kind());
    if (n.inputs().size() > from) carry_layout(out, val(n.input(from)));
    return out;
  }

  static void carry_layout(AbsVal& out, const AbsVal& in) {
    out.layout = in.layout;
    out.copy_layout_origin(in);
  }

  AbsVal module_method(const AbsVal& recv, const std::string& method, const std::vector<AbsVal>& args,
                       const std::vector<std::pair<std::string, AbsVal>>& kwargs, const Node& n) {
    static const std::unordered_set<std::string_view> kReturnsSelf = {"to", "cuda", "cpu", "half", "float", "double", "bfloat16",
                                                        "train", "eval", "requires_grad_", "type", "apply",
                                                        "zero_grad", "share_memory"};
    if (method == "parameters" || method == "named_parameters") {
      AbsVal out;
      out.deps.assign(entries(param_ids(recv.mod), IDep{recv.mod_guard(), &n.span(), &recv.mod->path, frame_->scope}));
      AbsVal e;
      e.deps = out.deps;
      out.set_elem(std::make_shared<AbsVal>(e));
      return out;
    }
    if (kReturnsSelf.count(method)) return recv;
    if (method == "children" || method == "modules" || method == "values" || method == "named_children" ||
        method == "items" || method == "named_modules") {
      AbsVal out;
      out.prov = Provenance::Config;
      AbsVal e = recv;
      e.each_element = recv.mod->kind == ModuleNode::Kind::Container || !recv.mod->children.empty();
      if (method == "items" || method.rfind("named_", 0) == 0) {
        AbsVal key;
        key.prov = Provenance::Config;
        AbsVal t;
        t.has_items = true;
        t.items_mut() = {key, e};
        out.set_elem(std::make_shared<AbsVal>(t));
      } else {
        out.set_elem(std::make_shared<AbsVal>(e));
      }
      return out;
    }
    if (method == "keys" || method == "__len__" || method == "state_dict" || method == "register_buffer") {
      AbsVal out;
      out.prov = Provenance::Config;
      return out;
    }
    return call_module(recv, method == "__call__" ? "forward" : method, args, kwargs, n);
  }

  AbsVal get_attr(const AbsVal& obj, const Node& n) {
    const std::string& name = n.name;
    if (obj.mod && !obj.each_element) {
      const ModuleNode* m = obj.mod;
      if (name == "training") return constant(true);
      if (const ModuleNode* c = m->child(name)) {
        AbsVal v;
        v.mod = c;
        v.prov = Provenance::Config;
        v.set_mod_guard(obj.mod_guard());
        return v;
      }
      if (const ParamInfo* p = m->param(name)) {
        AbsVal v;
        v.deps[id_of(p)] = IDep{obj.mod_guard(), &n.span(), &p->path, frame_->scope};
        if (p->optional) v.set_nullable_param(p->path);
        v.direct_param = true;
        return v;
      }
      if (m->cls) {
        if (const ir::AttrFact* a = find_attr(program_, *m->cls, name)) {
          AbsVal v;
          if (a->kind == ir::AttrFact::Kind::Submodule) {  // optional and absent here: None
            return constant(const_none());
          }
          if (a->kind == ir::AttrFact::Kind::Plain && !a->set_outside_init) {
            v.prov = Provenance::Config;
            if (a->constant_value_known) {
              v.prov = Provenance::Constant;
              v.cval = &a->constant;
            }
            v.flag = a;
          }
          return v;
        }
        auto cc = m->cls->class_constants.find(name);
        if (cc != m->cls->class_constants.end()) return constant(cc->second);
        // A method reference (`self._forward` handed to checkpoint): calling it runs it.
        if (find_method(program_, *m->cls, name)) {
          AbsVal v = obj;
          v.set_bound_method(name);
          return v;
        }
      }
      AbsVal v;
      if (m->kind != ModuleNode::Kind::Class) {
        // `self.conv.weight` on a leaf ddplint models by name, or an opaque module.
        std::vector<const ParamInfo*> ps;
        m->collect_params(ps);
        for (const ParamInfo* p : ps) {
          if (!p->known) v.deps[id_of(p)] = IDep{obj.mod_guard(), &n.span(), &m->path, frame_->scope};
        }
      }
      return v;
    }
    static const std::unordered_set<std::string_view> kShape = {"shape", "ndim", "dtype", "device", "is_cuda", "requires_grad",
                                                 "layout", "is_sparse", "grad_fn"};
    AbsVal v;
    v.prov = obj.prov;
    v.iter_loops = obj.iter_loops;
    if (kShape.count(name)) {
      v.from_shape = name == "shape" || name == "ndim";
      return v;
    }
    if (name == "indices") {  // of topk/sort/max: integer positions
      cut(obj.deps, NeverReason::Kind::NonDifferentiable, n, ".indices");
      return v;
    }
    if (name == "data" || name == "grad") {
      cut(obj.deps, name == "data" ? NeverReason::Kind::Detached : NeverReason::Kind::NonDifferentiable, n,
          "." + name);
      return v;
    }
    v.deps = obj.deps;
    v.set_elem(obj.elem());
    return v;
  }

  AbsVal get_item(const AbsVal& c, const AbsVal& key, const Node& n) {
    if (c.mod && c.mod->kind == ModuleNode::Kind::Container) {
      AbsVal v;
      v.prov = Provenance::Config;
      v.set_mod_guard(c.mod_guard());
      if (key.cval) {
        std::string name;
        if (auto* s = std::get_if<std::string>(&*key.cval)) name = *s;
        if (auto* i = std::get_if<int64_t>(&*key.cval)) name = std::to_string(*i);
        if (const ModuleNode* ch = c.mod->child(name)) {
          v.mod = ch;
          return v;
        }
      }
      v.mod = c.mod;
      v.each_element = true;
      if (key.prov == Provenance::Varying && key.iter_loops.empty()) {
        Atom a;
        a.kind = Atom::Kind::Select;
        a.provenance = Provenance::Varying;
        a.text = n.text.empty() ? "a runtime key" : n.text;
        int id = intern_atom(n, a);
        v.set_mod_guard(guard_with(v.mod_guard(), Lit{id, true}));
      }
      return v;
    }
    if (c.has_items && key.cval) {
      if (auto* i = std::get_if<int64_t>(&*key.cval)) {
        int64_t idx = *i < 0 ? static_cast<int64_t>(c.items().size()) + *i : *i;
        if (idx >= 0 && idx < static_cast<int64_t>(c.items().size())) return c.items()[static_cast<size_t>(idx)];
      }
    }
    if (c.elem() && c.elem()->mod) return *c.elem();
    AbsVal v;
    v.deps = c.deps;
    v.from_shape = c.from_shape;
    v.prov = join(c.prov, key.prov);
    v.iter_loops = c.iter_loops;
    v.iter_loops.insert(key.iter_loops);
    return v;
  }

  AbsVal call_function(const Node& n) {
    const std::string& q = n.name;
    std::vector<AbsVal> args;
    std::vector<std::pair<std::string, AbsVal>> kwargs;
    split_args(n, 0, args, kwargs);
    auto fresh = [&]() {
      AbsVal v;
      v.prov = Provenance::Varying;
      if (!frame_->loops.empty()) v.iter_loops.insert(frame_->loops.back());
      return v;
    };
    if (q == "builtins.super") {
      AbsVal v;
      v.mod = frame_->self;
      v.is_super = true;
      v.super_of = frame_->cls;
      v.prov = Provenance::Config;
      return v;
    }
    if (q == "builtins.range") {
      AbsVal v;
      v.prov = Provenance::Constant;
      bool positive_const = true;
      for (const auto& a : args) {
        v.prov = join(v.prov, a.prov);
        v.iter_loops.insert(a.iter_loops);
      }
      if (args.size() == 1) {
        auto num = number(args[0].cval);
        positive_const = num && *num > 0;
      }
      // A bound read off a tensor's shape (a sequence length) is taken as non-zero.
      bool shaped = !args.empty() && args.back().from_shape;
      v.varying_length = (v.prov == Provenance::Varying && !shaped) ||
                         (v.prov == Provenance::Constant && !positive_const && args.size() == 1);
      AbsVal e;
      e.prov = v.prov == Provenance::Constant ? Provenance::Config : v.prov;
      v.set_elem(std::make_shared<AbsVal>(e));
      v.deps.clear();
      return v;
    }
    if (q == "builtins.enumerate" && !args.empty()) {
      AbsVal v = args[0];
      AbsVal idx;
      idx.prov = Provenance::Config;
      AbsVal t;
      t.has_items = true;
      t.items_mut() = {idx, element_of(args[0])};
      v.set_elem(std::make_shared<AbsVal>(t));
      v.mod = nullptr;
      return v;
    }
    if (q == "builtins.zip") {
      AbsVal v;
      AbsVal t;
      t.has_items = true;
      for (const auto& a : args) {
        add_deps(v.deps, a.deps);
        t.items_mut().push_back(element_of(a));
      }
      v.set_elem(std::make_shared<AbsVal>(t));
      return v;
    }
    if (q == "builtins.len" || q == "builtins.isinstance" || q == "builtins.hasattr" || q == "builtins.type") {
      AbsVal v;
      v.prov = Provenance::Config;
      v.from_shape = q == "builtins.len" && !args.empty() && !args[0].mod && !args[0].deps.empty();
      for (const auto& a : args) {
        if (!a.mod && q == "builtins.len") v.prov = join(v.prov, a.prov);
      }
      return v;
    }
    if (q == "builtins.int" || q == "builtins.float" || q == "builtins.bool" || q == "builtins.round" ||
        q == "builtins.str") {
      AbsVal v;
      v.prov = args.empty() ? Provenance::Constant : args[0].prov;
      v.from_shape = !args.empty() && args[0].from_shape;
      if (!args.empty() && !args[0].deps.empty()) cut(args[0].deps, NeverReason::Kind::NonDifferentiable, n, last_segment(q) + "()");
      return v;
    }
    if (q == "builtins.getattr" && args.size() >= 2 && args[0].mod && args[1].cval &&
        std::holds_alternative<std::string>(*args[1].cval)) {
      // Kept for the analysis: dependencies point to its span.
      ir::Node& fake = fake_nodes_.emplace_back();
      fake.name = std::get<std::string>(*args[1].cval);
      fake.set_span(n.span());
      return get_attr(args[0], fake);
    }
    if (q == "builtins.print" || q == "builtins.setattr") return AbsVal{};
    // reversed(self.blocks), list(self.layers): the same modules, iterated.
    if ((q == "builtins.reversed" || q == "builtins.list" || q == "builtins.tuple" || q == "builtins.iter") &&
        args.size() == 1 && args[0].mod) {
      return args[0];
    }
    if (is_random_function(q)) return fresh();
    // torch.utils.checkpoint.checkpoint(self.block, x, ...) calls the block.
    if ((q == "torch.utils.checkpoint.checkpoint" || q == "checkpoint") && !args.empty() && args[0].mod) {
      std::vector<AbsVal> rest(args.begin() + 1, args.end());
      std::vector<std::pair<std::string, AbsVal>> kw;
      for (const auto& [k, v] : kwargs) {
        if (k != "use_reentrant" && k != "preserve_rng_state") kw.push_back({k, v});
      }
      return module_method(args[0], args[0].bound_method().empty() ? "forward" : args[0].bound_method(), rest, kw, n);
    }
    if (const ir::Function* f = program_.find_function(q)) {
      auto r = call_graph(*f->graph, frame_->self, frame_->cls, *frame_->scope, std::move(args), kwargs, frame_->depth + 1,
                          &f->param_names, &f->param_defaults);
      if (r) return *r;
      return generic(n, 0, q);
    }
    std::string op = last_segment(q);
    if (q.rfind("torch.", 0) == 0 && non_differentiable(op)) {
      AbsVal v = generic(n, 0, q);
      if (!v.deps.empty()) cut(v.deps, op == "detach" ? NeverReason::Kind::Detached : NeverReason::Kind::NonDifferentiable, n, op);
      v.deps.clear();
      return v;
    }
    AbsVal v = generic(n, 0, q);
    // A module handed to a function ddplint does not follow (checkpoint_sequential,
    // a user's apply helper) is taken as called.
    for (const auto& a : args) {
      if (a.mod && a.mod != frame_->self) add_deps(v.deps, use_all(a.mod, n, {}, {}).deps);
    }
    if (q.rfind("torch.", 0) != 0 && q.rfind("builtins.", 0) != 0 && q.rfind("math.", 0) != 0) {
      v.prov = Provenance::Varying;  // an unknown function: any value, per call
      if (!frame_->loops.empty()) v.iter_loops.insert(frame_->loops.back());
    }
    if (!args.empty() && (q == "builtins.sum" || q == "builtins.list" || q == "builtins.tuple" || q == "builtins.sorted" ||
                          q == "builtins.reversed" || q == "builtins.max" || q == "builtins.min")) {
      v.set_elem(args[0].elem());
    }
    return v;
  }

  AbsVal element_of(const AbsVal& it) {
    if (it.elem()) {
      AbsVal e = *it.elem();
      if (!e.mod && !e.has_items) add_deps(e.deps, it.deps);  // the container holds what it was built from
      return e;
    }
    if (it.mod) {
      AbsVal e;
      e.mod = it.mod;
      e.each_element = it.mod->kind == ModuleNode::Kind::Container;
      e.set_mod_guard(it.mod_guard());
      e.prov = Provenance::Config;
      return e;
    }
    AbsVal e;
    e.deps = it.deps;
    e.prov = it.prov;
    e.iter_loops = it.iter_loops;
    return e;
  }

  AbsVal aten(const Node& n, std::string_view op) {
    auto in = [&](size_t i) -> const AbsVal& { return val(n.input(i)); };
    size_t argc = n.inputs().size();
    if ((op == "conv1d" || op == "conv2d" || op == "conv3d" || op == "convolution" || op == "_convolution") &&
        argc >= 2) {
      // A convolution op on a weight parameter (TorchScript archives, F.conv2d): the
      // weight's size-1 dims against channels-last activations, at the user's call of
      // the module that owns the weight.
      AbsVal v = generic(n, 0, op);
      carry_layout(v, in(0));
      const AbsVal& w = in(1);
      if (in(0).layout == AbsVal::Layout::ChannelsLast && in(0).layout_origin().valid() && w.direct_param &&
          w.deps.size() == 1) {
        const std::string& path = path_of(w.deps.begin()->first);
        std::string owner = path.find('.') == std::string::npos ? "" : path.substr(0, path.rfind('.'));
        const ModuleNode* m = out_.tree->find(owner);
        const ParamInfo* p = m ? m->param(path.substr(path.rfind('.') + 1)) : nullptr;
        if (p && !p->size1_kernel.empty() && p->trainable) {
          ir::Span use = n.span();
          for (const auto& [callee, span] : call_sites_) {
            if (callee == m) {
              use = span;
              break;
            }
          }
          out_.layout_mixes.push_back({p, owner, in(0).layout_origin(), in(0).layout_text(), in(0).layout_cls(), use});
        }
      }
      return v;
    }
    // Boolean algebra with self.training = True folded in.
    if (op == "__not__" && argc == 1) {
      AbsVal v = in(0);
      if (v.mod) {  // `not self.head`: a None test
        AbsVal t;
        t.prov = v.mod->optional ? Provenance::Config : Provenance::Constant;
        if (!v.mod->optional) t.cval = &const_false();
        t.null_test = v.mod->optional;
        t.set_nonnull_path(v.mod->path);
        t.nonnull_when = false;
        return t;
      }
      v.deps.clear();
      if (v.cval) v.cval = is_true(v.cval) ? &const_false() : &const_true();
      v.nonnull_when = !v.nonnull_when;
      v.flag_negated = !v.flag_negated;  // `global` stays: still that constant
      v.set_elem(nullptr);
      return v;
    }
    if ((op == "__and__" || op == "__or__") && argc == 2) {
      const AbsVal& a = in(0);
      const AbsVal& b = in(1);
      bool is_and = op == "__and__";
      auto folded = [&](const AbsVal& c, const AbsVal& other) -> std::optional<AbsVal> {
        if (c.prov != Provenance::Constant || !c.cval) return std::nullopt;
        bool t = is_true(c.cval);
        if (is_and) return t ? other : c;
        return t ? c : other;
      };
      if (auto r = folded(a, b)) return *r;
      if (auto r = folded(b, a)) return *r;
      AbsVal v;  // `h or self.init(x)`: the value is one of the operands
      v.deps = a.deps;
      add_deps(v.deps, b.deps);
      v.prov = join(a.prov, b.prov);
      v.iter_loops = a.iter_loops;
      v.iter_loops.insert(b.iter_loops);
      return v;
    }
    if ((op == "__is__" || op == "__isnot__") && argc == 2) {
      const AbsVal& a = in(0);
      const AbsVal& b = in(1);
      bool isnot = op == "__isnot__";
      const AbsVal* subject = &a;
      const AbsVal* other = &b;
      if (a.cval && std::holds_alternative<ir::NoneConst>(*a.cval)) std::swap(subject, other);
      bool against_none = other->cval && std::holds_alternative<ir::NoneConst>(*other->cval);
      AbsVal v;
      if (against_none && subject->mod && !subject->maybe_none) {
        if (!subject->mod->optional) return constant(isnot);
        v.prov = Provenance::Config;
        v.null_test = true;
        v.set_nonnull_path(subject->mod->path);
        v.nonnull_when = isnot;
        return v;
      }
      if (against_none && subject->never_none && !subject->mod && subject->nullable_param().empty()) {
        return constant(isnot);  // `noise = torch.randn(...)`: a tensor is never None
      }
      if (against_none && subject->nullable_param().empty() && subject->deps.size() == 1 && subject->direct_param) {
        return constant(isnot);  // a parameter that always exists is never None
      }
      if (against_none && !subject->nullable_param().empty()) {  // `self.bias is not None`
        v.prov = Provenance::Config;
        v.null_test = true;
        v.set_nonnull_path(subject->nullable_param());
        v.nonnull_when = isnot;
        return v;
      }
      if (against_none && subject->prov == Provenance::Constant && subject->cval) {
        bool is_none = std::holds_alternative<ir::NoneConst>(*subject->cval);
        return constant(isnot ? !is_none : is_none);
      }
      v.prov = join(a.prov, b.prov);
      v.iter_loops = a.iter_loops;
      v.iter_loops.insert(b.iter_loops);
      if (subject->flag) {
        v.flag = subject->flag;
        v.flag_negated = isnot;
      }
      return v;
    }
    static const std::map<std::string, std::function<bool(double, double)>, std::less<>> kCmp = {
        {"eq", std::equal_to<double>()}, {"ne", std::not_equal_to<double>()}, {"lt", std::less<double>()},
        {"le", std::less_equal<double>()}, {"gt", std::greater<double>()}, {"ge", std::greater_equal<double>()}};
    auto cmp = kCmp.find(op);
    if (cmp != kCmp.end() && argc == 2) {
      const AbsVal& a = in(0);
      const AbsVal& b = in(1);
      auto x = number(a.cval), y = number(b.cval);
      if (a.prov == Provenance::Constant && b.prov == Provenance::Constant && x && y) {
        return constant(cmp->second(*x, *y));
      }
      if (a.prov == Provenance::Constant && b.prov == Provenance::Constant && a.cval && b.cval &&
          (op == "eq" || op == "ne")) {
        return constant((*a.cval == *b.cval) == (op == "eq"));
      }
    }
    if (op == "detach" || op == "detach_" || op == "item" || op == "tolist" || op == "numpy" ||
        non_differentiable(op)) {
      AbsVal v = generic(n, 0, op);
      if (op == "size" || op == "numel" || op == "dim") v.from_shape = true;
      if (v.mod) v.mod = nullptr;
      NeverReason::Kind k = (op == "detach" || op == "detach_") ? NeverReason::Kind::Detached
                                                                  : NeverReason::Kind::NonDifferentiable;
      if (!v.deps.empty()) cut(v.deps, k, n, std::string(op));
      v.deps.clear();
      // A flag compared with a constant is still that flag (self.mode == "x").
      if (argc >= 1 && in(0).flag) v.flag = in(0).flag;
      if (argc >= 1 && !in(0).global().empty()) v.set_global(in(0).global());
      return v;
    }
    AbsVal v = generic(n, 0, op);
    if (op == "contiguous" || op == "to") {
      std::string fmt_name;
      for (size_t i = 1; i < argc; ++i) {
        if (n.input_name(i) == "memory_format" && n.input(i)->node()) fmt_name = n.input(i)->node()->name;
      }
      if (fmt_name == "torch.channels_last" || fmt_name == "torch.channels_last_3d") {
        v.layout = AbsVal::Layout::ChannelsLast;
        v.set_layout_origin(n.span(), n.text, frame_->cls);
      } else if (op == "contiguous" || fmt_name == "torch.contiguous_format") {
        v.layout = AbsVal::Layout::Contiguous;
      }
    } else if (op == "permute" || op == "view" || op == "reshape" || op == "flatten" || op == "transpose" ||
               op == "movedim" || op == "unsqueeze" || op == "squeeze" || op == "mean" || op == "sum") {
      v.layout = AbsVal::Layout::Unknown;  // shape changes: strides are the op's own
    }
    if (argc >= 1) {
      v.set_elem(in(0).elem());
      v.set_nullable_param(in(0).nullable_param());  // `b = b.to(x.dtype)`: None exactly when the parameter is
      if (op == "append" || op == "extend" || op == "add" || op == "update" || op == "insert") {
        v.has_items = false;
        if (!v.elem() && argc >= 2) v.set_elem(std::make_shared<AbsVal>(in(1)));
      }
    }
    return v;
  }

  static AbsVal strip(AbsVal v) {
    v.deps.clear();
    return v;
  }

  // ---- control flow ------------------------------------------------------------

  struct CondGuards {
    Guard when_true, when_false;
  };

  /// The condition of `if_node` as guards over atoms: `a and b` holds under
  /// (a AND b) and fails under (not a OR not b); each leaf test is one atom.
  /// `negated`: an odd number of `not` above this leaf; `disjunct`: an `or` above it
  /// (then the then-branch does not pin the leaf's value).
  CondGuards decompose(const Value* v, const Node& if_node, int depth = 0, bool negated = false, bool disjunct = false) {
    const Node* d = v->node();
    if (d && depth < 12 && (d->is(kind::And) || d->is(kind::Or)) && d->inputs().size() == 2) {
      // and under an odd number of nots behaves as or, and the other way round.
      bool as_or = d->is(kind::Or) != negated;
      CondGuards x = decompose(d->input(0), if_node, depth + 1, negated, disjunct || as_or);
      CondGuards y = decompose(d->input(1), if_node, depth + 1, negated, disjunct || as_or);
      if (d->is(kind::And)) return {guard_and(x.when_true, y.when_true), guard_or(x.when_false, y.when_false)};
      return {guard_or(x.when_true, y.when_true), guard_and(x.when_false, y.when_false)};
    }
    if (d && depth < 12 && d->is(kind::Not) && d->inputs().size() == 1) {
      CondGuards x = decompose(d->input(0), if_node, depth + 1, !negated, disjunct);
      return {x.when_false, x.when_true};
    }
    AbsVal c = val(v);
    if (c.mod && !c.null_test) {  // `if self.head:`
      c.null_test = c.mod->optional;
      c.set_nonnull_path(c.mod->path);
      c.nonnull_when = true;
      c.prov = c.mod->optional ? Provenance::Config : Provenance::Constant;
      if (!c.mod->optional) c.cval = &const_true();
    }
    if (c.prov == Provenance::Constant && c.cval) {
      return is_true(c.cval) ? CondGuards{Guard(), Guard::never()} : CondGuards{Guard::never(), Guard()};
    }
    Atom a;
    a.kind = Atom::Kind::Branch;
    a.provenance = c.prov == Provenance::Constant ? Provenance::Config : c.prov;
    a.text = d && !d->text.empty() ? d->text : !v->debug_name().empty() && depth > 0 ? v->debug_name() : if_node.text;
    if (c.null_test) {
      a.nonnull_path = c.nonnull_path();
      a.nonnull_when = c.nonnull_when;
    }
    if (c.flag) {
      a.flag = c.flag;
      a.flag_init_text = c.flag->init_text;
      a.flag_negated = c.flag_negated;
    }
    a.global = c.global();
    for (int l : c.iter_loops) {
      if (std::find(frame_->loops.begin(), frame_->loops.end(), l) != frame_->loops.end()) a.iter_loops.insert(l);
    }
    for (const auto& node : if_node.block(0)->nodes()) {
      if (node->is(kind::ContinueStmt) || node->is(kind::BreakStmt)) a.skips_rest = true;
    }
    a.then_known = !disjunct;
    a.then_when = !negated;
    int id = intern_atom(if_node, a, condition_key(v));
    return {Guard(Lit{id, true}), Guard(Lit{id, false})};
  }

  bool eval_if(const Node& n) {
    AbsVal c = val(n.input(0));
    CondGuards g = decompose(n.input(0), n);
    if (g.when_true.always() || g.when_true.is_never()) {
      bool taken = g.when_true.always();
      const Block& live = *n.block(taken ? 0 : 1);
      record_dead_uses(*n.block(taken ? 1 : 0), n, !taken);
      bool ok = eval_block(live);
      for (size_t i = 0; i < n.outputs().size(); ++i) set(n.output(i), ok ? val(live.returns()[i]) : AbsVal{});
      return ok;
    }
    bool ok_then = eval_block(*n.block(0));
    bool ok_else = eval_block(*n.block(1));
    // In the training step itself, a path on which forward returns None (falling off
    // the end of an if/elif chain) is not a training step: the loss needs a tensor.
    if (frame_->depth == 0 && ok_then && ok_else) {
      for (size_t i = 0; i < n.outputs().size(); ++i) {
        if (n.output(i)->debug_name() != "return") continue;
        auto is_none = [](const AbsVal& v) {
          return v.prov == Provenance::Constant && v.cval && std::holds_alternative<ir::NoneConst>(*v.cval);
        };
        bool tn = is_none(val(n.block(0)->returns()[i])), en = is_none(val(n.block(1)->returns()[i]));
        if (tn != en) (tn ? ok_then : ok_else) = false;
      }
    }
    for (size_t i = 0; i < n.outputs().size(); ++i) {
      if (!ok_then && !ok_else) break;
      if (!ok_then || !ok_else) {  // the other path raises: no condition to speak of
        set(n.output(i), val((ok_then ? n.block(0) : n.block(1))->returns()[i]));
        continue;
      }
      const AbsVal& t = val(n.block(0)->returns()[i]);
      const AbsVal& e = val(n.block(1)->returns()[i]);
      const std::string& var = n.output(i)->debug_name();
      if (frame_->cls == out_.root && !var.empty() && var != "return") {
        auto& car = out_.carriers[&n];
        // Only a variable both paths define can take a term on the skipping path.
        auto defined = [](const ir::Value* v) { return !(v->node() && v->node()->is(kind::Uninitialized)); };
        if (defined(n.block(1)->returns()[i])) {
          for (const auto& [p, d] : t.deps) {
            if (!e.deps.count(p)) car.then_only.emplace(path_of(p), var);
          }
        }
        if (defined(n.block(0)->returns()[i])) {
          for (const auto& [p, d] : e.deps) {
            if (!t.deps.count(p)) car.else_only.emplace(path_of(p), var);
          }
        }
      }
      set(n.output(i), join_branches(t, e, g, c));
    }
    return ok_then || ok_else;
  }

  AbsVal join_branches(const AbsVal& t, const AbsVal& e, const CondGuards& g, const AbsVal& cond) {
    AbsVal out;
    for (const auto& [p, d] : t.deps) {
      auto it = e.deps.find(p);
      IDep nd = d;
      nd.guard = it == e.deps.end() ? guard_and(d.guard, g.when_true)
                                    : guard_or(guard_and(d.guard, g.when_true), guard_and(it->second.guard, g.when_false));
      if (!nd.guard.is_never()) out.deps.emplace(p, nd);
    }
    for (const auto& [p, d] : e.deps) {
      if (t.deps.count(p)) continue;
      IDep nd = d;
      nd.guard = guard_and(d.guard, g.when_false);
      if (!nd.guard.is_never()) out.deps.emplace(p, nd);
    }
    if (!t.nullable_param().empty() && t.nullable_param() == e.nullable_param()) out.set_nullable_param(t.nullable_param());
    out.never_none = t.never_none && e.never_none;
    out.prov = join(join(t.prov, e.prov), cond.prov == Provenance::Constant ? Provenance::Config : cond.prov);
    if (t.prov == Provenance::Constant && e.prov == Provenance::Constant && t.cval && e.cval && *t.cval == *e.cval) {
      out.prov = Provenance::Constant;
      out.cval = t.cval;
    }
    out.iter_loops = t.iter_loops;
    out.iter_loops.insert(e.iter_loops);
    out.iter_loops.insert(cond.iter_loops);
    if (t.mod && t.mod == e.mod && t.each_element == e.each_element) {
      out.mod = t.mod;
      out.each_element = t.each_element;
      out.set_mod_guard(guard_or(t.mod_guard(), e.mod_guard()));
    } else if (t.mod && !e.mod && e.cval && std::holds_alternative<ir::NoneConst>(*e.cval)) {
      out = t;  // `x = self.head if c else None`: the module, present only when c holds
      out.set_mod_guard(guard_and(t.mod_guard(), g.when_true));
      out.maybe_none = true;
    } else if (e.mod && !t.mod && t.cval && std::holds_alternative<ir::NoneConst>(*t.cval)) {
      out = e;
      out.set_mod_guard(guard_and(e.mod_guard(), g.when_false));
      out.maybe_none = true;
    }
    if (t.elem()) out.set_elem(t.elem());
    else if (e.elem()) out.set_elem(e.elem());
    return out;
  }

  void eval_loop(const Node& n) {
    const int id = ++loop_counter_;
    const AbsVal iterable = val(n.input(0));
    const Block& body = *n.block(0);
    const size_t carried = n.inputs().size() - 1;

    AbsVal elem;
    std::string element_path;  // deps under it are per element: each iteration uses its own
    bool while_loop = n.name == "while";
    if (while_loop) {
      elem = iterable;
    } else {
      elem = element_of(iterable);
    }
    auto note_elements = [&](const AbsVal& v) {
      if (v.mod && v.each_element) element_path = v.mod->path;
    };
    note_elements(elem);
    for (const auto& it : elem.items()) note_elements(it);
    elem.iter_loops.insert(id);
    if (!elem.items().empty()) {
      for (auto& it : elem.items_mut()) it.iter_loops.insert(id);
    }

    std::optional<int> zero_trip;
    if ((while_loop && !(iterable.prov == Provenance::Constant && is_true(iterable.cval))) ||
        (!while_loop && iterable.varying_length)) {
      Atom a;
      a.kind = Atom::Kind::ZeroTrip;
      a.provenance = Provenance::Varying;
      a.text = n.text;
      zero_trip = intern_atom(n, a);
    }

    std::vector<AbsVal> init(carried);
    for (size_t i = 0; i < carried; ++i) init[i] = val(n.input(i + 1));

    frame_->loops.push_back(id);
    std::vector<AbsVal> state = init;
    std::vector<AbsVal> rets(carried);
    bool ok = true;
    for (int pass = 0; pass < 2; ++pass) {
      set(body.params()[0], elem);
      for (size_t i = 0; i < carried; ++i) {
        AbsVal p = state[i];
        p.iter_loops.insert(id);
        set(body.params()[i + 1], std::move(p));
      }
      ok = eval_block(body);
      for (size_t i = 0; i < carried; ++i) rets[i] = ok ? val(body.returns()[i]) : state[i];
      // Next pass: what a previous iteration left, per element deps excluded (each
      // iteration has its own element).
      for (size_t i = 0; i < carried; ++i) {
        AbsVal next = init[i];
        for (const auto& [p, d] : rets[i].deps) {
          if (!element_path.empty() && path_under(path_of(p), element_path)) continue;
          if (!std::as_const(next.deps).count(p)) {
            next.deps.emplace(p, d);
          } else {
            auto it = next.deps.find_mut(p);
            it->second.guard = guard_or(it->second.guard, d.guard);
          }
        }
        next.prov = join(next.prov, rets[i].prov);
        next.mod = init[i].mod == rets[i].mod ? init[i].mod : nullptr;
        state[i] = next;
      }
    }
    frame_->loops.pop_back();

    for (size_t i = 0; i < carried; ++i) {
      AbsVal out;
      const AbsVal& a = init[i];
      const AbsVal& b = rets[i];
      for (const auto& [p, d] : b.deps) {
        auto it = a.deps.find(p);
        IDep nd = d;
        if (it != a.deps.end()) {
          nd.guard = guard_or(it->second.guard, d.guard);
        } else if (zero_trip) {
          nd.guard = guard_with(nd.guard, Lit{*zero_trip, true});
        }
        bool per_element = !element_path.empty() && path_under(path_of(p), element_path);
        if (!per_element) {  // conditions that change per iteration hold in some iteration
          nd.guard = nd.guard.get().filtered(
              [&](const Lit& l) { return !out_.atoms[static_cast<size_t>(l.atom)].iter_loops.count(id); });
        }
        out.deps.emplace(p, nd);
      }
      for (const auto& [p, d] : a.deps) {
        if (!out.deps.count(p)) out.deps.emplace(p, d);
      }
      out.prov = join(a.prov, b.prov);
      out.iter_loops = a.iter_loops;
      out.iter_loops.insert(b.iter_loops, id);
      if (a.mod && a.mod == b.mod) out.mod = a.mod;
      out.set_elem(b.elem() ? b.elem() : a.elem());
      set(n.output(i), std::move(out));
    }
  }

  const ir::Program& program_;
  Participation& out_;
  Frame* frame_ = nullptr;
  int calls_ = 0;
  int loop_counter_ = 0;
  int frame_counter_ = 0;
  Deps root_escaped_;
  std::vector<const std::string*> path_;  ///< parameter id -> path, in path order
  std::unordered_map<const ParamInfo*, uint32_t> pid_;
  std::vector<int> seen_stamp_;  ///< parameter id -> the last frame that noted it seen
  std::set<std::string> scopes_;
  std::vector<std::vector<AbsVal>> vals_pool_;
  std::deque<ir::Node> fake_nodes_;  ///< getattr(self, "name") as attribute reads
  std::unordered_map<const ModuleNode*, std::vector<uint32_t>> node_ids_;  ///< param_ids()  ///< value storage of finished frames
  std::map<std::tuple<const void*, std::string, const ModuleNode*, int>, int> atom_ids_;
  std::vector<std::tuple<const void*, const ModuleNode*>> on_stack_;  ///< (method, self) being interpreted
  /// The module calls being interpreted, outermost first, with their call sites.
  std::vector<std::pair<const ModuleNode*, ir::Span>> call_sites_;
  size_t steps_ = 0;
};

}  // namespace

const ir::Method* find_method(const ir::Program& program, const ir::ClassInfo& cls, const std::string& method,
                              const ir::ClassInfo** owner) {
  // The class itself first, and a class without bases: no search to set up.
  if (const ir::Method* m = cls.method(method)) {
    if (owner) *owner = &cls;
    return m;
  }
  if (cls.bases.empty()) return nullptr;
  const ir::ClassInfo* c = &cls;
  std::vector<const ir::ClassInfo*> queue{c};
  std::set<const ir::ClassInfo*> seen;
  while (!queue.empty()) {
    c = queue.front();
    queue.erase(queue.begin());
    if (!seen.insert(c).second || seen.size() > 32) continue;
    if (const ir::Method* m = c->method(method)) {
      if (owner) *owner = c;
      return m;
    }
    for (const auto& b : c->bases) {
      if (const ir::ClassInfo* bc = program.find_class(b)) queue.push_back(bc);
    }
  }
  return nullptr;
}

const ir::AttrFact* find_attr(const ir::Program& program, const ir::ClassInfo& cls, const std::string& name) {
  if (const ir::AttrFact* a = cls.attr(name)) return a;  // the class itself: no search to set up
  if (cls.bases.empty()) return nullptr;
  std::vector<const ir::ClassInfo*> queue{&cls};
  std::set<const ir::ClassInfo*> seen;
  while (!queue.empty()) {
    const ir::ClassInfo* c = queue.front();
    queue.erase(queue.begin());
    if (!seen.insert(c).second || seen.size() > 32) continue;
    if (const ir::AttrFact* a = c->attr(name)) return a;
    for (const auto& b : c->bases) {
      if (const ir::ClassInfo* bc = program.find_class(b)) queue.push_back(bc);
    }
  }
  return nullptr;
}

const ParamFact* Participation::fact(const std::string& path) const {
  for (const auto& f : facts) {
    if (f.param->path == path) return &f;
  }
  return nullptr;
}

void ContextIndex::add(const Participation& p) {
  parts_.push_back(&p);
  built_ = false;
}

void ContextIndex::build() const {
  used_as_child_.clear();
  varying_.clear();
  for (const Participation* p : parts_) {
    for (const ir::ClassInfo* c : p->entered_classes) {
      if (c != p->root) used_as_child_.insert(c);
    }
  }
  // Only the outermost models are real contexts: a class that is itself a submodule
  // sees unknown arguments only because it was analysed alone.
  for (const Participation* p : parts_) {
    if (used_as_child_.count(p->root) && !roots_.count(p->root)) continue;
    for (const Atom& a : p->atoms) {
      if (a.owner != p->root && a.provenance == Provenance::Varying) varying_.insert(key(a));
    }
  }
  built_ = true;
}

void ContextIndex::add_root(const ir::ClassInfo* c) {
  roots_.insert(c);
  built_ = false;
}

bool ContextIndex::varies(const Atom& a) const {
  if (a.provenance != Provenance::Varying) return false;
  if (!built_) build();
  if (!used_as_child_.count(a.owner) || roots_.count(a.owner)) return true;
  return varying_.count(key(a)) > 0;
}

Guard Participation::guard_for(const ParamFact& f, bool only_root) const {
  const ModuleNode* owner = tree->find(f.param->path.substr(0, f.param->path.rfind('.') == std::string::npos
                                                                   ? 0
                                                                   : f.param->path.rfind('.')));
  auto built_under = [&](const std::vector<std::string>& conds) {
    for (const ModuleNode* n = owner; n; n = n->parent) {
      for (const auto& b : n->built_when) {
        if (std::find(conds.begin(), conds.end(), b) != conds.end()) return true;
      }
    }
    return false;
  };
  return f.dep.guard.filtered([&](const Lit& l) {
    const Atom& a = atoms[static_cast<size_t>(l.atom)];
    if (only_root && a.owner != root) return false;
    if (!a.nonnull_path.empty() && l.positive == a.nonnull_when) {
      if (path_under(f.param->path, a.nonnull_path)) return false;
      // `if self.cross_attn:` guarding `self.cross_attn_ln`, both built under the same condition.
      const ModuleNode* tested = tree->find(a.nonnull_path);
      if (tested && !tested->built_when.empty() && built_under(tested->built_when)) return false;
    }
    // The condition __init__ built the module under: `if use_aux:` / `if self.use_aux:`.
    std::string t = ir::normalize_condition(a.text, a.owner ? *a.owner : *root);
    std::string holds = l.positive ? t : "not (" + t + ")";
    std::vector<std::string> lit{holds};
    if (a.flag && !a.flag_init_text.empty()) {
      bool pos = l.positive != a.flag_negated;
      lit.push_back(pos ? a.flag_init_text : "not (" + a.flag_init_text + ")");
    }
    if (built_under(lit)) return false;
    return true;
  });
}

Participation analyze_participation(const ir::Program& program, const ir::ClassInfo& root) {
  Participation out;
  out.root = &root;
  out.globals = &program.globals;
  out.tree = ModuleTree::build(program, root);
  const ir::ClassInfo* owner = nullptr;
  const ir::Method* forward = find_method(program, root, "forward", &owner);
  if (!forward) return out;
  out.method = "forward";
  Interpreter interp(program, out);
  Deps used = interp.run(root, *forward);
  if (!interp.reachable_root) return out;  // an abstract forward (raise NotImplementedError)
  out.analyzed = true;
  out.truncated = interp.truncated;
  for (const auto& [path, cls] : interp.entered_) {
    if (cls && !path.empty()) out.entered_classes.insert(cls);
  }

  out.facts.reserve(out.tree->params().size());
  // The outermost frame that dropped a parameter decides whose code is to blame.
  std::vector<const Event*> best_event(interp.param_count(), nullptr);
  for (const auto& e : interp.events) {
    const Event*& best = best_event[e.param];
    bool better = !best || e.depth < best->depth ||
                  (e.depth == best->depth && best->kind == NeverReason::Kind::Discarded &&
                   e.kind != NeverReason::Kind::Discarded);
    if (better) best = &e;
  }
  for (const ParamInfo* p : out.tree->params()) {
    ParamFact f;
    f.param = p;
    const uint32_t pid = interp.id_of(p);
    auto it = used.find(pid);
    if (it != used.end()) {
      f.dep = Interpreter::to_dep(it->second);
      f.state = it->second.guard.always() ? ParamFact::State::Always : ParamFact::State::Conditional;
      static const bool debug_facts = std::getenv("DDPLINT_DEBUG_FACTS") != nullptr;
      if (debug_facts) {
        std::string g;
        for (const auto& c : f.dep.guard.terms()) {
          g += "(";
          for (const auto& l : c) g += (l.positive ? "+" : "-") + std::to_string(l.atom) + " ";
          g += ")";
        }
        fprintf(stderr, "%s %s %s\n", root.name.c_str(), p->path.c_str(), g.c_str());
      }
      out.facts.push_back(std::move(f));
      continue;
    }
    f.state = ParamFact::State::Never;
    const Event* best = best_event[pid];
    const DeadUse* dead = nullptr;
    if (!best) {
      for (const auto& e : interp.dead_uses) {
        if (path_under(p->path, e.param) && (!dead || e.depth < dead->depth)) dead = &e;
      }
    }
    if (best) {
      f.never = best->reason();
    } else if (dead) {
      f.never = dead->reason;
    } else {
      // Never referenced: the class of the deepest module on its path whose code ran.
      f.never.kind = NeverReason::Kind::NotReferenced;
      f.never.blamed = &root;
      std::string prefix = p->path;
      while (true) {
        auto dot = prefix.rfind('.');
        prefix = dot == std::string::npos ? "" : prefix.substr(0, dot);
        auto e = interp.entered_.find(prefix);
        if (e != interp.entered_.end()) {
          const ModuleNode* node = out.tree->find(prefix);
          f.never.blamed = node && node->cls ? node->cls : (prefix.empty() ? &root : nullptr);
          break;
        }
        if (prefix.empty()) break;
      }
    }
    out.facts.push_back(std::move(f));
  }
  return out;
}

}  // namespace ddplint::passes

// Unit tests of the gradient-participation analysis: facts per parameter, guards
// and condition classes, without going through rules.
#include <gtest/gtest.h>

#include "lint/frontend/python/frontend.h"
#include "passes/participation.h"

using namespace ddplint;
using namespace ddplint::passes;

namespace {

struct Analyzed {
  ir::Program program;
  Participation part;
};

std::unique_ptr<Analyzed> analyze(const std::string& src, const std::string& cls) {
  auto a = std::make_unique<Analyzed>();
  DiagnosticSink sink;
  frontend::python::Frontend fe(a->program, sink);
  EXPECT_TRUE(fe.add_source("m.py", src));
  fe.lower();
  for (const auto& c : a->program.classes) {
    if (c->name == cls) a->part = analyze_participation(a->program, *c);
  }
  return a;
}

ParamFact::State state(const Analyzed& a, const std::string& path) {
  const ParamFact* f = a.part.fact(path);
  EXPECT_NE(f, nullptr) << "no parameter " << path;
  return f ? f->state : ParamFact::State::Never;
}

std::vector<Provenance> guard_classes(const Analyzed& a, const std::string& path) {
  std::vector<Provenance> out;
  const ParamFact* f = a.part.fact(path);
  if (!f) return out;
  for (const Lit& l : a.part.root_guard(*f).literals()) out.push_back(a.part.atoms[static_cast<size_t>(l.atom)].provenance);
  return out;
}

const char* kHeader = "import random\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n";

TEST(Participation, BranchOnInputIsConditionalAndVarying) {
  auto a = analyze(std::string(kHeader) + R"(class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x, y=None):
        x = self.a(x)
        if y is not None:
            x = x + self.b(y)
        return x
)", "M");
  ASSERT_TRUE(a->part.analyzed);
  EXPECT_EQ(state(*a, "a.weight"), ParamFact::State::Always);
  EXPECT_EQ(state(*a, "b.weight"), ParamFact::State::Conditional);
  EXPECT_EQ(guard_classes(*a, "b.bias"), std::vector<Provenance>{Provenance::Varying});
}

TEST(Participation, TrainingFoldsAndEvalOnlyBranchIsNever) {
  auto a = analyze(std::string(kHeader) + R"(class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x):
        if self.training:
            return self.a(x)
        return self.b(x)
)", "M");
  EXPECT_EQ(state(*a, "a.weight"), ParamFact::State::Always);
  const ParamFact* b = a->part.fact("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->state, ParamFact::State::Never);
  EXPECT_EQ(b->never.kind, NeverReason::Kind::EvalOnly);
}

TEST(Participation, ConfigFlagIsConfigClass) {
  auto a = analyze(std::string(kHeader) + R"(class M(nn.Module):
    def __init__(self, use_b=False):
        super().__init__()
        self.use_b = use_b
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x):
        x = self.a(x)
        if self.use_b:
            x = self.b(x)
        return x
)", "M");
  EXPECT_EQ(state(*a, "b.weight"), ParamFact::State::Conditional);
  EXPECT_EQ(guard_classes(*a, "b.weight"), std::vector<Provenance>{Provenance::Config});
}

TEST(Participation, NoneTestOfOptionalModuleGuardsNothing) {
  auto a = analyze(std::string(kHeader) + R"(class M(nn.Module):
    def __init__(self, aux=True):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.aux = nn.Linear(4, 4) if aux else None

    def forward(self, x):
        out = self.a(x)
        if self.aux is not None:
            out = out + self.aux(x)
        return out
)", "M");
  EXPECT_TRUE(guard_classes(*a, "aux.weight").empty());
}

TEST(Participation, DetachAndNoGradCut) {
  auto a = analyze(std::string(kHeader) + R"(class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)
        self.c = nn.Linear(4, 4)

    def forward(self, x):
        with torch.no_grad():
            t = self.b(x)
        return self.a(x) + t + self.c(x).detach() + self.a(x).argmax(-1)
)", "M");
  EXPECT_EQ(state(*a, "a.weight"), ParamFact::State::Always);
  EXPECT_EQ(a->part.fact("b.weight")->never.kind, NeverReason::Kind::NoGrad);
  EXPECT_EQ(a->part.fact("c.weight")->never.kind, NeverReason::Kind::Detached);
}

TEST(Participation, LoopInvariantUseInsidePerIterationBranchIsAlways) {
  // The router feeds every expert's output: some iteration always uses it.
  auto a = analyze(std::string(kHeader) + R"(class MoE(nn.Module):
    def __init__(self):
        super().__init__()
        self.router = nn.Linear(8, 4)
        self.experts = nn.ModuleList([nn.Linear(8, 8) for _ in range(4)])

    def forward(self, x):
        gate, index = F.softmax(self.router(x), -1).max(-1)
        out = torch.zeros_like(x)
        for i, expert in enumerate(self.experts):
            sel = (index == i).nonzero(as_tuple=True)[0]
            if sel.numel() == 0:
                continue
            out[sel] = expert(x[sel]) * gate[sel].unsqueeze(-1)
        return out
)", "MoE");
  EXPECT_EQ(state(*a, "router.weight"), ParamFact::State::Always);
  EXPECT_EQ(state(*a, "experts.*.weight"), ParamFact::State::Conditional);
}

TEST(Participation, RangeOverArgumentMayRunZeroTimes) {
  auto a = analyze(std::string(kHeader) + R"(class M(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.n = n
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x, steps: int = 1):
        for _ in range(self.n):
            x = self.a(x)
        for _ in range(steps):
            x = self.b(x)
        return x
)", "M");
  EXPECT_EQ(state(*a, "a.weight"), ParamFact::State::Always);
  EXPECT_EQ(state(*a, "b.weight"), ParamFact::State::Conditional);
}

TEST(Participation, FrozenParametersAreMarked) {
  auto a = analyze(std::string(kHeader) + R"(class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.t = nn.Linear(4, 4)
        self.t.requires_grad_(False)
        self.s = nn.Parameter(torch.ones(4), requires_grad=False)
        self.u = nn.Linear(4, 4)
        for p in self.u.parameters():
            p.requires_grad = False

    def forward(self, x):
        return self.a(x)
)", "M");
  for (const auto& f : a->part.facts) {
    bool frozen = f.param->path.rfind("a.", 0) != 0;
    EXPECT_EQ(f.param->trainable, !frozen) << f.param->path;
  }
}

TEST(Participation, SubmoduleInterpretedInCallerContext) {
  auto a = analyze(std::string(kHeader) + R"(class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.p = nn.Linear(4, 4)
        self.q = nn.Linear(4, 4)

    def forward(self, x, extra=None):
        x = self.p(x)
        if extra is None:
            return x
        return x + self.q(extra)


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x):
        return self.inner(x)
)", "Outer");
  // With `extra` left at its default, Inner.q never runs in this model, and that is
  // Inner's code deciding, not Outer's.
  const ParamFact* q = a->part.fact("inner.q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->state, ParamFact::State::Never);
  EXPECT_NE(q->never.blamed, a->part.root);
}

TEST(Participation, AbstractForwardIsNotAnalyzed) {
  auto a = analyze(std::string(kHeader) + R"(class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)

    def forward(self, x):
        raise NotImplementedError
)", "Base");
  EXPECT_FALSE(a->part.analyzed);
}

}  // namespace

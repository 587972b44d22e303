// The executor's per-graph plan (runtime/execution_plan.h): slots for every value the graph
// defines, each freed after its last reader and never while a later node still reads it, graph
// outputs never freed; and a held executor (whose plan is made once) gives, call after call on
// graphs of other sizes and contents, exactly what a fresh executor gives.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "gnnrt/runtime.h"
#include "engine/engine_contents.h"
#include "io/npz.h"
#include "runtime/execution_plan.h"
#include "runtime/executor.h"
#include "test_support.h"

namespace gnnrt {
namespace {

std::shared_ptr<Engine> fixture_engine(const std::string& case_name) {
  BuildConfig config;
  config.device = "cpu";
  return Engine::build_from_onnx((testing::fixtures_dir() / case_name / "dynamo" / "model.onnx").string(), config);
}

runtime::TensorMap fixture_inputs(const std::string& case_name, const std::string& graph) {
  runtime::TensorMap inputs;
  for (auto& [name, tensor] : io::read_npz((testing::fixtures_dir() / case_name / (graph + ".inputs.npz")).string()))
    inputs[name] = tensor;
  return inputs;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

TEST(ExecutionPlan, SlotsAndFreesFollowTheGraph) {
  auto engine = fixture_engine("gcn_cora");
  const ir::Graph& graph = engine->contents().model.graph;
  const runtime::ExecutionPlan plan = runtime::plan_graph(graph);
  ASSERT_EQ(plan.nodes.size(), graph.nodes.size());
  ASSERT_EQ(plan.input_slots.size(), graph.inputs.size());
  for (size_t i = 0; i < graph.inputs.size(); ++i)
    EXPECT_EQ(plan.slot_names[static_cast<size_t>(plan.input_slots[i])], graph.inputs[i].name);

  std::set<int32_t> output_slots;
  for (const runtime::ValueRef& out : plan.outputs) {
    ASSERT_GE(out.slot, 0) << *out.name;
    output_slots.insert(out.slot);
  }
  std::set<int32_t> freed;
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const runtime::PlannedNode& node = plan.nodes[i];
    EXPECT_EQ(node.node, &graph.nodes[i]);
    EXPECT_NE(node.kernel, nullptr) << node.node->describe();
    ASSERT_EQ(node.inputs.size(), graph.nodes[i].inputs.size());
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const std::string& name = graph.nodes[i].inputs[k];
      if (name.empty()) {
        EXPECT_TRUE(node.inputs[k].omitted());
        continue;
      }
      // A top-level graph defines everything its nodes read.
      ASSERT_GE(node.inputs[k].slot, 0) << name;
      EXPECT_EQ(plan.slot_names[static_cast<size_t>(node.inputs[k].slot)], name);
      EXPECT_FALSE(freed.count(node.inputs[k].slot)) << name << " read after it was freed";
    }
    for (const int32_t slot : node.frees) {
      EXPECT_FALSE(output_slots.count(slot)) << "graph output " << plan.slot_names[static_cast<size_t>(slot)] << " freed";
      EXPECT_TRUE(freed.insert(slot).second) << plan.slot_names[static_cast<size_t>(slot)] << " freed twice";
    }
  }
}

TEST(ExecutionPlan, AHeldExecutorMatchesAFreshOneOnGraphsOfOtherSizes) {
  auto engine = fixture_engine("gcn_cora");
  const ir::Graph& graph = engine->contents().model.graph;
  runtime::Executor held(graph);
  // Each graph of its own size and edges (one without edges, one of a single node); nothing of an
  // earlier call may leak into a later one.
  for (const std::string name : {"g0", "single_node", "g1", "empty_edges", "g2", "isolated", "g0"}) {
    const runtime::TensorMap inputs = fixture_inputs("gcn_cora", name);
    const runtime::TensorMap from_held = held.run(inputs);
    runtime::Executor fresh(graph);
    const runtime::TensorMap from_fresh = fresh.run(inputs);
    ASSERT_EQ(from_held.size(), from_fresh.size());
    for (const auto& [output, tensor] : from_fresh)
      EXPECT_TRUE(same_bytes(from_held.at(output), tensor)) << name << ": " << output;
  }
}

}  // namespace
}  // namespace gnnrt

// gnnrt bench on the CPU through the real binary: the report lines, the JSON it writes, the
// inputs it saves, and the user's mistakes (GPU timing is measured on the GPU machine only).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "io/npz.h"
#include "io/synthetic_graphs.h"
#include "test_support.h"

namespace gnnrt {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::run_gnnrt;
using testing::TempDir;

const fs::path kCoraModel = testing::fixtures_dir() / "gcn_cora" / "torchscript" / "model.onnx";
const fs::path kPoolModel = testing::fixtures_dir() / "gcn_graph_mean_pool" / "dynamo" / "model.onnx";

// The number after `"key": ` in the JSON text (NaN when the key is missing).
double json_number(const std::string& json, const std::string& key) {
  const std::string pattern = "\"" + key + "\": ";
  const size_t at = json.find(pattern);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + at + pattern.size(), nullptr);
}

// The number that follows `label` in the report line that starts with `line` (NaN when missing).
double report_number(const std::string& output, const std::string& line, const std::string& label) {
  const size_t line_start = output.find(line);
  if (line_start == std::string::npos) return std::nan("");
  const size_t at = output.find(label, line_start);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(output.c_str() + at + label.size(), nullptr);
}

TEST(CliBench, TinySyntheticWorkloadOnTheCpuReportsLatencyAndWritesJson) {
  TempDir dir;
  const auto result = run_gnnrt("bench --device cpu --onnx " + quoted(kCoraModel) +
                                " --synthetic nodes=60,edges=240,seed=5 --warmup 1 --iterations 3 --json " +
                                quoted(dir / "bench.json"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string& out = result.output;
  EXPECT_NE(out.find("device: cpu: "), std::string::npos) << out;
  EXPECT_NE(out.find("OpenMP threads"), std::string::npos) << out;
  // x's width comes from the model's declared x (1433 for the Cora GCN).
  EXPECT_NE(out.find("workload: synthetic power-law graph (seed 5"), std::string::npos) << out;
  EXPECT_NE(out.find("60 nodes, 240 edges, 1 graph(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("x float32[60, 1433]"), std::string::npos) << out;
  EXPECT_NE(out.find("timed: 3 call(s) after 1 warm-up call(s), with the host's steady clock"), std::string::npos)
      << out;
  EXPECT_NE(out.find("wrote " + (dir / "bench.json").string()), std::string::npos) << out;

  const std::string latency = "latency (ms): ";
  const double min = report_number(out, latency, "min "), median = report_number(out, latency, ", median "),
               p90 = report_number(out, latency, ", p90 "), max = report_number(out, latency, ", max ");
  EXPECT_GT(min, 0.0) << out;
  EXPECT_LE(min, median);
  EXPECT_LE(median, p90);
  EXPECT_LE(p90, max);
  const double graphs_per_s = report_number(out, "throughput: ", "throughput: ");
  EXPECT_NEAR(graphs_per_s, 1000.0 / median, 1e-3 * graphs_per_s) << out;

  const std::string json = testing::read_file((dir / "bench.json").string());
  for (const char* key : {"\"model\"", "\"device\": \"cpu\"", "\"device_name\"", "\"workload\"",
                          "\"source\": \"synthetic-power-law\"", "\"timer\": \"steady_clock\"", "\"timed\"",
                          "\"latency_ms\"", "\"throughput\"", "\"samples_ms\"", "\"max_out_degree\""})
    EXPECT_NE(json.find(key), std::string::npos) << key << " not in:\n" << json;
  EXPECT_EQ(json_number(json, "num_nodes"), 60);
  EXPECT_EQ(json_number(json, "num_edges"), 240);
  EXPECT_EQ(json_number(json, "feature_width"), 1433);
  EXPECT_EQ(json_number(json, "seed"), 5);
  EXPECT_EQ(json_number(json, "warmup"), 1);
  EXPECT_EQ(json_number(json, "iterations"), 3);
  // The JSON holds the same numbers as the report (printed with 6 significant digits).
  EXPECT_NEAR(json_number(json, "median"), median, 1e-5 * median + 1e-9);
  EXPECT_NEAR(json_number(json, "min"), min, 1e-5 * min + 1e-9);
  // Three samples, each inside [min, max].
  const size_t samples = json.find("\"samples_ms\": [");
  ASSERT_NE(samples, std::string::npos);
  const std::string list = json.substr(samples, json.find(']', samples) - samples);
  EXPECT_EQ(std::count(list.begin(), list.end(), ','), 2) << list;
}

TEST(CliBench, SavedInputsAreTheGeneratedGraphAndCanBeBenchedAgain) {
  TempDir dir;
  const auto saved = run_gnnrt("bench --device cpu --onnx " + quoted(kPoolModel) +
                               " --synthetic molecules=6,seed=11 --iterations 0 --save-inputs " +
                               quoted(dir / "graph.npz"));
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
  EXPECT_EQ(saved.output.find("latency"), std::string::npos) << "--iterations 0 must not time anything";
  const io::NamedTensors inputs = io::read_npz((dir / "graph.npz").string());
  ASSERT_EQ(inputs.size(), 3u);
  io::MoleculeBatchSpec spec;
  spec.num_graphs = 6;
  spec.feature_width = 8;  // the pooling fixture's declared x width
  spec.seed = 11;
  const io::SyntheticGraph expected = io::make_molecule_batch(spec);
  for (const auto& [name, tensor] : inputs) {
    if (name == "x") testing::expect_same_tensor(tensor, expected.x);
    else if (name == "edge_index") testing::expect_same_tensor(tensor, expected.edge_index);
    else if (name == "batch") testing::expect_same_tensor(tensor, expected.batch);
    else ADD_FAILURE() << "unexpected array " << name;
  }

  const auto rerun = run_gnnrt("bench --device cpu --onnx " + quoted(kPoolModel) + " --inputs " +
                               quoted(dir / "graph.npz") + " --warmup 0 --iterations 2");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("workload: graph from"), std::string::npos) << rerun.output;
  EXPECT_NE(rerun.output.find(cat(expected.x.dim(0), " nodes, ", expected.edge_index.dim(1), " edges, 6 graph(s)")),
            std::string::npos)
      << rerun.output;
  // Throughput in graphs counts the batch's graphs.
  const double median = report_number(rerun.output, "latency (ms): ", ", median ");
  EXPECT_NEAR(report_number(rerun.output, "throughput: ", "throughput: "), 6 * 1000.0 / median, 1e-2 * 6000.0 / median)
      << rerun.output;
}

TEST(CliBench, MistakesAreReportedWithExitCode2AndNothingIsWritten) {
  TempDir dir;
  const std::string model = " --device cpu --onnx " + quoted(kCoraModel);
  struct Case {
    std::string arguments, message;
  };
  const std::vector<Case> cases = {
      {model + " --synthetic nodes=10", "give both nodes= and edges="},
      {model + " --synthetic nodes=10,edges=-3", "edges must be a non-negative integer, got '-3'"},
      {model + " --synthetic nodes=10,edges=5,colour=2", "unknown key 'colour'"},
      {model + " --synthetic molecules=3,nodes=4", "do not combine it with nodes="},
      {model + " --synthetic nodes=10,edges=5,exponent=9", "exponent must be in [0, 4], got 9"},
      {model + " --synthetic nodes=0,edges=5", "5 edges need at least one node"},
      {model + " --synthetic nodes=10,edges=5 --iterations 0", "--iterations must be >= 1"},
      {model, "exactly one of --inputs in.npz or --synthetic"},
      {" --device cpu --synthetic nodes=10,edges=5", "exactly one of --onnx M.onnx or --engine M.engine"},
  };
  for (const Case& c : cases) {
    const auto result = run_gnnrt("bench" + c.arguments + " --json " + quoted(dir / "out.json"));
    EXPECT_EQ(result.exit_code, 2) << c.arguments << "\n" << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << c.arguments << "\n" << result.output;
    EXPECT_FALSE(fs::exists(dir / "out.json")) << c.arguments;
  }
}

}  // namespace
}  // namespace gnnrt

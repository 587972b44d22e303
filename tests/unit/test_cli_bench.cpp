// gnnrt bench through the real binary, on the CPU with small graphs: the phases it reports, the
// JSON it writes, the inputs and outputs it saves, named workloads, precision flags, the profile
// table, and the user's mistakes. No timing is asserted (GPU timing is measured on the GPU machine);
// one test runs on CUDA where a GPU is present and skips otherwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "io/npz.h"
#include "io/synthetic_graphs.h"
#include "runtime/backend.h"
#include "test_support.h"

namespace gnnrt {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::run_gnnrt;
using testing::TempDir;

const fs::path kCoraModel = testing::fixtures_dir() / "gcn_cora" / "torchscript" / "model.onnx";
const fs::path kPoolModel = testing::fixtures_dir() / "gcn_graph_mean_pool" / "dynamo" / "model.onnx";

// The text after `"key": ` in the JSON, from position `from` on ("" when missing).
size_t json_value_at(const std::string& json, const std::string& key, size_t from = 0) {
  const std::string pattern = "\"" + key + "\": ";
  const size_t at = json.find(pattern, from);
  return at == std::string::npos ? std::string::npos : at + pattern.size();
}

// The number after `"key": ` (the first one at or after `from`); NaN when missing.
double json_number(const std::string& json, const std::string& key, size_t from = 0) {
  const size_t at = json_value_at(json, key, from);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + at, nullptr);
}

// The text of the object or array that starts after `"key": ` (balanced braces), "" when missing.
std::string json_block(const std::string& json, const std::string& key, size_t from = 0) {
  const size_t at = json_value_at(json, key, from);
  if (at == std::string::npos || (json[at] != '{' && json[at] != '[')) return "";
  int depth = 0;
  for (size_t i = at; i < json.size(); ++i) {
    if (json[i] == '{' || json[i] == '[') ++depth;
    if (json[i] == '}' || json[i] == ']') --depth;
    if (depth == 0) return json.substr(at, i - at + 1);
  }
  return "";
}

// The report line that starts with `prefix` ("" when missing).
std::string line_starting(const std::string& output, const std::string& prefix) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(prefix, 0) == 0) return line;
  return "";
}

// The numbers on a line, after its `skip` leading characters.
std::vector<double> numbers_in(const std::string& line, size_t skip) {
  std::istringstream in(line.substr(std::min(skip, line.size())));
  std::vector<double> values;
  double value = 0;
  while (in >> value) values.push_back(value);
  return values;
}

std::string first_line(const std::string& output) { return output.substr(0, output.find('\n')); }

// Runs bench and expects success.
testing::CommandResult bench(const std::string& arguments) {
  testing::CommandResult result = run_gnnrt("bench " + arguments);
  EXPECT_EQ(result.exit_code, 0) << arguments << "\n" << result.output;
  return result;
}

TEST(CliBench, NamedWorkloadOnTheCpuReportsEveryPhaseAndWritesJson) {
  TempDir dir;
  const auto result = bench("--device cpu --onnx " + quoted(kCoraModel) +
                            " --graph chung-lu:nodes=60,edges=240 --seed 5 --warmup 1 --iterations 3 "
                            "--cold-iterations 2 --json " + quoted(dir / "bench.json"));
  const std::string& out = result.output;
  // The first line names the CPU.
  EXPECT_EQ(first_line(out).rfind("device: cpu: ", 0), 0u) << out;
  EXPECT_NE(first_line(out).find("OpenMP threads"), std::string::npos) << out;
  EXPECT_NE(out.find("precision fp32"), std::string::npos) << out;
  // x's width comes from the model's declared x (1433 for the Cora GCN).
  EXPECT_NE(out.find("workload: chung-lu:nodes=60,edges=240: Chung-Lu graph (Pareto shape 2, seed 5)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("60 nodes, 240 edges, 1 graph(s); x float32[60, 1433]; edge_index int64[2, 240]"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("degrees: in max "), std::string::npos) << out;

  // One line per CPU phase, with count, min, mean, median, p90, p95, p99 in order; no copies.
  struct Phase {
    const char* title;
    double calls;
  };
  for (const Phase& phase : {Phase{"compute (warm, graph bound)", 3}, Phase{"compute (warm, structure cache)", 3},
                             Phase{"cold (structure part included)", 2}, Phase{"end-to-end (host in, host out)", 2}}) {
    const std::string line = line_starting(out, phase.title);
    ASSERT_FALSE(line.empty()) << phase.title << " missing in:\n" << out;
    const std::vector<double> values = numbers_in(line, std::string(phase.title).size());
    ASSERT_GE(values.size(), 7u) << line;
    EXPECT_EQ(values[0], phase.calls) << line;
    EXPECT_GT(values[1], 0.0) << line;
    EXPECT_LE(values[1], values[3]) << line;  // min <= median
    EXPECT_LE(values[3], values[4]) << line;  // median <= p90
    EXPECT_LE(values[4], values[5]) << line;  // p90 <= p95
    EXPECT_LE(values[5], values[6]) << line;  // p95 <= p99
  }
  EXPECT_EQ(out.find("H2D"), std::string::npos) << "no copies on the CPU:\n" << out;
  EXPECT_EQ(out.find("peak device memory"), std::string::npos) << out;
  EXPECT_NE(out.find("throughput (compute (warm, graph bound), median): "), std::string::npos) << out;
  // The GCN's degrees and normalisation depend on edge_index only: a structure part to cache.
  const std::string structure = line_starting(out, "structure part: ");
  EXPECT_NE(structure.find("; every cached call reused it"), std::string::npos) << out;
  EXPECT_GT(numbers_in(structure, std::string("structure part: ").size()).at(0), 0.0) << structure;

  const std::string json = testing::read_file((dir / "bench.json").string());
  for (const char* key : {"\"format\": \"gnnrt-bench/2\"", "\"device\": \"cpu\"", "\"precision\": \"fp32\"",
                          "\"source\": \"synthetic-chung-lu\"", "\"timer\": \"steady_clock\"", "\"latency_ms\"",
                          "\"throughput_end_to_end\"", "\"memory\": null", "\"profile\": null",
                          "\"in_degree\": {\"max\": ", "\"max_out_degree\"", "\"cache_hit_every_call\": true"})
    EXPECT_NE(json.find(key), std::string::npos) << key << " not in:\n" << json;
  EXPECT_EQ(json_number(json, "num_nodes"), 60);
  EXPECT_EQ(json_number(json, "num_edges"), 240);
  EXPECT_EQ(json_number(json, "feature_width"), 1433);
  EXPECT_EQ(json_number(json, "seed"), 5);
  EXPECT_EQ(json_number(json, "pareto_shape"), 2);
  EXPECT_EQ(json_number(json, "iterations"), 3);
  EXPECT_EQ(json_number(json, "cold_iterations"), 2);

  const std::string phases = json_block(json, "phases");
  ASSERT_FALSE(phases.empty()) << json;
  for (const char* key : {"compute_bound", "compute_cached", "cold", "end_to_end", "end_to_end_new_graph"}) {
    const std::string phase = json_block(phases, key);
    ASSERT_FALSE(phase.empty()) << key << " not in:\n" << phases;
    const double count = json_number(phase, "count");
    EXPECT_EQ(count, std::string(key).rfind("compute", 0) == 0 ? 3 : 2) << key;
    const std::string samples = json_block(phase, "samples_ms");
    EXPECT_EQ(std::count(samples.begin(), samples.end(), ','), count - 1) << samples;
    for (const char* statistic : {"min", "mean", "median", "p90", "p95", "p99", "max"})
      EXPECT_GT(json_number(phase, statistic), 0.0) << key << " " << statistic;
  }
  EXPECT_EQ(json_block(phases, "h2d"), "");
  // latency_ms is format 1's field: the end-to-end phase.
  EXPECT_EQ(json_number(json, "median", json.find("\"latency_ms\"")),
            json_number(json_block(phases, "end_to_end"), "median"));
  // Throughput is counted at the bound phase's median: 240 edges per call.
  const double bound_median = json_number(json_block(phases, "compute_bound"), "median");
  EXPECT_NEAR(json_number(json, "edges_per_s"), 240 * 1000.0 / bound_median, 1e-6 * 240000.0 / bound_median);
}

TEST(CliBench, DurationKeepsTheWarmPhasesRunningPastTheIterationCount) {
  TempDir dir;
  bench("--device cpu --onnx " + quoted(kPoolModel) + " --graph molecules-2 --warmup 0 --iterations 1 "
        "--duration 0.3 --cold-iterations 1 --json " + quoted(dir / "bench.json"));
  const std::string phases = json_block(testing::read_file((dir / "bench.json").string()), "phases");
  // A call on 2 small molecules takes well under a millisecond: 0.3 s holds many.
  EXPECT_GT(json_number(json_block(phases, "compute_bound"), "count"), 2);
  EXPECT_GT(json_number(json_block(phases, "compute_cached"), "count"), 2);
  EXPECT_EQ(json_number(json_block(phases, "cold"), "count"), 1);
  EXPECT_EQ(json_number(json_block(phases, "end_to_end"), "count"), 1);
}

TEST(CliBench, DumpProfilePrintsEveryNodeSortedByTimeAndTheStructurePart) {
  TempDir dir;
  const auto result = bench("--device cpu --onnx " + quoted(kCoraModel) + " --graph chung-lu:nodes=80,edges=300 "
                            "--warmup 0 --iterations 1 --dump-profile --profile-calls 3 --json " +
                            quoted(dir / "bench.json"));
  const std::string& out = result.output;
  const size_t warm = out.find("profile: median per node of 3 profiled warm call(s)");
  const size_t cold = out.find("profile of the structure part (one cold call");
  ASSERT_NE(warm, std::string::npos) << out;
  ASSERT_NE(cold, std::string::npos) << out;
  // Each table: a header, rows "ms percent% device op node" sorted by ms, and a total.
  for (const auto& [start, end] : {std::pair{warm, cold}, std::pair{cold, out.size()}}) {
    std::istringstream table(out.substr(start, end - start));
    std::string line;
    std::getline(table, line);  // title
    std::getline(table, line);  // header
    EXPECT_NE(line.find("device"), std::string::npos) << line;
    std::vector<double> times;
    double percent_total = 0;
    while (std::getline(table, line) && line.find("total of") == std::string::npos) {
      std::istringstream fields(line);
      double ms = 0, percent = 0;
      std::string percent_sign, device, op;
      fields >> ms >> percent >> percent_sign >> device >> op;
      ASSERT_FALSE(op.empty()) << line;
      EXPECT_TRUE(device == "cpu") << line;
      times.push_back(ms);
      percent_total += percent;
    }
    ASSERT_FALSE(times.empty()) << out.substr(start, end - start);
    EXPECT_TRUE(std::is_sorted(times.rbegin(), times.rend())) << out.substr(start, end - start);
    EXPECT_NEAR(percent_total, 100.0, 0.1 * static_cast<double>(times.size()) + 0.1);
    EXPECT_NE(line.find("total of " + std::to_string(times.size()) + " node(s)"), std::string::npos) << line;
  }
  // The JSON has both tables, node by node; warm calls skip the structure part's nodes.
  const std::string json = testing::read_file((dir / "bench.json").string());
  const std::string warm_rows = json_block(json, "warm");
  const std::string cold_rows = json_block(json, "cold_structure");
  const auto rows = [](const std::string& block) {
    size_t count = 0;
    for (size_t at = block.find("\"node\""); at != std::string::npos; at = block.find("\"node\"", at + 1)) ++count;
    return count;
  };
  EXPECT_EQ(json_number(json, "warm_calls"), 3);
  EXPECT_EQ(rows(warm_rows) + rows(cold_rows), json_number(json, "engine_nodes")) << json;
  EXPECT_EQ(rows(cold_rows), json_number(json, "nodes", json.find("\"structure\""))) << json;
}

TEST(CliBench, GeneratesANamedWorkloadWithoutAModel) {
  TempDir dir;
  const auto result = bench("--graph chung-lu:nodes=50,edges=200,width=4 --seed 3 --save-inputs " +
                            quoted(dir / "graph.npz") + " --iterations 0 --json " + quoted(dir / "graph.json"));
  EXPECT_EQ(first_line(result.output).rfind("device: cpu: ", 0), 0u) << result.output;
  EXPECT_NE(result.output.find("generating the graph only"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("phase"), std::string::npos) << "--iterations 0 must not time anything";
  io::ChungLuGraphSpec spec;
  spec.num_nodes = 50;
  spec.num_edges = 200;
  spec.feature_width = 4;
  spec.seed = 3;
  const io::SyntheticGraph expected = io::make_chung_lu_graph(spec);
  const io::NamedTensors saved = io::read_npz((dir / "graph.npz").string());
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_EQ(saved[0].first, "x");
  testing::expect_same_tensor(saved[0].second, expected.x);
  EXPECT_EQ(saved[1].first, "edge_index");
  testing::expect_same_tensor(saved[1].second, expected.edge_index);
  // The degree line and the JSON describe the graph, with no phases.
  const io::DegreeSummary in = io::summarize_degrees(expected.edge_index, 50, 1);
  EXPECT_NE(result.output.find("degrees: in max " + std::to_string(in.max) + ", mean 4;"), std::string::npos)
      << result.output;
  const std::string json = testing::read_file((dir / "graph.json").string());
  EXPECT_NE(json.find("\"phases\": null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"model\": null"), std::string::npos) << json;
  EXPECT_EQ(json_number(json, "max", json.find("\"in_degree\"")), in.max) << json;

  // A molecule batch: x of the named width 32, and a sorted batch vector.
  bench("--graph molecules-3 --save-inputs " + quoted(dir / "molecules.npz") + " --iterations 0");
  const io::NamedTensors batch = io::read_npz((dir / "molecules.npz").string());
  ASSERT_EQ(batch.size(), 3u);
  io::MoleculeBatchSpec molecules;
  molecules.num_graphs = 3;
  molecules.feature_width = 32;
  testing::expect_same_tensor(batch[2].second, io::make_molecule_batch(molecules).batch);
  EXPECT_EQ(batch[0].second.dim(1), 32);
}

TEST(CliBench, GraphFromAFileIsTheSavedGraphAndSavedOutputsMatchGnnrtRun) {
  TempDir dir;
  bench("--device cpu --onnx " + quoted(kPoolModel) + " --graph molecules-6 --seed 11 --iterations 0 --save-inputs " +
        quoted(dir / "graph.npz"));
  const io::NamedTensors inputs = io::read_npz((dir / "graph.npz").string());
  ASSERT_EQ(inputs.size(), 3u);
  io::MoleculeBatchSpec spec;
  spec.num_graphs = 6;
  spec.feature_width = 8;  // the pooling fixture's declared x width, not the named 32
  spec.seed = 11;
  const io::SyntheticGraph expected = io::make_molecule_batch(spec);
  for (const auto& [name, tensor] : inputs) {
    if (name == "x") testing::expect_same_tensor(tensor, expected.x);
    else if (name == "edge_index") testing::expect_same_tensor(tensor, expected.edge_index);
    else if (name == "batch") testing::expect_same_tensor(tensor, expected.batch);
    else ADD_FAILURE() << "unexpected array " << name;
  }

  const auto rerun = bench("--device cpu --onnx " + quoted(kPoolModel) + " --graph " + quoted(dir / "graph.npz") +
                           " --warmup 0 --iterations 2 --save-outputs " + quoted(dir / "bench_out.npz"));
  EXPECT_NE(rerun.output.find("workload: graph from"), std::string::npos) << rerun.output;
  EXPECT_NE(rerun.output.find(cat(expected.x.dim(0), " nodes, ", expected.edge_index.dim(1), " edges, 6 graph(s)")),
            std::string::npos)
      << rerun.output;
  // --inputs is the older spelling of the same thing.
  bench("--device cpu --onnx " + quoted(kPoolModel) + " --inputs " + quoted(dir / "graph.npz") +
        " --warmup 0 --iterations 1");

  // The bound warm call computes what `gnnrt run` does.
  const auto run = run_gnnrt("run --device cpu --onnx " + quoted(kPoolModel) + " --inputs " +
                             quoted(dir / "graph.npz") + " --output " + quoted(dir / "run_out.npz"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const io::NamedTensors from_bench = io::read_npz((dir / "bench_out.npz").string());
  const io::NamedTensors from_run = io::read_npz((dir / "run_out.npz").string());
  ASSERT_EQ(from_bench.size(), from_run.size());
  ASSERT_FALSE(from_bench.empty());
  EXPECT_EQ(from_bench[0].first, from_run[0].first);
  EXPECT_EQ(from_bench[0].second.dim(0), 6);  // one row per graph
  const std::vector<float> a = testing::values_of<float>(from_bench[0].second);
  const std::vector<float> b = testing::values_of<float>(from_run[0].second);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5f * (1.0f + std::abs(b[i]))) << i;
  EXPECT_GT(std::count_if(a.begin(), a.end(), [](float v) { return v != 0.0f; }), 0);
}

TEST(CliBench, AnEngineFileIsBenchedOnItsOwnDeviceAndPassesCanBeTurnedOff) {
  TempDir dir;
  const auto built = run_gnnrt("build --device cpu --onnx " + quoted(kPoolModel) + " --save " +
                               quoted(dir / "m.engine"));
  ASSERT_EQ(built.exit_code, 0) << built.output;
  const auto result = bench("--engine " + quoted(dir / "m.engine") + " --graph molecules-3 --warmup 0 --iterations 1");
  EXPECT_EQ(first_line(result.output).rfind("device: cpu: ", 0), 0u) << result.output;
  EXPECT_NE(result.output.find("(engine, "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("x float32[", 0), std::string::npos) << result.output;

  // --disable-pass reaches the builder: a pass name it does not know is refused, naming it, and
  // a known one is turned off.
  const auto unknown = run_gnnrt("bench --device cpu --onnx " + quoted(kPoolModel) +
                                 " --graph molecules-3 --iterations 1 --disable-pass no_such_pass");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("no_such_pass"), std::string::npos) << unknown.output;
  bench("--device cpu --onnx " + quoted(kPoolModel) +
        " --graph molecules-3 --warmup 0 --iterations 1 --disable-pass dead_code_elimination");
}

TEST(CliBench, PrecisionFlagsReachTheBuilder) {
  TempDir dir;
  for (const std::string precision : {"fp16", "bf16"}) {
    const auto result = bench("--device cpu --onnx " + quoted(kCoraModel) + " --" + precision +
                              " --graph cora-size --warmup 0 --iterations 1 --cold-iterations 1 --json " +
                              quoted(dir / "bench.json"));
    EXPECT_NE(result.output.find("precision " + precision), std::string::npos) << result.output;
    const std::string json = testing::read_file((dir / "bench.json").string());
    EXPECT_NE(json.find("\"precision\": \"" + precision + "\""), std::string::npos) << json;
    EXPECT_EQ(json_number(json, "num_nodes"), 2708);
    EXPECT_EQ(json_number(json, "num_edges"), 10556);
  }
}

TEST(CliBench, MistakesAreReportedWithExitCode2AndNothingIsWritten) {
  TempDir dir;
  const std::string model = " --device cpu --onnx " + quoted(kCoraModel);
  const std::string npz = quoted(dir / "graph.npz");
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
      {model, "exactly one of --graph NAME|FILE.npz, --inputs in.npz or --synthetic"},
      {model + " --graph cora-size --synthetic nodes=3,edges=2", "exactly one of --graph"},
      {model + " --graph arxiv", "not a named workload nor an .npz file; the named workloads are cora-size, arxiv-size"},
      {model + " --graph molecules-0", "G >= 1"},
      {model + " --graph chung-lu:nodes=5", "give both nodes= and edges="},
      {model + " --graph cora-size --pareto-shape 0.1", "--pareto-shape must be in [0.5, 1000], got 0.1"},
      {model + " --synthetic nodes=10,edges=5 --seed 3", "--seed applies to a named workload"},
      {model + " --graph " + quoted(dir / "missing.npz"), "missing.npz"},
      {model + " --graph cora-size --duration -1", "--duration must be >= 0"},
      {model + " --graph cora-size --cold-iterations 0", "--cold-iterations must be >= 1"},
      {model + " --graph cora-size --fp16 --bf16", "at most one of --fp16 and --bf16"},
      {" --device cpu --engine " + quoted(dir / "m.engine") + " --graph cora-size --fp16",
       "--fp16 chooses the precision when a model is built: use it with --onnx"},
      {" --device cpu --engine " + quoted(dir / "m.engine") + " --graph cora-size --disable-pass dead_code",
       "--disable-pass applies when a model is built: use it with --onnx"},
      {" --device cpu --synthetic nodes=10,edges=5", "exactly one of --onnx M.onnx or --engine M.engine"},
      {" --graph cora-size --iterations 3", "without a model, gnnrt bench only generates a graph"},
      {" --graph " + npz + " --save-inputs " + npz + " --iterations 0", "only generates a named workload"},
      {model + " --graph cora-size --streams 2", "--streams times concurrent GPU streams: use it with --device cuda"},
      {model + " --graph cora-size --streams -1", "--streams must be in [1, 64], got -1"},
  };
  for (const Case& c : cases) {
    const auto result = run_gnnrt("bench" + c.arguments + " --json " + quoted(dir / "out.json"));
    EXPECT_EQ(result.exit_code, 2) << c.arguments << "\n" << result.output;
    EXPECT_NE(result.output.find(c.message), std::string::npos) << c.arguments << "\n" << result.output;
    EXPECT_FALSE(fs::exists(dir / "out.json")) << c.arguments;
    EXPECT_FALSE(fs::exists(dir / "graph.npz")) << c.arguments;
  }
}

TEST(CliBench, HelpNamesThePhasesAndTheWorkloads) {
  const auto result = run_gnnrt("bench --help");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  for (const char* text : {"GPU compute (warm, graph bound)", "cold", "H2D", "end-to-end", "--graph", "arxiv-size",
                           "products-size", "molecules-G", "--fp16", "--bf16", "--duration", "--dump-profile",
                           "--json", "--save-inputs", "p99", "--streams"})
    EXPECT_NE(result.output.find(text), std::string::npos) << text << " not in:\n" << result.output;
}

TEST(CliBench, OnCudaEveryPhaseIsTimedAndPeakMemoryIsReported) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  TempDir dir;
  const auto result = bench("--device cuda --onnx " + quoted(kCoraModel) + " --graph cora-size --warmup 2 "
                            "--iterations 5 --dump-profile --json " + quoted(dir / "bench.json"));
  const std::string& out = result.output;
  EXPECT_EQ(first_line(out).rfind("device: cuda: ", 0), 0u) << out;
  EXPECT_NE(first_line(out).find("(sm_"), std::string::npos) << out;
  for (const char* title : {"GPU compute (warm, graph bound)", "GPU compute (warm, structure cache)",
                            "cold (structure part included)", "H2D inputs", "D2H outputs",
                            "end-to-end (host in, host out)"})
    EXPECT_FALSE(line_starting(out, title).empty()) << title << " missing in:\n" << out;
  EXPECT_NE(out.find("peak device memory beyond the inputs: "), std::string::npos) << out;
  const std::string json = testing::read_file((dir / "bench.json").string());
  EXPECT_NE(json.find("\"timer\": \"cuda_events\""), std::string::npos) << json;
  const std::string memory = json_block(json, "memory");
  // The Cora GCN's weights alone are 1433 x 16 floats.
  EXPECT_GT(json_number(memory, "cold_peak_bytes"), 1433 * 16 * 4) << memory;
  EXPECT_GT(json_number(memory, "warm_peak_bytes"), 1433 * 16 * 4) << memory;
  EXPECT_GE(json_number(memory, "input_bytes"), 2708.0 * 1433 * 4) << memory;
  const std::string phases = json_block(json, "phases");
  EXPECT_EQ(json_number(json_block(phases, "h2d"), "bytes"), 2708.0 * 1433 * 4 + 2 * 10556 * 8) << phases;
  EXPECT_EQ(json_number(json_block(phases, "d2h"), "bytes"), 2708.0 * 7 * 4) << phases;
  EXPECT_NE(json_block(json, "warm").find("\"device\": \"cuda\""), std::string::npos) << json;
}

TEST(CliBench, StreamsReportOneStreamAndNStreamsForBothLoops) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device (or a build without CUDA)";
  TempDir dir;
  const auto result = bench("--device cuda --onnx " + quoted(kCoraModel) + " --graph cora-size --warmup 2 "
                            "--iterations 6 --streams 3 --cuda-graph --json " + quoted(dir / "bench.json"));
  const std::string& out = result.output;
  for (const char* line : {"streams: 1 context(s) x 6 compute call(s)", "streams: 3 context(s) x 6 compute call(s)",
                           "streams: 1 context(s) x 6 end_to_end call(s)", "streams: 3 context(s) x 6 end_to_end call(s)"})
    EXPECT_FALSE(line_starting(out, line).empty()) << line << " missing in:\n" << out;
  const std::string json = testing::read_file((dir / "bench.json").string());
  const std::string streams = json_block(json, "streams");
  EXPECT_EQ(json_number(streams, "streams"), 1.0) << streams;
  EXPECT_EQ(json_number(streams, "calls"), 6.0) << streams;
  EXPECT_GT(json_number(streams, "calls_per_s"), 0.0) << streams;
  EXPECT_NE(streams.find("\"streams\": 3, \"calls\": 18"), std::string::npos) << streams;
}

}  // namespace
}  // namespace gnnrt

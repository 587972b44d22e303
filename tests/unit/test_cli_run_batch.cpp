// gnnrt run on several graphs, through the real binary: several --inputs files and one .npz of
// arrays named per graph (x_0, edge_index_0, ...) give the same outputs, named per graph (out_0,
// ...); each graph's outputs equal running it alone and the C++ API's run_batch byte for byte;
// bad batches exit 2 naming the graph, its file and the array; int32 edge_index needs --allow-cast,
// as for one graph.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gnnrt/runtime.h"
#include "graph_batch_test_support.h"
#include "io/graph_list_npz.h"
#include "io/npz.h"
#include "test_support.h"

namespace gnnrt {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::random_graph;
using testing::run_gnnrt;
using testing::TempDir;
using Graph = std::map<std::string, Tensor>;

// Dynamo exports: their pooled models count graphs from the batch vector (torchscript froze 4).
fs::path model_path(const std::string& case_name) {
  return testing::fixtures_dir() / case_name / "dynamo" / "model.onnx";
}

std::string run_args(const std::string& case_name) {
  return "run --device cpu --onnx " + quoted(model_path(case_name));
}

io::NamedTensors to_named(const Graph& graph) { return {graph.begin(), graph.end()}; }

// Writes each graph to its own file (g<k>.npz) and returns the --inputs arguments for them.
std::string write_graph_files(const TempDir& dir, const std::vector<Graph>& graphs) {
  std::string arguments;
  for (size_t g = 0; g < graphs.size(); ++g) {
    const fs::path path = dir / ("g" + std::to_string(g) + ".npz");
    io::write_npz(path.string(), to_named(graphs[g]));
    arguments += " --inputs " + quoted(path);
  }
  return arguments;
}

// Writes all graphs into one file, their arrays named per graph.
fs::path write_graph_list(const fs::path& path, const std::vector<Graph>& graphs) {
  io::NamedTensors arrays;
  for (size_t g = 0; g < graphs.size(); ++g)
    for (const auto& [name, tensor] : graphs[g]) arrays.emplace_back(io::graph_array_name(name, g), tensor);
  io::write_npz(path.string(), arrays);
  return path;
}

std::vector<Graph> random_graphs(const std::vector<int64_t>& sizes, int64_t width, uint32_t seed,
                                 bool edge_weights = false) {
  std::vector<Graph> graphs;
  for (size_t g = 0; g < sizes.size(); ++g)
    graphs.push_back(random_graph(sizes[g], width, seed + static_cast<uint32_t>(g), edge_weights));
  return graphs;
}

Graph with_batch_of_zeros(Graph graph) {
  Tensor batch(DType::Int64, {graph.at("x").dim(0)});
  std::memset(batch.raw(), 0, batch.nbytes());
  graph["batch"] = batch;
  return graph;
}

const Tensor& find(const io::NamedTensors& tensors, const std::string& name) {
  for (const auto& [key, tensor] : tensors)
    if (key == name) return tensor;
  throw std::runtime_error("no array " + name);
}

std::vector<std::string> names_of(const io::NamedTensors& tensors) {
  std::vector<std::string> names;
  for (const auto& entry : tensors) names.push_back(entry.first);
  return names;
}

// Runs the batch from per-graph files and from one graph-list file; both must give the same bytes,
// under the names out_0, out_1, ... Returns the outputs.
io::NamedTensors run_both_ways(const std::string& case_name, const std::vector<Graph>& graphs, const TempDir& dir) {
  auto from_files = run_gnnrt(run_args(case_name) + write_graph_files(dir, graphs) + " --output " +
                              quoted(dir / "files.out.npz"));
  EXPECT_EQ(from_files.exit_code, 0) << from_files.output;
  EXPECT_NE(from_files.output.find("ran " + std::to_string(graphs.size()) + " graphs as one batch"), std::string::npos)
      << from_files.output;
  const fs::path list = write_graph_list(dir / "graphs.npz", graphs);
  auto from_list =
      run_gnnrt(run_args(case_name) + " --inputs " + quoted(list) + " --output " + quoted(dir / "list.out.npz"));
  EXPECT_EQ(from_list.exit_code, 0) << from_list.output;
  const io::NamedTensors files_out = io::read_npz((dir / "files.out.npz").string());
  const io::NamedTensors list_out = io::read_npz((dir / "list.out.npz").string());
  std::vector<std::string> expected_names;
  for (size_t g = 0; g < graphs.size(); ++g) expected_names.push_back(io::graph_array_name("out", g));
  EXPECT_EQ(names_of(files_out), expected_names);
  EXPECT_EQ(names_of(list_out), expected_names);
  for (size_t i = 0; i < files_out.size() && i < list_out.size(); ++i)
    testing::expect_same_tensor(list_out[i].second, files_out[i].second);
  return files_out;
}

// `gnnrt run` on one graph alone (with its batch vector of zeros when the model pools).
Tensor run_alone(const std::string& case_name, const Graph& graph, const TempDir& dir) {
  io::write_npz((dir / "alone.npz").string(), to_named(graph));
  auto result = run_gnnrt(run_args(case_name) + " --inputs " + quoted(dir / "alone.npz") + " --output " +
                          quoted(dir / "alone.out.npz"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return find(io::read_npz((dir / "alone.out.npz").string()), "out");
}

// The C++ API on the same graphs: the CLI must hand them to the same batching, byte for byte.
std::vector<Graph> run_batch_in_process(const std::string& case_name, const std::vector<Graph>& graphs) {
  return Engine::build_from_onnx(model_path(case_name).string())->create_context()->run_batch(graphs);
}

void expect_batch_matches_alone_and_run_batch(const std::string& case_name, const std::vector<int64_t>& sizes,
                                              int64_t width) {
  SCOPED_TRACE(case_name);
  const bool bit_identical = cpu::blas_rows_are_invariant();  // graph_batch_test_support.h
  TempDir dir;
  const bool pooled = case_name != "gcn_cora";
  const std::vector<Graph> graphs = random_graphs(sizes, width, 11);
  const io::NamedTensors batched = run_both_ways(case_name, graphs, dir);
  ASSERT_EQ(batched.size(), graphs.size());
  const std::vector<Graph> in_process = run_batch_in_process(case_name, graphs);
  for (size_t g = 0; g < graphs.size(); ++g) {
    SCOPED_TRACE("graph " + std::to_string(g));
    const Tensor& actual = batched[g].second;
    EXPECT_EQ(actual.dim(0), pooled ? 1 : sizes[g]);
    testing::expect_same_tensor(actual, in_process[g].at("out"));
    if (sizes[g] == 0 || !bit_identical) continue;  // a graph alone needs nodes
    testing::expect_batched_equals_alone(
        actual, run_alone(case_name, pooled ? with_batch_of_zeros(graphs[g]) : graphs[g], dir), "alone");
  }
}


TEST(CliRunBatch, PooledGraphsFromFilesOrOneNpzEqualEachGraphAlone) {
  expect_batch_matches_alone_and_run_batch("gcn_graph_mean_pool", {10, 25, 3, 40, 17}, 8);
}

TEST(CliRunBatch, NodeLevelGraphsFromFilesOrOneNpzEqualEachGraphAlone) {
  expect_batch_matches_alone_and_run_batch("gcn_cora", {12, 5, 30, 2}, 1433);
}

// PyG's own outputs for Cora's GCN, graph by graph, as the reference of one batched run: the NaN
// of nan_x stays inside its graph, and graphs without edges get their own answer.
TEST(CliRunBatch, FixtureGraphsBatchedMatchPyG) {
  TempDir dir;
  const fs::path cora = testing::fixtures_dir() / "gcn_cora";
  std::string inputs;
  io::NamedTensors reference;
  const std::vector<std::string> names{"g1", "nan_x", "single_node", "empty_edges", "isolated", "g2"};
  for (size_t g = 0; g < names.size(); ++g) {
    inputs += " --inputs " + quoted(cora / (names[g] + ".inputs.npz"));
    reference.emplace_back(io::graph_array_name("out", g),
                           find(io::read_npz((cora / (names[g] + ".expected.npz")).string()), "out"));
  }
  io::write_npz((dir / "reference.npz").string(), reference);
  auto result = run_gnnrt(run_args("gcn_cora") + inputs + " --compare " + quoted(dir / "reference.npz"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("compare: 6 output(s)"), std::string::npos) << result.output;
}

TEST(CliRunBatch, EdgeWeightsAreNamedPerGraphToo) {
  GNNRT_SKIP_UNLESS_CPU_GEMM_ROWS_INVARIANT();
  TempDir dir;
  const std::vector<Graph> graphs = random_graphs({6, 11, 4}, 12, 5, /*edge_weights=*/true);
  const io::NamedTensors batched = run_both_ways("gcn_edge_weight", graphs, dir);
  ASSERT_EQ(batched.size(), graphs.size());
  for (size_t g = 0; g < graphs.size(); ++g)
    testing::expect_batched_equals_alone(batched[g].second, run_alone("gcn_edge_weight", graphs[g], dir),
                                         "graph " + std::to_string(g));
}

// int32 indices in a batch: refused as for one graph, naming the graph, its file and the tensor;
// converted with --allow-cast, to the bytes the int64 batch gives.
TEST(CliRunBatch, Int32EdgeIndexNeedsAllowCastAsForOneGraph) {
  TempDir dir;
  const std::string run = run_args("gcn_graph_mean_pool");
  const std::vector<Graph> graphs = random_graphs({5, 6, 7}, 8, 1);
  const io::NamedTensors wide = run_both_ways("gcn_graph_mean_pool", graphs, dir);
  std::vector<Graph> narrow = graphs;
  narrow[1]["edge_index"] = cast_tensor(narrow[1]["edge_index"], DType::Int32);

  const std::string files = write_graph_files(dir, narrow);
  auto result = run_gnnrt(run + files + " --output " + quoted(dir / "narrow.out.npz"));
  EXPECT_USER_ERROR(result, "graph 1 of the batch (" + (dir / "g1.npz").string() +
                                "): input 'edge_index': expected dtype int64, got int32; convert it (numpy: "
                                "edge_index.astype(np.int64)) or pass --allow-cast to convert it here");
  EXPECT_FALSE(fs::exists(dir / "narrow.out.npz"));
  result = run_gnnrt(run + " --inputs " + quoted(write_graph_list(dir / "narrow.npz", narrow)));
  EXPECT_USER_ERROR(result, "graph 1 of the batch (" + (dir / "narrow.npz").string() +
                                ", *_1): input 'edge_index': expected dtype int64, got int32");

  result = run_gnnrt(run + files + " --allow-cast --output " + quoted(dir / "narrow.out.npz"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("input 'edge_index': converted int32 to int64 in 1 of 3 graph(s)"), std::string::npos)
      << result.output;
  const io::NamedTensors cast = io::read_npz((dir / "narrow.out.npz").string());
  ASSERT_EQ(cast.size(), wide.size());
  for (size_t g = 0; g < cast.size(); ++g) testing::expect_same_tensor(cast[g].second, wide[g].second);
}

TEST(CliRunBatch, EmptyGraphsPassThrough) {
  TempDir dir;
  // Pooled: the empty graph gets the model's row for a graph without nodes, as run_batch defines it.
  const std::vector<Graph> graphs = random_graphs({9, 0, 14}, 8, 40);
  const io::NamedTensors pooled = run_both_ways("gcn_graph_mean_pool", graphs, dir);
  const std::vector<Graph> in_process = run_batch_in_process("gcn_graph_mean_pool", graphs);
  ASSERT_EQ(pooled.size(), 3u);
  EXPECT_EQ(pooled[1].second.shape(), (Dims{1, 4}));
  for (size_t g = 0; g < 3; ++g) testing::expect_same_tensor(pooled[g].second, in_process[g].at("out"));
  // Node-level: no rows for it.
  const io::NamedTensors rows = run_both_ways("gcn_cora", random_graphs({7, 0, 3}, 1433, 41), dir);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].second.shape(), (Dims{0, 7}));
  EXPECT_EQ(rows[2].second.shape(), (Dims{3, 7}));
}

TEST(CliRunBatch, CompareReadsPerGraphNames) {
  TempDir dir;
  const std::vector<Graph> graphs = random_graphs({10, 6, 8}, 8, 3);
  const io::NamedTensors outputs = run_both_ways("gcn_graph_mean_pool", graphs, dir);
  const std::string run = run_args("gcn_graph_mean_pool") + " --inputs " + quoted(dir / "graphs.npz") + " --compare ";
  auto same = run_gnnrt(run + quoted(dir / "files.out.npz"));
  EXPECT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NE(same.output.find("compare: 3 output(s)"), std::string::npos) << same.output;
  io::NamedTensors changed = outputs;
  changed[2].second = changed[2].second.clone();
  changed[2].second.data<float>()[0] += 1.0f;
  io::write_npz((dir / "changed.npz").string(), changed);
  auto differs = run_gnnrt(run + quoted(dir / "changed.npz"));
  EXPECT_EQ(differs.exit_code, 3) << differs.output;
  EXPECT_NE(differs.output.find("out_2"), std::string::npos) << differs.output;
}

TEST(CliRunBatch, OneGraphWithoutBatchIsPooledAsOneGraph) {
  TempDir dir;
  const Graph graph = random_graph(13, 8, 9);
  io::write_npz((dir / "plain.npz").string(), to_named(graph));
  auto result = run_gnnrt(run_args("gcn_graph_mean_pool") + " --inputs " + quoted(dir / "plain.npz") + " --output " +
                          quoted(dir / "plain.out.npz"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("output out: float32[1, 4]"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("batch vector of zeros"), std::string::npos) << result.output;
  const io::NamedTensors outputs = io::read_npz((dir / "plain.out.npz").string());
  EXPECT_EQ(names_of(outputs), std::vector<std::string>{"out"});
  testing::expect_same_tensor(outputs[0].second, run_alone("gcn_graph_mean_pool", with_batch_of_zeros(graph), dir));
}

TEST(CliRunBatch, FilesWithoutCommonArraysAreStillPiecesOfOneGraph) {
  TempDir dir;
  const Graph graph = random_graph(9, 1433, 4);
  io::write_npz((dir / "features.npz").string(), {{"x", graph.at("x")}});
  io::write_npz((dir / "structure.npz").string(), {{"edge_index", graph.at("edge_index")}});
  auto result = run_gnnrt(run_args("gcn_cora") + " --inputs " + quoted(dir / "features.npz") + " --inputs " +
                          quoted(dir / "structure.npz") + " --output " + quoted(dir / "pieces.out.npz"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("as one batch"), std::string::npos) << result.output;
  const io::NamedTensors outputs = io::read_npz((dir / "pieces.out.npz").string());
  EXPECT_EQ(names_of(outputs), std::vector<std::string>{"out"});
  testing::expect_same_tensor(outputs[0].second, run_alone("gcn_cora", graph, dir));
}

TEST(CliRunBatch, ManyGraphsGetACompactSummary) {
  TempDir dir;
  const fs::path list = write_graph_list(dir / "many.npz", random_graphs(std::vector<int64_t>(30, 4), 8, 60));
  auto result = run_gnnrt(run_args("gcn_graph_mean_pool") + " --inputs " + quoted(list));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("graph 4 (" + list.string() + ", *_4): 4 nodes, 12 edges; out_4 float32[1, 4]"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("graph 5 ("), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("graphs 5 to 29: 4 to 4 nodes each"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("ran 30 graphs as one batch (120 nodes, 360 edges) on cpu in "), std::string::npos)
      << result.output;
}

TEST(CliRunBatch, BadGraphsExitTwoNamingGraphFileAndArray) {
  TempDir dir;
  const std::string run = run_args("gcn_graph_mean_pool");
  std::vector<Graph> graphs = random_graphs({5, 6, 7}, 8, 1);

  std::vector<Graph> wide = graphs;
  wide[1]["x"] = Tensor(DType::Float32, {6, 9});
  auto result = run_gnnrt(run + write_graph_files(dir, wide) + " --output " + quoted(dir / "out.npz"));
  EXPECT_USER_ERROR(result, "graph 1 of the batch (" + (dir / "g1.npz").string() + "): input 'x' is float32[6, 9]");
  EXPECT_NE(result.output.find("feature width"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "out.npz"));  // nothing half-written

  std::vector<Graph> outside = graphs;
  outside[2]["edge_index"] = outside[2]["edge_index"].clone();
  outside[2]["edge_index"].data<int64_t>()[0] = 7;  // node 7 of a 7-node graph
  result = run_gnnrt(run + " --inputs " + quoted(write_graph_list(dir / "outside.npz", outside)));
  EXPECT_USER_ERROR(result, "graph 2 of the batch (" + (dir / "outside.npz").string() +
                                ", *_2): edge_index[0, 0] = 7 is not one of the graph's own nodes [0, 7)");

  std::vector<Graph> with_batch = graphs;
  with_batch[0] = with_batch_of_zeros(with_batch[0]);
  result = run_gnnrt(run + write_graph_files(dir, with_batch));
  EXPECT_USER_ERROR(result, "graph 0 of the batch (" + (dir / "g0.npz").string() + "): gives 'batch'");

  std::vector<Graph> missing = graphs;
  missing[1].erase("edge_index");
  result = run_gnnrt(run + write_graph_files(dir, missing));
  EXPECT_USER_ERROR(result, "graph 1 of the batch (" + (dir / "g1.npz").string() + "): missing input 'edge_index'");

  io::write_npz((dir / "empty.npz").string(), {});
  result = run_gnnrt(run + " --inputs " + quoted(dir / "empty.npz"));
  EXPECT_USER_ERROR(result, (dir / "empty.npz").string() + ": holds no arrays");

  io::NamedTensors mixed = to_named(graphs[0]);
  mixed.emplace_back("x_0", graphs[1].at("x"));
  mixed.emplace_back("edge_index_0", graphs[1].at("edge_index"));
  io::write_npz((dir / "mixed.npz").string(), mixed);
  result = run_gnnrt(run + " --inputs " + quoted(dir / "mixed.npz"));
  EXPECT_USER_ERROR(result, (dir / "mixed.npz").string() + ": holds both 'edge_index' (one graph's array) and 'x_0'");

  io::NamedTensors gap{{"x_0", graphs[0].at("x")},
                       {"edge_index_0", graphs[0].at("edge_index")},
                       {"x_2", graphs[2].at("x")},
                       {"edge_index_2", graphs[2].at("edge_index")}};
  io::write_npz((dir / "gap.npz").string(), gap);
  result = run_gnnrt(run + " --inputs " + quoted(dir / "gap.npz"));
  EXPECT_USER_ERROR(result, (dir / "gap.npz").string() + ": no arrays for graph 1 (expected x_1, edge_index_1)");

  io::NamedTensors lacking{
      {"x_0", graphs[0].at("x")}, {"x_1", graphs[1].at("x")}, {"edge_index_1", graphs[1].at("edge_index")}};
  io::write_npz((dir / "lacking.npz").string(), lacking);
  result = run_gnnrt(run + " --inputs " + quoted(dir / "lacking.npz"));
  EXPECT_USER_ERROR(result, (dir / "lacking.npz").string() + ": graph 0 has no array 'edge_index_0'");

  io::write_npy((dir / "x.npy").string(), graphs[0].at("x"));
  result = run_gnnrt(run + write_graph_files(dir, graphs) + " --input x=" + quoted(dir / "x.npy"));
  EXPECT_USER_ERROR(result, "--input x=");
}

}  // namespace
}  // namespace gnnrt

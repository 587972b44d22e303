// The naming convention for several graphs in one .npz (io/graph_list_npz.h): x_0, edge_index_0,
// x_1, ... split into graphs; plain files left alone; malformed mixes refused naming file and array.
#include <gtest/gtest.h>

#include "io/graph_list_npz.h"
#include "test_support.h"

namespace gnnrt {
namespace {

const std::vector<std::string> kInputs{"x", "edge_index"};

// An array whose single element is `tag`, so that the test can tell arrays apart after the split.
Tensor tagged(float tag) { return testing::make_tensor<float>({1}, {tag}); }

std::vector<std::string> names_of(const io::NamedTensors& arrays) {
  std::vector<std::string> names;
  for (const auto& entry : arrays) names.push_back(entry.first);
  return names;
}

void expect_refused(const io::NamedTensors& arrays, const std::vector<std::string>& parts,
                    const std::vector<std::string>& known = kInputs) {
  std::vector<std::string> all = parts;
  all.push_back("many.npz");
  testing::expect_error(ErrorCode::InvalidInput, [&] { io::split_graph_arrays(arrays, known, "many.npz"); }, all);
}

TEST(GraphListNpz, ArraysNamedPerGraphAreSplitInNumberOrder) {
  // Graph 10 before graph 2 in the file, and 2 before 10 numerically: numbers, not text, order them.
  io::NamedTensors arrays;
  for (int g : {10, 2, 0, 1, 3, 4, 5, 6, 7, 8, 9}) {
    arrays.emplace_back(io::graph_array_name("x", static_cast<size_t>(g)), tagged(static_cast<float>(g)));
    arrays.emplace_back(io::graph_array_name("edge_index", static_cast<size_t>(g)),
                        tagged(100.0f + static_cast<float>(g)));
  }
  const auto graphs = io::split_graph_arrays(arrays, kInputs, "many.npz");
  ASSERT_TRUE(graphs.has_value());
  ASSERT_EQ(graphs->size(), 11u);
  for (size_t g = 0; g < graphs->size(); ++g) {
    EXPECT_EQ(names_of((*graphs)[g]), (std::vector<std::string>{"x", "edge_index"})) << g;
    EXPECT_EQ((*graphs)[g][0].second.data<float>()[0], static_cast<float>(g));
    EXPECT_EQ((*graphs)[g][1].second.data<float>()[0], 100.0f + static_cast<float>(g));
  }
  EXPECT_EQ(io::graph_array_name("out", 12), "out_12");
}

TEST(GraphListNpz, PlainFilesAreOneGraph) {
  EXPECT_FALSE(io::split_graph_arrays({{"x", tagged(0)}, {"edge_index", tagged(1)}}, kInputs, "one.npz"));
  // Names the model does not know stay as they are, for the input checks to report.
  EXPECT_FALSE(io::split_graph_arrays({{"x", tagged(0)}, {"typo_0", tagged(1)}}, kInputs, "one.npz"));
  // An input whose own name ends in _<digits> is that input, not graph 1 of `feat`.
  EXPECT_FALSE(io::split_graph_arrays({{"feat_1", tagged(0)}}, {"feat", "feat_1"}, "one.npz"));
  const auto graphs = io::split_graph_arrays({{"feat_1_0", tagged(0)}}, {"feat", "feat_1"}, "many.npz");
  ASSERT_TRUE(graphs.has_value());
  EXPECT_EQ(names_of(graphs->at(0)), std::vector<std::string>{"feat_1"});
}

TEST(GraphListNpz, MalformedMixesAreRefusedNamingFileAndArrays) {
  expect_refused({{"x", tagged(0)}, {"x_0", tagged(1)}, {"edge_index_0", tagged(2)}}, {"'x'", "'x_0'", "both"});
  expect_refused({{"x_0", tagged(0)}, {"x_1", tagged(1)}, {"edge_index_1", tagged(2)}},
                 {"graph 0 has no array 'edge_index_0'", "graph 1 has 'edge_index_1'"});
  expect_refused({{"x_0", tagged(0)}, {"edge_index_0", tagged(1)}, {"x_2", tagged(2)}, {"edge_index_2", tagged(3)}},
                 {"no arrays for graph 1", "x_1, edge_index_1", "graph 2"});
  expect_refused({{"x_1", tagged(0)}, {"edge_index_1", tagged(1)}}, {"no arrays for graph 0"});
  expect_refused({{"x_0", tagged(0)}, {"edge_index_0", tagged(1)}, {"x_01", tagged(2)}}, {"'x_01'", "leading zeros"});
  expect_refused({{"x_0", tagged(0)}, {"edge_index_0", tagged(1)}, {"typo_0", tagged(2)}},
                 {"'typo_0'", "x, edge_index"});
}

}  // namespace
}  // namespace gnnrt

// Dataflow queries the pattern-matching passes share (spmm_lifting, gcn_normalization_folding,
// aggregation_reordering, spmm_epilogue_fusion): who produces a value, how many read it, what an
// initializer holds, and fresh value names. Patterns are matched on what ops compute, never on
// node names, so that both exporters' graphs (TorchScript and dynamo) are caught.
//
// A DataflowIndex is a snapshot of the top-level graph: rebuild it after each rewrite.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace gnnrt::passes {

class DataflowIndex {
 public:
  explicit DataflowIndex(const ir::Graph& graph);

  // The node computing `value` (nullptr for inputs, initializers and unknown names).
  const ir::Node* producer(const std::string& value) const;
  // Its position in graph.nodes; nullopt as for producer().
  std::optional<size_t> producer_index(const std::string& value) const;
  // The producer when it is `op_type` of the default domain, else nullptr.
  const ir::Node* producer_if(const std::string& value, const std::string& op_type) const;
  // Readers of `value` among the live nodes (those whose results reach a graph output: a node a
  // rewrite left dead does not count, DCE removes it later), plus one for each graph output it is.
  size_t reader_count(const std::string& value) const;
  // The one node reading `value` when exactly one node input reads it and it is no graph output
  // (the "single consumer" a fusion needs), else nullopt.
  std::optional<size_t> sole_reader(const std::string& value) const;
  bool is_graph_input(const std::string& value) const;
  // The initializer named `value`, or nullptr.
  const Tensor* initializer(const std::string& value) const;
  std::optional<ir::ValueType> type_of(const std::string& value) const { return graph_.type_of(value); }
  // Dims of a value whose rank is known, else nullopt.
  std::optional<std::vector<ir::Dim>> dims_of(const std::string& value) const;

 private:
  const ir::Graph& graph_;
  std::map<std::string, size_t> producers_;
  std::map<std::string, size_t> readers_;
  std::map<std::string, size_t> last_reader_;  // a node reading the value (the last one)
};

// Whether two dims are provably the same size (both known and equal, or the same symbol).
bool same_dim(const ir::Dim& a, const ir::Dim& b);

// An initializer holding exactly one element (any shape), as double; nullopt otherwise.
std::optional<double> scalar_initializer(const DataflowIndex& index, const std::string& value);

// The bias operand of Add(y, b) or Add(b, y) that an epilogue can take for a [..., width] y: a
// float32 initializer of `width` elements shaped [width] or [1, width]. Returns the name of a
// [width] initializer holding it: b itself, or a flattened copy added to the graph. nullopt when
// the Add is anything else.
std::optional<std::string> fusable_bias(ir::Graph& graph, const DataflowIndex& index, const ir::Node& add,
                                        const std::string& y, int64_t width, std::set<std::string>& taken);

// A string attribute ("activation": "relu").
ir::Attribute string_attribute(const std::string& value);

// Fresh value and node names: `base`, else base_2, base_3, ... avoiding every name in `taken`,
// which the chosen name is added to.
std::string fresh_name(const std::string& base, std::set<std::string>& taken);

// Every value and node name of the graph (for fresh_name).
std::set<std::string> taken_names(const ir::Graph& graph);

// If `value` is a reshape of a 1-D value v of length E to [E, 1] (Reshape or Unsqueeze(axes=[1])
// or Unsqueeze(axes=[-1])), returns v.
std::optional<std::string> column_vector_source(const DataflowIndex& index, const std::string& value);

}  // namespace gnnrt::passes

// gnnrt run on a list of graphs: they run as one batch (runtime/graph_batching.h, the path of
// ExecutionContext::run_batch) and their outputs come back per graph, named as their inputs were
// (out_0, out_1, ... for x_0, x_1, ...; io/graph_list_npz.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "commands/input_files.h"
#include "io/npy.h"
#include "ir/graph.h"
#include "runtime/graph_batching.h"

namespace gnnrt::cli {

// Several graphs run as one batch; so does one graph without the batch vector the model takes
// (PyG pools a graph given batch=None as one graph: the vector of zeros is built for it).
bool runs_as_batch(const ir::Graph& model, const RunInputs& inputs);

// The batch's outputs split per graph, in the model's output order, each under its per-graph name
// (out_3) when the inputs had per-graph names, else under the model's (then there is one graph).
std::vector<io::NamedTensors> graph_outputs(const ir::Graph& model, const runtime::MergedBatch& merged,
                                            const runtime::TensorMap& outputs, bool per_graph_names);

// One line per graph (its source, nodes, edges and outputs; past a dozen graphs, the first few and
// the range of the rest), then the batch's: its size, the device and the time of the run.
void print_batch_summary(std::ostream& out, const ir::Graph& model, const RunInputs& inputs,
                         const runtime::MergedBatch& merged, const std::vector<io::NamedTensors>& outputs,
                         const std::string& device, double milliseconds);

}  // namespace gnnrt::cli

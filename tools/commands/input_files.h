// Reads the model inputs a user names on the command line.
#pragma once

#include <string>
#include <vector>

#include "runtime/executor.h"

namespace gnnrt::cli {

// `npz_paths`: archives of arrays named as the model's inputs; `named_npy`: "name=file.npy".
// The same name given twice is an error.
runtime::TensorMap load_input_files(const std::vector<std::string>& npz_paths,
                                    const std::vector<std::string>& named_npy);

// What `gnnrt run` was given: one graph, or several graphs to run as one batch.
struct RunInputs {
  std::vector<runtime::TensorMap> graphs;  // one entry for one graph
  std::vector<std::string> sources;        // per graph, where it came from: "g1.npz", "many.npz, *_3"
  // The graphs were given as several (several files, or arrays named x_0, x_1, ...): their outputs
  // are named per graph too (out_0, out_1, ...).
  bool per_graph_names = false;
};

// Several --inputs files are pieces of one graph (as load_input_files reads them) when none of them
// names its arrays per graph (io/graph_list_npz.h) and no array name is in two of them; otherwise
// each file is one graph, or the graphs it names per graph, in command-line order. --input
// name=file.npy is one graph's input only. `model_inputs`: the model's input names.
RunInputs load_run_inputs(const std::vector<std::string>& npz_paths, const std::vector<std::string>& named_npy,
                          const std::vector<std::string>& model_inputs);

}  // namespace gnnrt::cli

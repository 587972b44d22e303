#include "commands/input_files.h"

#include <optional>
#include <set>

#include "io/graph_list_npz.h"
#include "io/npy.h"
#include "io/npz.h"

namespace gnnrt::cli {
namespace {

struct InputFile {
  std::string path;
  io::NamedTensors arrays;
  std::optional<std::vector<io::NamedTensors>> graphs;  // set when the arrays are named per graph
};

// One graph's inputs from archives and name=file.npy arguments; the same name twice is an error.
runtime::TensorMap merge_one_graph(const std::vector<InputFile>& files, const std::vector<std::string>& named_npy) {
  runtime::TensorMap inputs;
  std::map<std::string, std::string> source;  // input name -> where it came from
  auto add = [&](const std::string& name, Tensor tensor, const std::string& from) {
    if (source.count(name))
      fail_input("input '", name, "' is given twice: in ", source[name], " and in ", from);
    source[name] = from;
    inputs[name] = std::move(tensor);
  };
  for (const InputFile& file : files)
    for (const auto& [name, tensor] : file.arrays) add(name, tensor, file.path);
  for (const std::string& spec : named_npy) {
    const size_t equals = spec.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size())
      fail_input("--input '", spec, "': expected name=file.npy, e.g. --input x=features.npy");
    const std::string path = spec.substr(equals + 1);
    add(spec.substr(0, equals), io::read_npy(path), path);
  }
  return inputs;
}

runtime::TensorMap to_map(const io::NamedTensors& arrays) { return {arrays.begin(), arrays.end()}; }

// True when no file names its arrays per graph and no array name is in two files: the files are
// pieces of one graph's inputs (features in one file, the graph in another), as before batching.
bool pieces_of_one_graph(const std::vector<InputFile>& files) {
  std::set<std::string> seen;
  for (const InputFile& file : files) {
    if (file.graphs) return false;
    for (const auto& entry : file.arrays)
      if (!seen.insert(entry.first).second) return false;
  }
  return true;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

}  // namespace

runtime::TensorMap load_input_files(const std::vector<std::string>& npz_paths,
                                    const std::vector<std::string>& named_npy) {
  std::vector<InputFile> files;
  for (const std::string& path : npz_paths) files.push_back({path, io::read_npz(path), std::nullopt});
  return merge_one_graph(files, named_npy);
}

RunInputs load_run_inputs(const std::vector<std::string>& npz_paths, const std::vector<std::string>& named_npy,
                          const std::vector<std::string>& model_inputs) {
  std::vector<InputFile> files;
  for (const std::string& path : npz_paths) {
    InputFile& file = files.emplace_back(InputFile{path, io::read_npz(path), std::nullopt});
    if (file.arrays.empty())
      fail_input(path, ": holds no arrays; expected one per model input (", join_names(model_inputs),
                 "), or one per input and graph (x_0, edge_index_0, x_1, ...) for several graphs");
    file.graphs = io::split_graph_arrays(file.arrays, model_inputs, path);
  }
  RunInputs inputs;
  if (pieces_of_one_graph(files)) {
    std::vector<std::string> paths = npz_paths;
    for (const std::string& spec : named_npy) paths.push_back(spec.substr(spec.find('=') + 1));
    inputs.graphs.push_back(merge_one_graph(files, named_npy));
    inputs.sources.push_back(join_names(paths));
    return inputs;
  }
  if (!named_npy.empty())
    fail_input("--input ", named_npy.front(), " gives one graph's input, but the --inputs files hold several graphs; "
               "put that array into each graph's file (or as <name>_<graph> into a file of several graphs)");
  inputs.per_graph_names = true;
  for (const InputFile& file : files) {
    if (!file.graphs) {
      inputs.graphs.push_back(to_map(file.arrays));
      inputs.sources.push_back(file.path);
      continue;
    }
    for (size_t g = 0; g < file.graphs->size(); ++g) {
      inputs.graphs.push_back(to_map((*file.graphs)[g]));
      inputs.sources.push_back(file.path + ", *_" + std::to_string(g));
    }
  }
  return inputs;
}

}  // namespace gnnrt::cli

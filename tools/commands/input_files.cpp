#include "commands/input_files.h"

#include "io/npy.h"
#include "io/npz.h"

namespace gnnrt::cli {

runtime::TensorMap load_input_files(const std::vector<std::string>& npz_paths,
                                    const std::vector<std::string>& named_npy) {
  runtime::TensorMap inputs;
  std::map<std::string, std::string> source;  // input name -> where it came from
  auto add = [&](const std::string& name, Tensor tensor, const std::string& from) {
    if (source.count(name))
      fail_input("input '", name, "' is given twice: in ", source[name], " and in ", from);
    source[name] = from;
    inputs[name] = std::move(tensor);
  };
  for (const std::string& path : npz_paths)
    for (auto& [name, tensor] : io::read_npz(path)) add(name, tensor, path);
  for (const std::string& spec : named_npy) {
    const size_t equals = spec.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size())
      fail_input("--input '", spec, "': expected name=file.npy, e.g. --input x=features.npy");
    const std::string path = spec.substr(equals + 1);
    add(spec.substr(0, equals), io::read_npy(path), path);
  }
  return inputs;
}

}  // namespace gnnrt::cli

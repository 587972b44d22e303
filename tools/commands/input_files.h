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

}  // namespace gnnrt::cli

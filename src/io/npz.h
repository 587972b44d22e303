// NumPy .npz files: a zip archive of `<name>.npy` members, stored or deflated, as np.savez and
// np.savez_compressed write them (ZIP64 included). Tensor names are the member names without
// ".npy", in archive order.
#pragma once

#include <string>

#include "io/npy.h"

namespace gnnrt::io {

// Fails (InvalidInput) naming the file, and the member where one is at fault: a missing or
// unreadable file, not a zip, a corrupt member, a member that is not .npy, duplicate names.
NamedTensors read_npz(const std::string& path);

// Writes atomically; `compress` deflates each member (np.savez_compressed), otherwise they are
// stored (np.savez). Names must be non-empty and unique.
void write_npz(const std::string& path, const NamedTensors& tensors, bool compress = true);

}  // namespace gnnrt::io

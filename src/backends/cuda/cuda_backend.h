// The CUDA device backend: one stream, one cuBLAS handle, a caching device memory pool, the
// device error record, and the weights uploaded once.
#pragma once

#include <memory>

#include "runtime/backend.h"

namespace gnnrt::cuda {

std::unique_ptr<runtime::DeviceBackend> create_cuda_backend();

}  // namespace gnnrt::cuda

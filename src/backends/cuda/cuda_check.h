// Every CUDA, cuBLAS and cuSPARSE call and every kernel launch is checked; a failure becomes a
// gnnrt::Error that names the call, the file and line, and the CUDA error string.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusparse.h>

#include "gnnrt/error.h"

namespace gnnrt::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);
[[noreturn]] void throw_cusparse_error(cusparseStatus_t status, const char* call, const char* file, int line);

}  // namespace gnnrt::cuda

#define GNNRT_CUDA_CHECK(call)                                                                      \
  do {                                                                                              \
    const cudaError_t gnnrt_status_ = (call);                                                       \
    if (gnnrt_status_ != cudaSuccess) ::gnnrt::cuda::throw_cuda_error(gnnrt_status_, #call, __FILE__, __LINE__); \
  } while (0)

// After a <<<...>>> launch: catches bad launch configurations at once (not asynchronous faults).
#define GNNRT_CUDA_CHECK_LAUNCH() GNNRT_CUDA_CHECK(cudaPeekAtLastError())

#define GNNRT_CUBLAS_CHECK(call)                                                                    \
  do {                                                                                              \
    const cublasStatus_t gnnrt_status_ = (call);                                                    \
    if (gnnrt_status_ != CUBLAS_STATUS_SUCCESS)                                                      \
      ::gnnrt::cuda::throw_cublas_error(gnnrt_status_, #call, __FILE__, __LINE__);                  \
  } while (0)

#define GNNRT_CUSPARSE_CHECK(call)                                                                  \
  do {                                                                                              \
    const cusparseStatus_t gnnrt_status_ = (call);                                                  \
    if (gnnrt_status_ != CUSPARSE_STATUS_SUCCESS)                                                    \
      ::gnnrt::cuda::throw_cusparse_error(gnnrt_status_, #call, __FILE__, __LINE__);                \
  } while (0)

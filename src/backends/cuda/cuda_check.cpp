#include "backends/cuda/cuda_check.h"

namespace gnnrt::cuda {

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  // Out of device memory is a condition the user can act on (smaller graph, smaller profile).
  const ErrorCode code = status == cudaErrorMemoryAllocation ? ErrorCode::InvalidInput : ErrorCode::Internal;
  throw Error(code, cat("CUDA error ", cudaGetErrorName(status), " (", cudaGetErrorString(status), ") in ", call,
                        " at ", file, ":", line,
                        status == cudaErrorMemoryAllocation ? ": the GPU is out of memory; use a smaller graph or "
                                                              "a smaller --max-nodes/--max-edges profile"
                                                            : ""));
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  throw Error(ErrorCode::Internal, cat("cuBLAS error ", cublasGetStatusName(status), " (", cublasGetStatusString(status),
                                       ") in ", call, " at ", file, ":", line));
}

}  // namespace gnnrt::cuda

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

void throw_cusparse_error(cusparseStatus_t status, const char* call, const char* file, int line) {
  // cuSPARSE allocates internally too: running out of memory is the user's to act on, as for CUDA.
  const ErrorCode code = status == CUSPARSE_STATUS_ALLOC_FAILED ? ErrorCode::InvalidInput : ErrorCode::Internal;
  throw Error(code, cat("cuSPARSE error ", cusparseGetErrorName(status), " (", cusparseGetErrorString(status), ") in ",
                        call, " at ", file, ":", line,
                        status == CUSPARSE_STATUS_ALLOC_FAILED ? ": the GPU is out of memory; use a smaller graph or "
                                                                 "a smaller --max-nodes/--max-edges profile"
                                                               : ""));
}

}  // namespace gnnrt::cuda

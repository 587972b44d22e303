// gnnrt.Linear on the GPU (semantics: backends/op_shapes/fused_linear.h): one cuBLASLt matmul
// with the bias and ReLU in its epilogue, fp32 accumulation (CUBLAS_COMPUTE_32F: no TF32 for
// float32). Row-major Y = X W is handed to column-major cuBLASLt as Y^T = W^T X^T over the same
// memory, so the per-feature bias is the per-row bias cuBLASLt's epilogue applies. When cuBLASLt
// offers no algorithm for a shape, cublasGemmEx and a separate epilogue pass do the same.
// An int8 W (INT8 engines) is dequantised per output column into fp32 scratch first, as the CPU
// reference does: W is small (K x N) beside the rows it multiplies, and X stays float32. That
// product runs on TF32 tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32, as TensorRT runs fp32 layers by
// default): W carries 8 bits, and TF32's 10-bit mantissa of X is finer than the int8 steps the
// output is quantised to next; a layer that must be IEEE fp32 is kept out of int8 with
// --layer-precision NAME:fp32.
#include <cublasLt.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/fused_linear.cuh"
#include "backends/cuda/launch/quantize.cuh"
#include "backends/cuda/op_helpers.h"
#include "backends/op_shapes/fused_linear.h"

namespace gnnrt::cuda {
namespace {

using namespace op_shapes;

constexpr size_t kWorkspaceBytes = size_t{32} << 20;  // cuBLASLt's recommendation for Hopper

cudaDataType_t cuda_data_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return CUDA_R_32F;
    case DType::Float16: return CUDA_R_16F;
    case DType::BFloat16: return CUDA_R_16BF;
    default: fail_internal("cuBLASLt product of dtype ", dtype_name(dtype));
  }
}

// Owns the cuBLASLt descriptors of one call.
struct LtDescriptors {
  cublasLtMatmulDesc_t operation = nullptr;
  cublasLtMatrixLayout_t w = nullptr, x = nullptr, y = nullptr;
  cublasLtMatmulPreference_t preference = nullptr;
  LtDescriptors() = default;
  LtDescriptors(const LtDescriptors&) = delete;
  LtDescriptors& operator=(const LtDescriptors&) = delete;
  ~LtDescriptors() {
    if (preference) cublasLtMatmulPreferenceDestroy(preference);
    if (y) cublasLtMatrixLayoutDestroy(y);
    if (x) cublasLtMatrixLayoutDestroy(x);
    if (w) cublasLtMatrixLayoutDestroy(w);
    if (operation) cublasLtMatmulDescDestroy(operation);
  }
};

cublasComputeType_t compute_type(bool tf32) { return tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F; }

cublasLtEpilogue_t epilogue_for(bool bias, bool relu) {
  if (bias) return relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  return relu ? CUBLASLT_EPILOGUE_RELU : CUBLASLT_EPILOGUE_DEFAULT;
}

// A cuBLASLt plan: descriptors and the heuristic's algorithm for one problem shape. Asking for the
// heuristic costs tens of microseconds, more than a small GCN layer takes, so plans are kept per
// (handle, shape). A handle belongs to one execution context, which runs one call at a time, so
// setting the bias pointer on a kept descriptor is safe.
struct LtPlan {
  LtDescriptors descriptors;
  cublasLtMatmulAlgo_t algorithm{};
  size_t workspace_bytes = 0;
  bool usable = false;  // false: cuBLASLt has no algorithm; use cublasGemmEx
};

struct LtPlanKey {
  cublasLtHandle_t handle;
  DType dtype;
  int64_t rows, inner, width;
  bool bias, relu;
  bool tf32;  // CUBLAS_COMPUTE_32F_FAST_TF32 (int8 weights), else CUBLAS_COMPUTE_32F
  bool operator<(const LtPlanKey& other) const {
    return std::tie(handle, dtype, rows, inner, width, bias, relu, tf32) <
           std::tie(other.handle, other.dtype, other.rows, other.inner, other.width, other.bias, other.relu,
                    other.tf32);
  }
};

std::shared_ptr<LtPlan> make_plan(const LtPlanKey& key) {
  auto plan = std::make_shared<LtPlan>();
  LtDescriptors& d = plan->descriptors;
  const cudaDataType_t type = cuda_data_type(key.dtype);
  const auto rows = static_cast<uint64_t>(key.rows), inner = static_cast<uint64_t>(key.inner),
             width = static_cast<uint64_t>(key.width);
  GNNRT_CUBLAS_CHECK(cublasLtMatmulDescCreate(&d.operation, compute_type(key.tf32), CUDA_R_32F));
  const cublasLtEpilogue_t epilogue = epilogue_for(key.bias, key.relu);
  GNNRT_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(d.operation, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
  // Column-major: W^T is [N, K] (ld N), X^T is [K, M] (ld K), Y^T is [N, M] (ld N).
  GNNRT_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d.w, type, width, inner, static_cast<int64_t>(width)));
  GNNRT_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d.x, type, inner, rows, static_cast<int64_t>(inner)));
  GNNRT_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&d.y, type, width, rows, static_cast<int64_t>(width)));
  GNNRT_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&d.preference));
  GNNRT_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(d.preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                          &kWorkspaceBytes, sizeof(kWorkspaceBytes)));
  cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(key.handle, d.operation, d.w, d.x, d.y, d.y,
                                                               d.preference, 1, &heuristic, &found);
  if (status == CUBLAS_STATUS_NOT_SUPPORTED || found == 0) return plan;
  GNNRT_CUBLAS_CHECK(status);
  plan->algorithm = heuristic.algo;
  plan->workspace_bytes = heuristic.workspaceSize;
  plan->usable = true;
  return plan;
}

std::shared_ptr<LtPlan> find_plan(const LtPlanKey& key) {
  static std::mutex mutex;
  static std::map<LtPlanKey, std::shared_ptr<LtPlan>> plans;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = plans.find(key);
  if (it != plans.end()) return it->second;
  if (plans.size() >= 512) plans.clear();  // graphs of ever new sizes: keep the table bounded
  return plans[key] = make_plan(key);
}

// The fused product; false when cuBLASLt has no algorithm for it.
bool lt_matmul(const LinearLayout& layout, DType dtype, const void* x, const void* w, const void* bias, void* y,
               CudaKernelContext& context) {
  const LtPlanKey key{context.cublaslt, dtype, layout.rows, layout.inner, layout.width, bias != nullptr,
                      layout.activation == SpmmActivation::Relu, layout.int8_weight};
  const std::shared_ptr<LtPlan> plan = find_plan(key);
  if (!plan->usable) return false;
  LtDescriptors& d = plan->descriptors;
  if (bias)
    GNNRT_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(d.operation, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
  Tensor workspace = scratch_tensor(plan->workspace_bytes, context);
  const float alpha = 1.0f, beta = 0.0f;
  GNNRT_CUBLAS_CHECK(cublasLtMatmul(context.cublaslt, d.operation, &alpha, w, d.w, x, d.x, &beta, y, d.y, y, d.y,
                                    &plan->algorithm, scratch_pointer(workspace), plan->workspace_bytes,
                                    context.stream));
  return true;
}

void gemm_ex_then_epilogue(const LinearLayout& layout, DType dtype, const void* x, const void* w, const void* bias,
                           void* y, CudaKernelContext& context) {
  const cudaDataType_t type = cuda_data_type(dtype);
  const float alpha = 1.0f, beta = 0.0f;
  GNNRT_CUBLAS_CHECK(cublasGemmEx_64(context.cublas, CUBLAS_OP_N, CUBLAS_OP_N, layout.width, layout.rows, layout.inner,
                                     &alpha, w, type, layout.width, x, type, layout.inner, &beta, y, type,
                                     layout.width, compute_type(layout.int8_weight), CUBLAS_GEMM_DEFAULT));
  if (bias || layout.activation == SpmmActivation::Relu)
    launch_bias_activation(dtype, y, bias, layout.rows, layout.width, layout.activation == SpmmActivation::Relu,
                           context.stream);
}

Outputs linear_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  using namespace fused_linear;
  const LinearLayout layout = linear_layout(node, inputs);
  const Tensor& x = *inputs[kX];
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i]) require_device(node, *inputs[i], i);
  const DType dtype = x.dtype();
  Tensor y = context.allocate(dtype, {layout.rows, layout.width});
  if (y.numel() == 0) return {y};
  Tensor w = *inputs[kWeight];
  if (layout.int8_weight) {
    Tensor dequantized = context.allocate(DType::Float32, w.shape());
    launch_dequantize_int8_columns(static_cast<const int8_t*>(w.raw()),
                                   static_cast<const float*>(inputs[kWeightScale]->raw()), layout.inner, layout.width,
                                   static_cast<float*>(dequantized.raw()), context.stream);
    w = dequantized;
  }
  const void* bias = layout.has_bias ? inputs[kBias]->raw() : nullptr;
  if (layout.inner == 0) {  // a sum over nothing: Y = act(bias)
    GNNRT_CUDA_CHECK(cudaMemsetAsync(y.raw(), 0, y.nbytes(), context.stream));
    launch_bias_activation(dtype, y.raw(), bias, layout.rows, layout.width,
                           layout.activation == SpmmActivation::Relu, context.stream);
    return {y};
  }
  if (!lt_matmul(layout, dtype, x.raw(), w.raw(), bias, y.raw(), context))
    gemm_ex_then_epilogue(layout, dtype, x.raw(), w.raw(), bias, y.raw(), context);
  return {y};
}

bool linear_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  using namespace fused_linear;
  const DType dtype = dtype_at(dtypes, kX);
  if (dtype != DType::Float32 && dtype != DType::Float16 && dtype != DType::BFloat16) return false;
  const bool int8_weight = dtype_at(dtypes, kWeight) == DType::Int8;  // with float32 X and weight_scale
  if (int8_weight ? dtype != DType::Float32 || dtype_at(dtypes, kWeightScale) != DType::Float32
                  : dtype_at(dtypes, kWeight) != dtype)
    return false;
  const DType bias = dtype_at(dtypes, 2);
  return (bias == DType::Undefined || bias == dtype) && attributes_ok([&] {
           spmm_activation(node);
           return true;
         });
}

}  // namespace

void register_cuda_fused_linear_kernels(CudaKernelRegistry& registry) {
  registry.add("Linear", {linear_kernel, linear_supports});
}

}  // namespace gnnrt::cuda

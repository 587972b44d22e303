// CPU reference kernel of gnnrt.Linear (semantics: backends/op_shapes/fused_linear.h): OpenBLAS
// SGEMM in fixed-size row blocks (each row's result independent of the others: blas_gemm.h), then
// bias and activation; 16-bit operands are widened to fp32 first and the result rounded once. An
// int8 W (INT8 engines) is dequantised per output column into an fp32 copy first: W is small
// (K x N) beside X, and SGEMM keeps the accumulation exact fp32.
#include <algorithm>

#include "backends/cpu/blas_gemm.h"
#include "backends/cpu/broadcast.h"  // kParallelElementThreshold
#include "backends/cpu/kernel_registry.h"
#include "backends/op_shapes/fused_linear.h"

namespace gnnrt::cpu {
namespace {

Tensor dequantized_weight(const Tensor& weight, const Tensor& weight_scale) {
  Tensor w(DType::Float32, weight.shape());
  const int64_t inner = weight.dim(0), width = weight.dim(1);
  const int8_t* q = weight.data<int8_t>();
  const float* scale = weight_scale.data<float>();
  float* out = w.data<float>();
  for (int64_t k = 0; k < inner; ++k)
    for (int64_t n = 0; n < width; ++n) out[k * width + n] = scale[n] * static_cast<float>(q[k * width + n]);
  return w;
}

std::vector<Tensor> linear_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  using namespace op_shapes::fused_linear;
  const op_shapes::LinearLayout layout = op_shapes::linear_layout(node, inputs);
  const DType dtype = inputs[kX]->dtype();
  const Tensor x = dtype == DType::Float32 ? *inputs[kX] : cast_tensor(*inputs[kX], DType::Float32);
  const Tensor w = layout.int8_weight          ? dequantized_weight(*inputs[kWeight], *inputs[kWeightScale])
                   : dtype == DType::Float32 ? *inputs[kWeight]
                                             : cast_tensor(*inputs[kWeight], DType::Float32);
  Tensor y(DType::Float32, {layout.rows, layout.width});
  float* out = y.data<float>();
  const int64_t m = layout.rows, n = layout.width, k = layout.inner;
  if (y.numel() > 0) {
    if (k > 0)
      blas_gemm(/*trans_b=*/false, m, n, k, 1.0f, x.data<float>(), w.data<float>(), 0.0f, out);
    else
      std::fill(out, out + y.numel(), 0.0f);
  }
  Tensor bias;
  if (layout.has_bias) bias = dtype == DType::Float32 ? *inputs[kBias] : cast_tensor(*inputs[kBias], DType::Float32);
  const float* b = layout.has_bias ? bias.data<float>() : nullptr;
  const bool relu = layout.activation == op_shapes::SpmmActivation::Relu;
  if (b || relu) {
    // Element-wise: small outputs are not worth waking the other threads for.
#pragma omp parallel for schedule(static) if (y.numel() >= kParallelElementThreshold)
    for (int64_t row = 0; row < m; ++row)
      for (int64_t col = 0; col < n; ++col) {
        float v = out[row * n + col] + (b ? b[col] : 0.0f);
        out[row * n + col] = relu ? std::max(v, 0.0f) : v;
      }
  }
  return {dtype == DType::Float32 ? y : cast_tensor(y, dtype)};
}

}  // namespace

void register_fused_linear_kernels(KernelRegistry& registry) { registry.add("Linear", linear_kernel); }

}  // namespace gnnrt::cpu

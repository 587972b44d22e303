// CPU reference kernel of gnnrt.QuantizeInt8 (semantics: backends/op_shapes/quantize.h), per tensor
// or per row.
#include "core/openmp.h"

#include "backends/cpu/kernel_registry.h"
#include "backends/op_shapes/quantize.h"
#include "core/int8.h"

#include <cmath>

namespace gnnrt::cpu {
namespace {

std::vector<Tensor> quantize_int8_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const op_shapes::QuantizeInt8Layout layout = op_shapes::quantize_int8_layout(node, inputs);
  const Tensor& x = *inputs[0];
  Tensor y(DType::Int8, x.shape());
  const float* in = x.data<float>();
  int8_t* out = y.data<int8_t>();
  if (!layout.per_row) {
    const int64_t count = x.numel();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; ++i) out[i] = quantize_int8(in[i], layout.scale);
    return {y};
  }
  const int64_t rows = x.dim(0), width = x.dim(1);
  Tensor row_scale(DType::Float32, {rows});
  float* scales = row_scale.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    const float* source = in + row * width;
    float amax = 0;
    for (int64_t f = 0; f < width; ++f)
      if (std::isfinite(source[f])) amax = std::fmax(amax, std::fabs(source[f]));
    const float scale = amax > 0 ? amax / 127.0f : 1.0f;
    scales[row] = scale;
    for (int64_t f = 0; f < width; ++f) out[row * width + f] = quantize_int8(source[f], scale);
  }
  return {y, row_scale};
}

}  // namespace

void register_quantize_kernels(KernelRegistry& registry) { registry.add("QuantizeInt8", quantize_int8_kernel); }

}  // namespace gnnrt::cpu

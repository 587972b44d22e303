// CPU reference kernel of gnnrt.QuantizeInt8 (semantics: backends/op_shapes/quantize.h).
#include "core/openmp.h"

#include "backends/cpu/kernel_registry.h"
#include "backends/op_shapes/quantize.h"
#include "core/int8.h"

namespace gnnrt::cpu {
namespace {

std::vector<Tensor> quantize_int8_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const float scale = op_shapes::quantize_int8_scale(node, inputs);
  const Tensor& x = *inputs[0];
  Tensor y(DType::Int8, x.shape());
  const float* in = x.data<float>();
  int8_t* out = y.data<int8_t>();
  const int64_t count = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) out[i] = quantize_int8(in[i], scale);
  return {y};
}

}  // namespace

void register_quantize_kernels(KernelRegistry& registry) { registry.add("QuantizeInt8", quantize_int8_kernel); }

}  // namespace gnnrt::cpu

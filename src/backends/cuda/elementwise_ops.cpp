// CUDA host side of the element-wise ops: the shape and dtype checks shared with the CPU reference
// (backends/op_shapes/elementwise.h and cpu::broadcast_shapes), output allocation, and calls to the
// launch functions of launch/elementwise.cuh. `supports` accepts exactly the dtypes and
// attributes the kernels are instantiated for; anything else runs on the CPU.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "backends/cpu/broadcast.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/elementwise.cuh"
#include "backends/cuda/op_helpers.h"
#include "backends/op_shapes/elementwise.h"

namespace gnnrt::cuda {

namespace {

using op_shapes::require_dtype;
using op_shapes::require_same_dtype;

BroadcastIndexing indexing_for(const ir::Node& node, const std::vector<Dims>& input_shapes, const Dims& output_shape) {
  BroadcastIndexing indexing;
  if (!make_broadcast_indexing(input_shapes, output_shape, indexing))
    fail_input(node.describe(), ": broadcasting to ", shape_to_string(output_shape), " needs more than ",
               kMaxBroadcastRank, " merged dimensions, which the CUDA backend does not handle; run on the CPU");
  return indexing;
}

// ---------------------------------------------------------------- binary

DType binary_output_dtype(BinaryOp op, DType input) {
  switch (op) {
    case BinaryOp::Equal:
    case BinaryOp::Less:
    case BinaryOp::LessOrEqual:
    case BinaryOp::Greater:
    case BinaryOp::GreaterOrEqual: return DType::Bool;
    default: return input;
  }
}

// op(a, b) with numpy broadcasting; `b_index` names b in messages (the variadic fold's input k).
Tensor broadcast_binary(const ir::Node& node, BinaryOp op, const Tensor& a, const Tensor& b, size_t b_index,
                        CudaKernelContext& context) {
  require_same_dtype(node, a, b, b_index);
  require_device(node, a, 0);
  require_device(node, b, b_index);
  const Dims shape = cpu::broadcast_shapes({a.shape(), b.shape()}, node.describe());
  Tensor output = context.allocate(binary_output_dtype(op, a.dtype()), shape);
  if (output.numel() == 0) return output;
  const BroadcastIndexing indexing = indexing_for(node, {a.shape(), b.shape()}, shape);
  launch_binary(op, a.dtype(), a.raw(), b.raw(), output.raw(), indexing, output.numel(), b.numel(),
                error_sink(context), context.stream);
  return output;
}

template <BinaryOp Op>
Outputs binary_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  return {broadcast_binary(node, Op, require_input(node, inputs, 0), require_input(node, inputs, 1), 1, context)};
}

template <BinaryOp Op>
bool binary_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  return dtypes.size() == 2 && dtypes[0] == dtypes[1] && binary_supported(Op, dtypes[0]);
}

Outputs logical_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context, BinaryOp op) {
  const Tensor& a = require_input(node, inputs, 0);
  const Tensor& b = require_input(node, inputs, 1);
  require_dtype(node, a, 0, DType::Bool);
  require_dtype(node, b, 1, DType::Bool);
  return {broadcast_binary(node, op, a, b, 1, context)};
}
template <BinaryOp Op>
Outputs logical_node(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  return logical_kernel(node, inputs, context, Op);
}

Outputs mod_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const BinaryOp op = op_shapes::mod_takes_dividend_sign(node) ? BinaryOp::FMod : BinaryOp::Mod;
  return {broadcast_binary(node, op, require_input(node, inputs, 0), require_input(node, inputs, 1), 1, context)};
}

bool mod_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  return binary_supports<BinaryOp::Mod>(node, dtypes) && attributes_ok([&] {
           op_shapes::mod_takes_dividend_sign(node);
           return true;
         });
}

// PRelu: the slope broadcasts to X without changing X's shape.
Outputs prelu_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& x = require_input(node, inputs, 0);
  const Tensor& slope = require_input(node, inputs, 1);
  op_shapes::check_prelu_slope(node, x, slope);
  return {broadcast_binary(node, BinaryOp::PRelu, x, slope, 1, context)};
}

// Pow's base and exponent may have different dtypes; the result has the base's.
Outputs pow_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& base = require_input(node, inputs, 0);
  const Tensor& exponent = require_input(node, inputs, 1);
  require_device(node, base, 0);
  require_device(node, exponent, 1);
  const Dims shape = cpu::broadcast_shapes({base.shape(), exponent.shape()}, node.describe());
  Tensor output = context.allocate(base.dtype(), shape);
  if (output.numel() == 0) return {output};
  const BroadcastIndexing indexing = indexing_for(node, {base.shape(), exponent.shape()}, shape);
  launch_pow(base.dtype(), exponent.dtype(), base.raw(), exponent.raw(), output.raw(), indexing, output.numel(),
             context.stream);
  return {output};
}

bool pow_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return dtypes.size() == 2 && pow_supported(dtypes[0], dtypes[1]);
}

// ---------------------------------------------------------------- variadic Sum/Max/Min/Mean

// Folded left to right over the inputs, one broadcasting launch per input, as the CPU does.
Tensor fold_variadic(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context, BinaryOp op) {
  if (inputs.empty()) fail_input(node.describe(), ": needs at least one input, got none");
  const Tensor& first = require_input(node, inputs, 0);
  if (inputs.size() == 1) {
    require_device(node, first, 0);
    return device_copy(first, context);
  }
  Tensor accumulated = broadcast_binary(node, op, first, require_input(node, inputs, 1), 1, context);
  for (size_t k = 2; k < inputs.size(); ++k) {
    const Tensor& next = require_input(node, inputs, k);
    require_same_dtype(node, first, next, k);
    accumulated = broadcast_binary(node, op, accumulated, next, k, context);
  }
  return accumulated;
}

template <BinaryOp Op>
Outputs variadic_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  return {fold_variadic(node, inputs, context, Op)};
}

bool all_same_dtype(const std::vector<DType>& dtypes) {
  if (dtypes.empty()) return false;
  for (DType dtype : dtypes)
    if (dtype != dtypes[0]) return false;
  return true;
}

template <BinaryOp Op>
bool variadic_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return all_same_dtype(dtypes) && binary_supported(Op, dtypes[0]);
}

Outputs mean_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  if (inputs.empty()) fail_input(node.describe(), ": needs at least one input, got none");
  const DType dtype = require_input(node, inputs, 0).dtype();
  if (!unary_supported(UnaryOp::DivideByCount, dtype))
    fail_input(node.describe(), ": dtype ", dtype_name(dtype), " is not supported here (expected float32 or float64)");
  const Tensor sum = fold_variadic(node, inputs, context, BinaryOp::Add);
  Tensor output = context.allocate(sum.dtype(), sum.shape());
  UnaryParams params;
  params.alpha = static_cast<double>(inputs.size());
  launch_unary(UnaryOp::DivideByCount, params, sum.dtype(), sum.raw(), output.raw(), output.numel(), context.stream);
  return {output};
}

bool mean_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return all_same_dtype(dtypes) && unary_supported(UnaryOp::DivideByCount, dtypes[0]);
}

// ---------------------------------------------------------------- unary

Tensor map_unary(const ir::Node& node, const Tensor& x, UnaryOp op, const UnaryParams& params, DType output_dtype,
                 CudaKernelContext& context) {
  if (!unary_supported(op, x.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(x.dtype()), " is not supported here");
  require_device(node, x, 0);
  Tensor output = context.allocate(output_dtype, x.shape());
  launch_unary(op, params, x.dtype(), x.raw(), output.raw(), output.numel(), context.stream);
  return output;
}

// The attributes of the parameterised activations, with the CPU's defaults.
UnaryParams unary_params(const ir::Node& node, UnaryOp op) {
  UnaryParams params;
  switch (op) {
    case UnaryOp::LeakyRelu: params.alpha = node.attr_float("alpha", 0.01f); break;
    case UnaryOp::Elu: params.alpha = node.attr_float("alpha", 1.0f); break;
    case UnaryOp::Selu:
      params.alpha = node.attr_float("alpha", 1.67326319217681884765625f);
      params.gamma = node.attr_float("gamma", 1.05070102214813232421875f);
      break;
    case UnaryOp::HardSigmoid:
      params.alpha = node.attr_float("alpha", 0.2f);
      params.beta = node.attr_float("beta", 0.5f);
      break;
    case UnaryOp::IsInf:
      params.detect_negative = node.attr_int("detect_negative", 1) != 0;
      params.detect_positive = node.attr_int("detect_positive", 1) != 0;
      break;
    default: break;
  }
  return params;
}

DType unary_output_dtype(UnaryOp op, DType input) {
  return (op == UnaryOp::IsNaN || op == UnaryOp::IsInf || op == UnaryOp::Not) ? DType::Bool : input;
}

template <UnaryOp Op>
Outputs unary_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& x = require_input(node, inputs, 0);
  if (Op == UnaryOp::Not) require_dtype(node, x, 0, DType::Bool);
  return {map_unary(node, x, Op, unary_params(node, Op), unary_output_dtype(Op, x.dtype()), context)};
}

template <UnaryOp Op>
bool unary_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  return !dtypes.empty() && unary_supported(Op, dtypes[0]) && attributes_ok([&] {
           unary_params(node, Op);
           return true;
         });
}

UnaryOp gelu_op(const ir::Node& node) {
  return op_shapes::gelu_approximation(node) == op_shapes::GeluApproximation::Erf ? UnaryOp::GeluErf
                                                                                   : UnaryOp::GeluTanh;
}

Outputs gelu_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& x = require_input(node, inputs, 0);
  const UnaryOp op = gelu_op(node);
  return {map_unary(node, x, op, UnaryParams{}, x.dtype(), context)};
}

bool gelu_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  return !dtypes.empty() && unary_supported(UnaryOp::GeluErf, dtypes[0]) && attributes_ok([&] {
           gelu_op(node);
           return true;
         });
}

// ---------------------------------------------------------------- Clip, Cast, Where

// A single-element bound in device memory: host tensors (small constants the executor keeps on
// the host) are copied up first.
const void* device_scalar(const Tensor& bound, CudaKernelContext& context, std::vector<Tensor>& keep_alive) {
  if (!bound.on_host()) return bound.raw();
  Tensor device = context.allocate(bound.dtype(), bound.shape());
  GNNRT_CUDA_CHECK(cudaMemcpyAsync(device.raw(), bound.raw(), bound.nbytes(), cudaMemcpyHostToDevice, context.stream));
  keep_alive.push_back(device);
  return device.raw();
}

Outputs clip_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& x = require_input(node, inputs, 0);
  require_device(node, x, 0);
  op_shapes::check_clip_bounds(node, x, inputs);
  if (!clip_supported(x.dtype()))
    fail_input(node.describe(), ": dtype ", dtype_name(x.dtype()), " is not supported here");
  std::vector<Tensor> keep_alive;
  const Tensor* min_input = optional_input(inputs, 1);
  const Tensor* max_input = optional_input(inputs, 2);
  const void* min_bound = min_input ? device_scalar(*min_input, context, keep_alive) : nullptr;
  const void* max_bound = max_input ? device_scalar(*max_input, context, keep_alive) : nullptr;
  Tensor output = context.allocate(x.dtype(), x.shape());
  launch_clip(x.dtype(), x.raw(), output.raw(), output.numel(), min_bound, max_bound, context.stream);
  return {output};
}

bool clip_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  if (dtypes.empty() || !clip_supported(dtypes[0])) return false;
  for (size_t index : {size_t{1}, size_t{2}}) {
    const DType bound = dtype_at(dtypes, index);
    if (bound != DType::Undefined && bound != dtypes[0]) return false;
  }
  return true;
}

using op_shapes::cast_target;

Tensor cast_to(const ir::Node& node, const Tensor& x, DType to, CudaKernelContext& context) {
  require_device(node, x, 0);
  if (!cast_supported(x.dtype(), to))
    fail_input(node.describe(), ": casting ", dtype_name(x.dtype()), " to ", dtype_name(to),
               " is not supported on CUDA; run on the CPU");
  Tensor output = context.allocate(to, x.shape());
  launch_cast(x.dtype(), to, x.raw(), output.raw(), output.numel(), context.stream);
  return output;
}

Outputs cast_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  return {cast_to(node, require_input(node, inputs, 0), cast_target(node), context)};
}

bool cast_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  return !dtypes.empty() && attributes_ok([&] { return cast_supported(dtypes[0], cast_target(node)); });
}

Outputs cast_like_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  return {cast_to(node, require_input(node, inputs, 0), require_input(node, inputs, 1).dtype(), context)};
}

bool cast_like_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return dtypes.size() >= 2 && cast_supported(dtypes[0], dtypes[1]);
}

Outputs where_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& condition = require_input(node, inputs, 0);
  const Tensor& x = require_input(node, inputs, 1);
  const Tensor& y = require_input(node, inputs, 2);
  op_shapes::check_where_inputs(node, condition, x, y);
  require_device(node, condition, 0);
  require_device(node, x, 1);
  require_device(node, y, 2);
  const std::vector<Dims> shapes{condition.shape(), x.shape(), y.shape()};
  const Dims shape = cpu::broadcast_shapes(shapes, node.describe());
  Tensor output = context.allocate(x.dtype(), shape);
  if (output.numel() == 0) return {output};
  launch_where(dtype_size(x.dtype()), static_cast<const bool*>(condition.raw()), x.raw(), y.raw(), output.raw(),
               indexing_for(node, shapes, shape), output.numel(), context.stream);
  return {output};
}

bool where_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return dtypes.size() == 3 && dtypes[0] == DType::Bool && dtypes[1] != DType::Undefined && dtypes[1] == dtypes[2] &&
         where_supported(dtype_size(dtypes[1]));
}

}  // namespace

void register_cuda_elementwise_kernels(CudaKernelRegistry& registry) {
  registry.add("Add", {binary_kernel<BinaryOp::Add>, binary_supports<BinaryOp::Add>});
  registry.add("Sub", {binary_kernel<BinaryOp::Sub>, binary_supports<BinaryOp::Sub>});
  registry.add("Mul", {binary_kernel<BinaryOp::Mul>, binary_supports<BinaryOp::Mul>});
  registry.add("Div", {binary_kernel<BinaryOp::Div>, binary_supports<BinaryOp::Div>});
  registry.add("Mod", {mod_kernel, mod_supports});
  registry.add("Pow", {pow_kernel, pow_supports});
  registry.add("Max", {variadic_kernel<BinaryOp::Max>, variadic_supports<BinaryOp::Max>});
  registry.add("Min", {variadic_kernel<BinaryOp::Min>, variadic_supports<BinaryOp::Min>});
  registry.add("Sum", {variadic_kernel<BinaryOp::Add>, variadic_supports<BinaryOp::Add>});
  registry.add("Mean", {mean_kernel, mean_supports});
  registry.add("Equal", {binary_kernel<BinaryOp::Equal>, binary_supports<BinaryOp::Equal>});
  registry.add("Less", {binary_kernel<BinaryOp::Less>, binary_supports<BinaryOp::Less>});
  registry.add("LessOrEqual", {binary_kernel<BinaryOp::LessOrEqual>, binary_supports<BinaryOp::LessOrEqual>});
  registry.add("Greater", {binary_kernel<BinaryOp::Greater>, binary_supports<BinaryOp::Greater>});
  registry.add("GreaterOrEqual",
               {binary_kernel<BinaryOp::GreaterOrEqual>, binary_supports<BinaryOp::GreaterOrEqual>});
  registry.add("And", {logical_node<BinaryOp::And>, binary_supports<BinaryOp::And>});
  registry.add("Or", {logical_node<BinaryOp::Or>, binary_supports<BinaryOp::Or>});
  registry.add("Xor", {logical_node<BinaryOp::Xor>, binary_supports<BinaryOp::Xor>});
  registry.add("PRelu", {prelu_kernel, binary_supports<BinaryOp::PRelu>});

  registry.add("Neg", {unary_kernel<UnaryOp::Neg>, unary_supports<UnaryOp::Neg>});
  registry.add("Abs", {unary_kernel<UnaryOp::Abs>, unary_supports<UnaryOp::Abs>});
  registry.add("Sign", {unary_kernel<UnaryOp::Sign>, unary_supports<UnaryOp::Sign>});
  registry.add("Exp", {unary_kernel<UnaryOp::Exp>, unary_supports<UnaryOp::Exp>});
  registry.add("Log", {unary_kernel<UnaryOp::Log>, unary_supports<UnaryOp::Log>});
  registry.add("Sqrt", {unary_kernel<UnaryOp::Sqrt>, unary_supports<UnaryOp::Sqrt>});
  registry.add("Reciprocal", {unary_kernel<UnaryOp::Reciprocal>, unary_supports<UnaryOp::Reciprocal>});
  registry.add("Relu", {unary_kernel<UnaryOp::Relu>, unary_supports<UnaryOp::Relu>});
  registry.add("LeakyRelu", {unary_kernel<UnaryOp::LeakyRelu>, unary_supports<UnaryOp::LeakyRelu>});
  registry.add("Elu", {unary_kernel<UnaryOp::Elu>, unary_supports<UnaryOp::Elu>});
  registry.add("Selu", {unary_kernel<UnaryOp::Selu>, unary_supports<UnaryOp::Selu>});
  registry.add("Sigmoid", {unary_kernel<UnaryOp::Sigmoid>, unary_supports<UnaryOp::Sigmoid>});
  registry.add("Tanh", {unary_kernel<UnaryOp::Tanh>, unary_supports<UnaryOp::Tanh>});
  registry.add("Softplus", {unary_kernel<UnaryOp::Softplus>, unary_supports<UnaryOp::Softplus>});
  registry.add("Softsign", {unary_kernel<UnaryOp::Softsign>, unary_supports<UnaryOp::Softsign>});
  registry.add("HardSigmoid", {unary_kernel<UnaryOp::HardSigmoid>, unary_supports<UnaryOp::HardSigmoid>});
  registry.add("Erf", {unary_kernel<UnaryOp::Erf>, unary_supports<UnaryOp::Erf>});
  registry.add("Gelu", {gelu_kernel, gelu_supports});
  registry.add("Floor", {unary_kernel<UnaryOp::Floor>, unary_supports<UnaryOp::Floor>});
  registry.add("Ceil", {unary_kernel<UnaryOp::Ceil>, unary_supports<UnaryOp::Ceil>});
  registry.add("Round", {unary_kernel<UnaryOp::Round>, unary_supports<UnaryOp::Round>});
  registry.add("Not", {unary_kernel<UnaryOp::Not>, unary_supports<UnaryOp::Not>});
  registry.add("IsNaN", {unary_kernel<UnaryOp::IsNaN>, unary_supports<UnaryOp::IsNaN>});
  registry.add("IsInf", {unary_kernel<UnaryOp::IsInf>, unary_supports<UnaryOp::IsInf>});
  registry.add("Clip", {clip_kernel, clip_supports});
  registry.add("Cast", {cast_kernel, cast_supports});
  registry.add("CastLike", {cast_like_kernel, cast_like_supports});
  registry.add("Where", {where_kernel, where_supports});
}

}  // namespace gnnrt::cuda

// CUDA host side of gnnrt's sparse ops, CsrFromCoo and SpMM (semantics: backends/op_shapes/sparse.h;
// CPU reference: backends/cpu/sparse_ops.cpp). Shapes and dtypes are checked by the shared rules
// in op_shapes; index values are checked on the device (launch/sparse.cuh), where an out-of-range
// one becomes a device error record that the runtime reports after the call, naming this node.
//
// SpMM runs the tactic the node's "tactic" attribute names (the engine builder may record the
// fastest one, measured with spmm_tactics.h), or the heuristic default when it names none.
#include <cuda_runtime.h>

#include <limits>
#include <string>
#include <vector>

#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/sparse.cuh"
#include "backends/cuda/op_helpers.h"
#include "backends/cuda/spmm_tactics.h"
#include "backends/op_shapes/sparse.h"

namespace gnnrt::cuda {

namespace {

// ---------------------------------------------------------------- CsrFromCoo

Outputs csr_from_coo_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  using namespace op_shapes::csr_from_coo;
  const op_shapes::CsrFromCooLayout layout = op_shapes::csr_from_coo_layout(node, inputs, host_reader(context));
  const Tensor& src = *inputs[kSrc];
  const Tensor& dst = *inputs[kDst];
  require_device(node, src, kSrc);
  require_device(node, dst, kDst);
  const Tensor* values = layout.has_values ? inputs[kValues] : nullptr;
  if (values) require_device(node, *values, kValues);

  const int64_t rows = layout.num_rows, edges = layout.num_edges;
  Tensor row_ptr = context.allocate(DType::Int32, {rows + 1});
  Tensor col = context.allocate(DType::Int32, {edges});
  // As the CPU: the third output is there when the node has one (undefined without values).
  const bool has_sorted_values_output = node.outputs.size() > kSortedValues;
  Tensor sorted_values;
  if (values && has_sorted_values_output) sorted_values = context.allocate(DType::Float32, {edges});
  const bool sort_values = sorted_values.defined();

  const size_t scratch_bytes = csr_from_coo_scratch_bytes(edges, rows, sort_values);
  Tensor scratch = scratch_tensor(scratch_bytes, context);
  launch_csr_from_coo(static_cast<const int64_t*>(src.raw()), static_cast<const int64_t*>(dst.raw()),
                      sort_values ? static_cast<const float*>(values->raw()) : nullptr, edges, rows,
                      static_cast<int32_t*>(row_ptr.raw()), static_cast<int32_t*>(col.raw()),
                      sort_values ? static_cast<float*>(sorted_values.raw()) : nullptr, scratch_pointer(scratch),
                      scratch_bytes, error_sink(context), context.stream);
  Outputs outputs{row_ptr, col};
  if (has_sorted_values_output) outputs.push_back(sorted_values);
  return outputs;
}

bool csr_from_coo_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  using namespace op_shapes::csr_from_coo;
  const DType values = dtype_at(dtypes, kValues);
  return dtype_at(dtypes, kSrc) == DType::Int64 && dtype_at(dtypes, kDst) == DType::Int64 &&
         is_index_dtype(dtype_at(dtypes, kDenseShape)) && (values == DType::Undefined || values == DType::Float32);
}

// ---------------------------------------------------------------- SpMM

const float* optional_floats(const KernelInputs& inputs, size_t index) {
  const Tensor* tensor = optional_input(inputs, index);
  return tensor ? static_cast<const float*>(tensor->raw()) : nullptr;
}

// The node's "tactic" attribute, or the heuristic's choice when it has none.
SpmmConfig config_of(const ir::Node& node, DType dtype, const op_shapes::SpmmLayout& layout) {
  if (!node.has_attribute("tactic"))
    return {choose_spmm_tactic(layout.num_rows, layout.num_edges, layout.width), 0};
  const std::string name = node.attr_string("tactic", "");
  const std::optional<SpmmConfig> config = parse_spmm_config(name);
  if (!config)
    fail_input(node.describe(), ": attribute tactic '", name, "' is not one of ", spmm_tactic_names(),
               " (optionally with :slab=BYTES, 16 to 65536, on the first two)");
  if (!spmm_tactic_supports(config->tactic, dtype))
    fail_input(node.describe(), ": tactic '", name, "' does not take X of dtype ", dtype_name(dtype),
               " (cusparse takes float32 only)");
  return *config;
}

Outputs spmm_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  using namespace op_shapes::spmm;
  const op_shapes::SpmmLayout layout = op_shapes::spmm_layout(node, inputs);
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i]) require_device(node, *inputs[i], i);
  const Tensor& x = *inputs[kX];
  // Column ids are int32: a negative one wraps by M, which must stay within int32 too.
  if (layout.num_cols > std::numeric_limits<int32_t>::max())
    fail_input(node.describe(), ": X has ", layout.num_cols, " rows, more than the ",
               std::numeric_limits<int32_t>::max(), " int32 column ids address");
  const SpmmConfig config = config_of(node, x.dtype(), layout);

  // An int8 X (INT8 engines) is dequantised as it is gathered: Y is float32.
  Tensor y = context.allocate(x.dtype() == DType::Int8 ? DType::Float32 : x.dtype(), {layout.num_rows, layout.width});
  SpmmProblem problem;
  problem.dtype = x.dtype();
  problem.x = x.raw();
  problem.row_ptr = static_cast<const int32_t*>(inputs[kRowPtr]->raw());
  problem.col = static_cast<const int32_t*>(inputs[kCol]->raw());
  problem.values = optional_floats(inputs, kValues);
  problem.row_scale = optional_floats(inputs, kRowScale);
  problem.col_scale = optional_floats(inputs, kColScale);
  problem.bias = optional_floats(inputs, kBias);
  problem.x_scale = layout.x_scale;
  problem.x_row_scale = optional_floats(inputs, kXRowScale);
  problem.y = y.raw();
  problem.num_rows = layout.num_rows;
  problem.num_cols = layout.num_cols;
  problem.width = layout.width;
  problem.num_edges = layout.num_edges;
  problem.relu = layout.activation == op_shapes::SpmmActivation::Relu;
  problem.divide_rows = layout.divide_by_row_scale;
  problem.slab_bytes = config.slab_bytes;

  const size_t scratch_bytes = spmm_scratch_bytes(config.tactic, problem);
  Tensor scratch = scratch_tensor(scratch_bytes, context);
  launch_spmm(config.tactic, problem, scratch_pointer(scratch), scratch_bytes, error_sink(context), context.stream);
  return {y};
}

bool spmm_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  using namespace op_shapes::spmm;
  if (!spmm_dtype_supported(dtype_at(dtypes, kX)) || dtype_at(dtypes, kRowPtr) != DType::Int32 ||
      dtype_at(dtypes, kCol) != DType::Int32)
    return false;
  for (size_t i : {kValues, kRowScale, kColScale, kBias, kXRowScale}) {
    const DType dtype = dtype_at(dtypes, i);
    if (dtype != DType::Undefined && dtype != DType::Float32) return false;
  }
  // An unknown activation is declined (the CPU kernel reports it); an unknown or unsupported
  // tactic is taken and reported by the kernel, rather than silently run on the CPU.
  return attributes_ok([&] {
    op_shapes::spmm_activation(node);
    node.attr_string("tactic", "");
    return true;
  });
}

}  // namespace

void register_cuda_sparse_kernels(CudaKernelRegistry& registry) {
  registry.add("CsrFromCoo", {csr_from_coo_kernel, csr_from_coo_supports});
  registry.add("SpMM", {spmm_kernel, spmm_supports});
}

}  // namespace gnnrt::cuda

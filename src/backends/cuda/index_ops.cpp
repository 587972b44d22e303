// CUDA host side of the indexing ops: Gather, GatherElements, GatherND, ScatterElements,
// ScatterND and NonZero. Shape checks and messages are shared with the CPU reference
// (backends/op_shapes/index.h); the index values themselves are checked on the device (see
// launch/index.cuh), where an out-of-range one becomes a device error record that the runtime
// reports after the call, naming this node.
//
// NonZero is the one op here whose output size depends on the data: its count comes back to the
// host through context.to_host (a stream synchronisation).
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/launch/index.cuh"
#include "backends/cuda/op_helpers.h"
#include "backends/op_shapes/index.h"

namespace gnnrt::cuda {

namespace {

using op_shapes::contiguous_strides;
using op_shapes::product;

void require_index_dtype(const ir::Node& node, const Tensor& indices) {
  if (!index_dtype_supported(indices.dtype()))
    fail_input(node.describe(), ": indices must be int32 or int64, got ", indices.describe());
}

bool gatherable(DType dtype) { return dtype != DType::Undefined && gather_element_size_supported(dtype_size(dtype)); }

[[noreturn]] void fail_rank_limit(const ir::Node& node, const Tensor& tensor) {
  fail_input(node.describe(), ": ", tensor.describe(), " has more than ", kMaxIndexRank,
             " dimensions, which the CUDA backend does not handle here; run this node on the CPU");
}

// ---------------------------------------------------------------- Gather

Outputs gather_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const op_shapes::GatherLayout layout = op_shapes::gather_layout(node, data, indices);
  require_index_dtype(node, indices);
  require_device(node, data, 0);
  require_device(node, indices, 1);
  Tensor out = context.allocate(data.dtype(), layout.output_shape);
  if (out.numel() == 0) return {out};
  const int64_t row_bytes = layout.inner * static_cast<int64_t>(dtype_size(data.dtype()));
  launch_gather_rows(indices.dtype(), data.raw(), indices.raw(), out.raw(), layout.outer, layout.extent,
                     indices.numel(), row_bytes, error_sink(context), context.stream);
  return {out};
}

bool gather_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return gatherable(dtype_at(dtypes, 0)) && index_dtype_supported(dtype_at(dtypes, 1));
}

// ---------------------------------------------------------------- GatherElements / ScatterElements

// The addressing of indices positions into data, for indices that passed the shape checks
// (op_shapes::gather_elements_axis and scatter_elements_layout).
ElementsGeometry elements_geometry(const ir::Node& node, const Tensor& data, const Tensor& indices, int64_t axis) {
  if (data.rank() > kMaxIndexRank) fail_rank_limit(node, data);
  const auto strides = contiguous_strides(data.shape());
  ElementsGeometry geometry;
  geometry.rank = static_cast<int32_t>(data.rank());
  geometry.axis = static_cast<int32_t>(axis);
  geometry.extent = data.dim(axis);
  for (int64_t d = 0; d < data.rank(); ++d) {
    geometry.index_dims[d] = indices.dim(d);
    geometry.data_strides[d] = strides[static_cast<size_t>(d)];
  }
  return geometry;
}

Outputs gather_elements_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const int64_t axis = op_shapes::gather_elements_axis(node, data, indices);
  require_index_dtype(node, indices);
  require_device(node, data, 0);
  require_device(node, indices, 1);
  const ElementsGeometry geometry = elements_geometry(node, data, indices, axis);
  Tensor out = context.allocate(data.dtype(), indices.shape());
  if (out.numel() == 0) return {out};
  launch_gather_elements(dtype_size(data.dtype()), indices.dtype(), data.raw(), indices.raw(), out.raw(), geometry,
                         out.numel(), error_sink(context), context.stream);
  return {out};
}

bool gather_elements_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return gatherable(dtype_at(dtypes, 0)) && index_dtype_supported(dtype_at(dtypes, 1));
}

bool parse_reduction(const std::string& name, ScatterReduction& reduction) {
  if (name == "none") reduction = ScatterReduction::None;
  else if (name == "add") reduction = ScatterReduction::Add;
  else if (name == "mul") reduction = ScatterReduction::Mul;
  else if (name == "max") reduction = ScatterReduction::Max;
  else if (name == "min") reduction = ScatterReduction::Min;
  else return false;
  return true;
}

// A reduction name that op_shapes validated, as the kernels take it.
ScatterReduction reduction_of(const ir::Node& node, const std::string& name, DType data_dtype) {
  ScatterReduction reduction = ScatterReduction::None;
  parse_reduction(name, reduction);
  if (!scatter_supported(data_dtype, reduction))
    fail_input(node.describe(), ": dtype ", dtype_name(data_dtype),
               " is not supported here (expected float32, float64, int32, int64 or bool)");
  return reduction;
}

// data, indices, updates: dtypes as the scatter kernels take them, and a known reduction.
bool scatter_supports(const ir::Node& node, const std::vector<DType>& dtypes) {
  if (dtypes.size() != 3 || dtype_at(dtypes, 2) != dtypes[0] || !index_dtype_supported(dtypes[1])) return false;
  return attributes_ok([&] {
    ScatterReduction reduction;
    return parse_reduction(node.attr_string("reduction", "none"), reduction) &&
           scatter_supported(dtypes[0], reduction);
  });
}

Outputs scatter_elements_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const Tensor& updates = require_input(node, inputs, 2);
  const op_shapes::ScatterElementsLayout layout = op_shapes::scatter_elements_layout(node, data, indices, updates);
  require_index_dtype(node, indices);
  const ScatterReduction reduction = reduction_of(node, layout.reduction, data.dtype());
  const ElementsGeometry geometry = elements_geometry(node, data, indices, layout.axis);
  for (size_t i = 0; i < 3; ++i) require_device(node, *inputs[i], i);

  Tensor out = device_copy(data, context);
  const int64_t count = indices.numel();
  if (count == 0) return {out};
  const size_t scratch_bytes = scatter_elements_scratch_bytes(count, data.numel());
  Tensor scratch = scratch_tensor(scratch_bytes, context);
  launch_scatter_elements(data.dtype(), indices.dtype(), reduction, indices.raw(), updates.raw(), out.raw(), geometry,
                          count, data.numel(), scratch.raw(), scratch_bytes, error_sink(context), context.stream);
  return {out};
}

// ---------------------------------------------------------------- GatherND / ScatterND

Outputs gather_nd_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const op_shapes::GatherNdLayout layout = op_shapes::gather_nd_layout(node, data, indices);
  const int64_t b = layout.batch_dims, k = layout.k;
  require_index_dtype(node, indices);
  require_device(node, data, 0);
  require_device(node, indices, 1);
  if (k > kMaxIndexRank) fail_rank_limit(node, indices);
  const Dims& ds = data.shape();
  Tensor out = context.allocate(data.dtype(), layout.output_shape);
  if (out.numel() == 0) return {out};

  const auto strides = contiguous_strides(ds);
  GatherNdGeometry geometry;
  geometry.k = static_cast<int32_t>(k);
  geometry.tuples_per_batch = product(indices.shape(), static_cast<size_t>(b), indices.shape().size() - 1);
  geometry.batch_stride = product(ds, static_cast<size_t>(b), ds.size());
  geometry.slice = product(ds, static_cast<size_t>(b + k), ds.size());
  for (int64_t c = 0; c < k; ++c) {
    geometry.dims[c] = ds[static_cast<size_t>(b + c)];
    geometry.strides[c] = strides[static_cast<size_t>(b + c)];
  }
  const int64_t tuples = product(ds, 0, static_cast<size_t>(b)) * geometry.tuples_per_batch;
  launch_gather_nd(dtype_size(data.dtype()), indices.dtype(), data.raw(), indices.raw(), out.raw(), geometry, tuples,
                   error_sink(context), context.stream);
  return {out};
}

bool gather_nd_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return gatherable(dtype_at(dtypes, 0)) && index_dtype_supported(dtype_at(dtypes, 1));
}

Outputs scatter_nd_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const Tensor& updates = require_input(node, inputs, 2);
  const op_shapes::ScatterNdLayout layout = op_shapes::scatter_nd_layout(node, data, indices, updates);
  const int64_t k = layout.k;
  require_index_dtype(node, indices);
  const ScatterReduction reduction = reduction_of(node, layout.reduction, data.dtype());
  if (k > kMaxIndexRank) fail_rank_limit(node, indices);
  for (size_t i = 0; i < 3; ++i) require_device(node, *inputs[i], i);

  Tensor out = device_copy(data, context);
  const int64_t tuples = product(indices.shape(), 0, indices.shape().size() - 1);
  const int64_t slice = product(data.shape(), static_cast<size_t>(k), data.shape().size());
  if (tuples == 0 || slice == 0) return {out};
  ScatterNdGeometry geometry;
  geometry.k = static_cast<int32_t>(k);
  for (int64_t c = 0; c < k; ++c) geometry.dims[c] = data.dim(c);
  const size_t scratch_bytes = scatter_nd_scratch_bytes(tuples, geometry);
  Tensor scratch = scratch_tensor(scratch_bytes, context);
  launch_scatter_nd(data.dtype(), indices.dtype(), reduction, indices.raw(), updates.raw(), out.raw(), geometry,
                    tuples, slice, scratch.raw(), scratch_bytes, error_sink(context), context.stream);
  return {out};
}

// ---------------------------------------------------------------- NonZero

Outputs non_zero_kernel(const ir::Node& node, const KernelInputs& inputs, CudaKernelContext& context) {
  const Tensor& data = require_input(node, inputs, 0);
  require_device(node, data, 0);
  // A scalar is treated as a 1-element vector, as ONNX Runtime and NumPy's at-least-1-D rule do.
  const Dims shape = data.rank() == 0 ? Dims{1} : data.shape();
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank > kMaxIndexRank) fail_rank_limit(node, data);
  const int64_t n = data.numel();
  if (n == 0) return {context.allocate(DType::Int64, {rank, 0})};

  const size_t scratch_bytes = nonzero_scratch_bytes(n);
  Tensor scratch = scratch_tensor(scratch_bytes, context);
  Tensor positions = context.allocate(DType::Int64, {n});
  Tensor selected = context.allocate(DType::Int64, {1});
  launch_nonzero_positions(data.dtype(), data.raw(), n, static_cast<int64_t*>(positions.raw()),
                           static_cast<int64_t*>(selected.raw()), scratch.raw(), scratch_bytes, context.stream);
  // The data-dependent size: one synchronisation to bring the count to the host.
  const int64_t count = context.to_host(selected).data<int64_t>()[0];
  GNNRT_CHECK(count >= 0 && count <= n, node.describe(), ": NonZero selected ", count, " of ", n, " elements");
  Tensor out = context.allocate(DType::Int64, {rank, count});
  launch_nonzero_coordinates(static_cast<const int64_t*>(positions.raw()), count, shape.data(),
                             static_cast<int32_t>(rank), static_cast<int64_t*>(out.raw()), context.stream);
  return {out};
}

bool non_zero_supports(const ir::Node&, const std::vector<DType>& dtypes) {
  return dtypes.size() == 1 && nonzero_supported(dtypes[0]);
}

}  // namespace

void register_cuda_index_kernels(CudaKernelRegistry& registry) {
  registry.add("Gather", {gather_kernel, gather_supports});
  registry.add("GatherElements", {gather_elements_kernel, gather_elements_supports});
  registry.add("GatherND", {gather_nd_kernel, gather_nd_supports});
  registry.add("ScatterElements", {scatter_elements_kernel, scatter_supports});
  registry.add("ScatterND", {scatter_nd_kernel, scatter_supports});
  registry.add("NonZero", {non_zero_kernel, non_zero_supports});
}

}  // namespace gnnrt::cuda

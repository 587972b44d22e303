#include "backends/op_shapes/index.h"

#include <algorithm>

namespace gnnrt::op_shapes {

namespace {

void require_data_rank(const ir::Node& node, const Tensor& data) {
  if (data.rank() == 0) fail_input(node.describe(), ": data must have rank >= 1, got ", data.describe());
}

void require_updates_dtype(const ir::Node& node, const Tensor& data, const Tensor& updates) {
  if (updates.dtype() != data.dtype())
    fail_input(node.describe(), ": updates ", updates.describe(), " must have the dtype of data ", data.describe());
}

// GatherElements / ScatterElements: indices position (..., j, ...) refers to data element
// (..., indices[...], ...), so indices has data's rank and fits data on every dim but `axis`.
void check_elements_shapes(const ir::Node& node, const Tensor& data, const Tensor& indices, int64_t axis,
                           const char* indices_name) {
  if (indices.rank() != data.rank())
    fail_input(node.describe(), ": ", indices_name, " ", indices.describe(), " must have the rank of data ",
               data.describe());
  for (int64_t d = 0; d < data.rank(); ++d)
    if (d != axis && indices.dim(d) > data.dim(d))
      fail_input(node.describe(), ": ", indices_name, " ", indices.describe(), " is larger than data ",
                 data.describe(), " on dimension ", d, " (only axis ", axis, " may be larger)");
}

// The `reduction` attribute of a scatter, checked against the data's dtype.
std::string scatter_reduction(const ir::Node& node, DType data_dtype) {
  std::string name = node.attr_string("reduction", "none");
  if (name != "none" && name != "add" && name != "mul" && name != "max" && name != "min")
    fail_input(node.describe(), ": reduction '", name, "' is not one of none, add, mul, max, min");
  if (data_dtype == DType::Bool && (name == "add" || name == "mul"))
    fail_input(node.describe(), ": reduction '", name, "' is not defined for bool data");
  return name;
}

void require_index_ranks(const ir::Node& node, const Tensor& data, const Tensor& indices) {
  if (data.rank() < 1 || indices.rank() < 1)
    fail_input(node.describe(), ": data and indices must have rank >= 1, got ", data.describe(), " and ",
               indices.describe());
}

}  // namespace

GatherLayout gather_layout(const ir::Node& node, const Tensor& data, const Tensor& indices) {
  require_data_rank(node, data);
  GatherLayout layout;
  layout.axis = normalize_axis(node, node.attr_int("axis", 0), data.rank());
  const size_t axis = static_cast<size_t>(layout.axis);
  const Dims& ds = data.shape();
  layout.output_shape.assign(ds.begin(), ds.begin() + layout.axis);
  layout.output_shape.insert(layout.output_shape.end(), indices.shape().begin(), indices.shape().end());
  layout.output_shape.insert(layout.output_shape.end(), ds.begin() + layout.axis + 1, ds.end());
  layout.outer = product(ds, 0, axis);
  layout.extent = ds[axis];
  layout.inner = product(ds, axis + 1, ds.size());
  return layout;
}

int64_t gather_elements_axis(const ir::Node& node, const Tensor& data, const Tensor& indices) {
  require_data_rank(node, data);
  const int64_t axis = normalize_axis(node, node.attr_int("axis", 0), data.rank());
  check_elements_shapes(node, data, indices, axis, "indices");
  return axis;
}

ScatterElementsLayout scatter_elements_layout(const ir::Node& node, const Tensor& data, const Tensor& indices,
                                              const Tensor& updates) {
  require_data_rank(node, data);
  if (updates.shape() != indices.shape())
    fail_input(node.describe(), ": updates ", updates.describe(), " must have the shape of indices ",
               indices.describe());
  require_updates_dtype(node, data, updates);
  ScatterElementsLayout layout;
  layout.axis = normalize_axis(node, node.attr_int("axis", 0), data.rank());
  layout.reduction = scatter_reduction(node, data.dtype());
  check_elements_shapes(node, data, indices, layout.axis, "indices");
  return layout;
}

GatherNdLayout gather_nd_layout(const ir::Node& node, const Tensor& data, const Tensor& indices) {
  const int64_t r = data.rank(), q = indices.rank();
  const int64_t b = node.attr_int("batch_dims", 0);
  require_index_ranks(node, data, indices);
  if (b < 0 || b >= std::min(r, q))
    fail_input(node.describe(), ": batch_dims ", b, " must be in [0, ", std::min(r, q) - 1, "] for data ",
               data.describe(), " and indices ", indices.describe());
  const int64_t k = indices.shape().back();
  if (k < 1 || k > r - b)
    fail_input(node.describe(), ": the last dimension of indices ", indices.describe(), " is ", k, ", expected 1..",
               r - b, " (data rank minus batch_dims)");
  for (int64_t d = 0; d < b; ++d)
    if (indices.dim(d) != data.dim(d))
      fail_input(node.describe(), ": batch dimension ", d, " differs between data ", data.describe(),
                 " and indices ", indices.describe());
  GatherNdLayout layout;
  layout.batch_dims = b;
  layout.k = k;
  layout.output_shape.assign(indices.shape().begin(), indices.shape().end() - 1);
  layout.output_shape.insert(layout.output_shape.end(), data.shape().begin() + b + k, data.shape().end());
  return layout;
}

ScatterNdLayout scatter_nd_layout(const ir::Node& node, const Tensor& data, const Tensor& indices,
                                  const Tensor& updates) {
  const int64_t r = data.rank();
  require_index_ranks(node, data, indices);
  const int64_t k = indices.shape().back();
  if (k < 1 || k > r)
    fail_input(node.describe(), ": the last dimension of indices ", indices.describe(), " is ", k, ", expected 1..", r,
               " (the rank of data ", data.describe(), ")");
  Dims expected(indices.shape().begin(), indices.shape().end() - 1);
  expected.insert(expected.end(), data.shape().begin() + k, data.shape().end());
  if (updates.shape() != expected)
    fail_input(node.describe(), ": updates ", updates.describe(), " should have shape ", shape_to_string(expected),
               " (indices.shape[:-1] + data.shape[", k, ":])");
  require_updates_dtype(node, data, updates);
  ScatterNdLayout layout;
  layout.k = k;
  layout.reduction = scatter_reduction(node, data.dtype());
  return layout;
}

}  // namespace gnnrt::op_shapes

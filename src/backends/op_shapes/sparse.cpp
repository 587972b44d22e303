#include "backends/op_shapes/sparse.h"

#include <cmath>
#include <limits>

namespace gnnrt::op_shapes {
namespace {

void require_vector(const ir::Node& node, const Tensor& tensor, DType dtype, const char* what) {
  if (tensor.dtype() != dtype || tensor.rank() != 1)
    fail_input(node.describe(), ": ", what, " must be a 1-D ", dtype_name(dtype), " tensor, got ", tensor.describe());
}

bool is_feature_dtype(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float16 || dtype == DType::BFloat16;
}

}  // namespace

CsrFromCooLayout csr_from_coo_layout(const ir::Node& node, const KernelInputs& inputs, const HostReader& reader) {
  using namespace csr_from_coo;
  const Tensor& src = require_input(node, inputs, kSrc);
  const Tensor& dst = require_input(node, inputs, kDst);
  const Tensor& dense_shape = require_input(node, inputs, kDenseShape);
  require_vector(node, src, DType::Int64, "src");
  require_vector(node, dst, DType::Int64, "dst");
  if (src.dim(0) != dst.dim(0))
    fail_input(node.describe(), ": src ", src.describe(), " and dst ", dst.describe(), " must have the same length");
  CsrFromCooLayout layout;
  layout.num_edges = src.dim(0);
  if (layout.num_edges > std::numeric_limits<int32_t>::max())
    fail_input(node.describe(), ": ", layout.num_edges, " edges is more than the ", std::numeric_limits<int32_t>::max(),
               " a CSR matrix with int32 offsets holds");
  const std::vector<int64_t> shape = int_values(node, dense_shape, "dense_shape", reader);
  if (shape.empty() || shape[0] < 0)
    fail_input(node.describe(), ": dense_shape must hold a row count >= 0 as its first element, got ",
               dense_shape.describe());
  layout.num_rows = shape[0];
  if (layout.num_rows >= std::numeric_limits<int32_t>::max())
    fail_input(node.describe(), ": ", layout.num_rows, " rows (nodes) is more than the ",
               std::numeric_limits<int32_t>::max() - 1, " a CSR matrix with int32 offsets holds");
  if (const Tensor* values = optional_input(inputs, kValues)) {
    require_vector(node, *values, DType::Float32, "values");
    if (values->dim(0) != layout.num_edges)
      fail_input(node.describe(), ": values ", values->describe(), " must hold one value per edge (", layout.num_edges,
                 ")");
    layout.has_values = true;
  }
  return layout;
}

SpmmActivation spmm_activation(const ir::Node& node) {
  const std::string name = node.attr_string("activation", "none");
  if (name == "none") return SpmmActivation::None;
  if (name == "relu") return SpmmActivation::Relu;
  fail_input(node.describe(), ": activation '", name, "' is not one of none, relu");
}

SpmmLayout spmm_layout(const ir::Node& node, const KernelInputs& inputs) {
  using namespace spmm;
  const Tensor& x = require_input(node, inputs, kX);
  const Tensor& row_ptr = require_input(node, inputs, kRowPtr);
  const Tensor& col = require_input(node, inputs, kCol);
  if ((!is_feature_dtype(x.dtype()) && x.dtype() != DType::Int8) || x.rank() != 2)
    fail_input(node.describe(), ": X must be a 2-D float32, float16, bfloat16 or int8 tensor, got ", x.describe());
  require_vector(node, row_ptr, DType::Int32, "row_ptr");
  require_vector(node, col, DType::Int32, "col");
  if (row_ptr.dim(0) < 1) fail_input(node.describe(), ": row_ptr must hold at least one offset, got ", row_ptr.describe());
  SpmmLayout layout;
  layout.num_rows = row_ptr.dim(0) - 1;
  layout.num_cols = x.dim(0);
  layout.width = x.dim(1);
  layout.num_edges = col.dim(0);
  layout.activation = spmm_activation(node);
  const int64_t divides = node.attr_int("row_scale_divides", 0);
  if (divides != 0 && divides != 1)
    fail_input(node.describe(), ": row_scale_divides must be 0 or 1, got ", divides);
  layout.divide_by_row_scale = divides == 1;
  const bool has_x_scale = node.attributes.count("x_scale") > 0;
  layout.x_row_scaled = optional_input(inputs, kXRowScale) != nullptr;
  if (x.dtype() == DType::Int8) {
    if (has_x_scale == layout.x_row_scaled)
      fail_input(node.describe(), ": an int8 X needs exactly one of the attribute x_scale (per tensor) and the input "
                 "x_row_scale (per row), got ", has_x_scale ? "both" : "neither");
    if (has_x_scale) {
      layout.x_scale = node.attr_float("x_scale", 0.0f);
      if (!std::isfinite(layout.x_scale) || layout.x_scale <= 0)
        fail_input(node.describe(), ": x_scale must be a positive finite float, got ", layout.x_scale);
    }
  } else if (has_x_scale || layout.x_row_scaled) {
    fail_input(node.describe(), ": ", has_x_scale ? "x_scale" : "x_row_scale", " is for an int8 X only, X is ",
               x.describe());
  }
  auto check_float_vector = [&](size_t index, const char* what, int64_t at_least, bool exact) {
    const Tensor* tensor = optional_input(inputs, index);
    if (!tensor) return;
    require_vector(node, *tensor, DType::Float32, what);
    if (exact ? tensor->dim(0) != at_least : tensor->dim(0) < at_least)
      fail_input(node.describe(), ": ", what, " ", tensor->describe(), " must have ", exact ? "" : "at least ",
                 at_least, " elements");
  };
  check_float_vector(kValues, "values", layout.num_edges, true);
  check_float_vector(kRowScale, "row_scale", layout.num_rows, false);
  check_float_vector(kColScale, "col_scale", layout.num_cols, false);
  check_float_vector(kBias, "bias", layout.width, true);
  check_float_vector(kXRowScale, "x_row_scale", layout.num_cols, false);
  return layout;
}

}  // namespace gnnrt::op_shapes

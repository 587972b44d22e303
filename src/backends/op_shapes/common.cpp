#include "backends/op_shapes/common.h"

#include <algorithm>

namespace gnnrt::op_shapes {

Tensor on_host(const Tensor& tensor, const HostReader& reader) {
  return tensor.on_host() || !reader ? tensor : reader(tensor);
}

std::vector<int64_t> int_values(const ir::Node& node, const Tensor& tensor, const char* what,
                                const HostReader& reader) {
  if (tensor.dtype() != DType::Int64 && tensor.dtype() != DType::Int32)
    fail_input(node.describe(), ": input '", what, "' must be int64 or int32, got ", tensor.describe());
  if (tensor.rank() > 1) fail_input(node.describe(), ": input '", what, "' must be 1-D, got ", tensor.describe());
  return on_host(tensor, reader).to_int_vector();
}

std::vector<int64_t> normalize_axes(const ir::Node& node, const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> result;
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(rank, 0)), false);
  for (int64_t axis : axes) {
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
      fail_input(node.describe(), ": axis ", axis, " is out of range for rank ", rank, " (expected [", -rank, ", ",
                 rank - 1, "])");
    if (seen[static_cast<size_t>(a)]) fail_input(node.describe(), ": axis ", axis, " is listed twice");
    seen[static_cast<size_t>(a)] = true;
    result.push_back(a);
  }
  return result;
}

void require_data_dtype(const ir::Node& node, const Tensor& data, const Tensor& other, const char* other_name) {
  if (data.dtype() != other.dtype())
    fail_input(node.describe(), ": input '", other_name, "' has dtype ", dtype_name(other.dtype()), ", expected ",
               dtype_name(data.dtype()), " (the data's dtype)");
}

}  // namespace gnnrt::op_shapes

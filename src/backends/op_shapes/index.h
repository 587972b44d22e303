// Shape rules of the indexing ops (CPU: backends/cpu/index_ops.cpp, CUDA:
// backends/cuda/index_ops.cpp): Gather, GatherElements, GatherND, ScatterElements and ScatterND.
// Each function runs the CPU reference's checks in its order; the index dtype (int32 or int64) and
// the index values are checked by the backends.
#pragma once

#include <cstdint>
#include <string>

#include "backends/op_shapes/common.h"

namespace gnnrt::op_shapes {

// Gather: data has rank >= 1; the output is data.shape[:axis] + indices.shape + data.shape[axis+1:],
// and data is viewed as [outer, extent, inner] around the axis.
struct GatherLayout {
  int64_t axis = 0;
  Dims output_shape;
  int64_t outer = 1, extent = 0, inner = 1;
};
GatherLayout gather_layout(const ir::Node& node, const Tensor& data, const Tensor& indices);

// GatherElements: data has rank >= 1 and indices has data's rank, no larger than data on any dim
// but the axis. Returns the normalized axis.
int64_t gather_elements_axis(const ir::Node& node, const Tensor& data, const Tensor& indices);

// ScatterElements: GatherElements' rules, plus updates of the shape of indices and the dtype of
// data, and a known reduction ("none", "add", "mul", "max" or "min"; not add or mul of bool).
struct ScatterElementsLayout {
  int64_t axis = 0;
  std::string reduction;
};
ScatterElementsLayout scatter_elements_layout(const ir::Node& node, const Tensor& data, const Tensor& indices,
                                              const Tensor& updates);

// GatherND: the last dim of indices holds k coordinates into data's dims after `batch_dims`
// shared batch dims; the output is indices.shape[:-1] + data.shape[batch_dims + k:].
struct GatherNdLayout {
  int64_t batch_dims = 0;
  int64_t k = 1;
  Dims output_shape;
};
GatherNdLayout gather_nd_layout(const ir::Node& node, const Tensor& data, const Tensor& indices);

// ScatterND: k coordinates into data's leading dims; updates are indices.shape[:-1] +
// data.shape[k:] of data's dtype; a known reduction as for ScatterElements.
struct ScatterNdLayout {
  int64_t k = 1;
  std::string reduction;
};
ScatterNdLayout scatter_nd_layout(const ir::Node& node, const Tensor& data, const Tensor& indices,
                                  const Tensor& updates);

}  // namespace gnnrt::op_shapes

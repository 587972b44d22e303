// Shape rules of the reductions and axis-wise normalisations (CPU: backends/cpu/reduction.cpp,
// CUDA: backends/cuda/reduction_ops.cpp): Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax, CumSum,
// BatchNormalization and LayerNormalization.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/op_shapes/common.h"

namespace gnnrt::op_shapes {

// ---------------------------------------------------------------- Reduce*

// Which axes a Reduce* node folds: the optional `axes` input (opset 18), all axes when it is
// absent or empty, none when it is empty and noop_with_empty_axes=1.
std::vector<bool> reduced_axes(const ir::Node& node, const KernelInputs& inputs, int64_t rank,
                               const HostReader& reader = {});

// The output shape of a reduction over `reduce_axis`, and the input walked as merged runs: dims of
// size 1 dropped and neighbouring dims of the same kind (kept or reduced) merged.
struct ReductionDims {
  struct Run {
    int64_t size = 1;
    bool reduced = false;
    int64_t stride = 1;  // in input elements
  };
  Dims output_shape;
  int64_t reduced_count = 1;  // input elements folded into each output element
  std::vector<Run> runs;      // outermost first; empty when every dim has size 1
};
ReductionDims reduction_dims(const Dims& shape, const std::vector<bool>& reduce_axis, bool keepdims);

// ---------------------------------------------------------------- single-axis ops

// A tensor viewed as [outer, length, inner] around one axis.
struct AxisSplit {
  int64_t outer = 1;
  int64_t length = 1;
  int64_t inner = 1;
};
AxisSplit split_at_axis(const Dims& shape, int64_t axis);

// ArgMax / ArgMin: the axis, the attributes, and the int64 output shape; fails when a non-empty
// output would take the extreme of an empty axis.
struct ArgExtremeLayout {
  int64_t axis = 0;
  bool select_last = false;
  AxisSplit split;
  Dims output_shape;
};
ArgExtremeLayout arg_extreme_layout(const ir::Node& node, const Tensor& data, bool is_max);

// CumSum's axis, from its int32/int64 scalar input 1.
int64_t cumsum_axis(const ir::Node& node, const Tensor& data, const Tensor& axis_tensor,
                    const HostReader& reader = {});

// ---------------------------------------------------------------- normalisations

// BatchNormalization (inference): X is [N, C, ...] and scale, B, mean and var are X's dtype [C].
void check_batch_norm_inputs(const ir::Node& node, const KernelInputs& inputs);

// LayerNormalization (opset 17) over X.shape[axis:]. Scale and B must broadcast to the normalized
// shape (checked by the caller as it broadcasts them) and have X's dtype (check_layer_norm_dtypes).
struct LayerNormLayout {
  int64_t axis = 0;
  double epsilon = 1e-5;
  DType stash = DType::Float32;
  Dims normalized_shape;  // X.shape[axis:]
  Dims statistics_shape;  // X.shape[:axis] followed by 1s: the Mean and InvStdDev outputs
  int64_t rows = 1;
  int64_t row_length = 1;
};
LayerNormLayout layer_norm_layout(const ir::Node& node, const Tensor& x);
void check_layer_norm_dtypes(const ir::Node& node, const Tensor& x, const Tensor& scale, const Tensor* bias);

}  // namespace gnnrt::op_shapes

// Shape rules of the data-movement ops (CPU: backends/cpu/shape_ops.cpp, CUDA:
// backends/cuda/movement_ops.cpp): Dropout's inference check, Concat, Split, Slice, Transpose,
// Expand, Tile, Pad, ConstantOfShape and Range. Each function checks the node's inputs and
// attributes as the ONNX spec and the CPU reference require (failing with InvalidInput) and returns
// what the kernels need to move the data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/op_shapes/common.h"

namespace gnnrt::op_shapes {

// Dropout: fails when its optional training_mode input (2) is true.
void check_dropout_inference(const ir::Node& node, const KernelInputs& inputs, const HostReader& reader = {});

// Concat: every input is present and shares the first non-legacy-empty input's dtype, rank and
// dims but `axis`. torch.cat's legacy empty 1-D [0] inputs of another rank add nothing.
struct ConcatLayout {
  int64_t axis = 0;
  Dims output_shape;
  std::vector<size_t> parts;  // the inputs that are concatenated, in order
  int64_t outer = 1;          // the product of the output dims before `axis`
  int64_t inner = 1;          // the product of the output dims after `axis`
};
ConcatLayout concat_layout(const ir::Node& node, const KernelInputs& inputs);

// Split: the size of each output along `axis` (from the `split` input, num_outputs, or equal parts).
struct SplitLayout {
  int64_t axis = 0;
  std::vector<int64_t> sizes;
  int64_t outer = 1;  // the product of the data dims before `axis`
  int64_t inner = 1;  // the product of the data dims after `axis`
};
SplitLayout split_layout(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                         const HostReader& reader = {});

// An output that reads data at element offset base + sum_d c_d * strides[d] for its multi-index c.
struct StridedView {
  Dims output_shape;
  int64_t base = 0;
  std::vector<int64_t> strides;
};
// Slice by the starts, ends, axes and steps inputs. A dim of output size 1 gets stride 0: it is
// never stepped, and its step may be huge (INT64_MIN) without overflowing.
StridedView slice_view(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                       const HostReader& reader = {});
// Transpose by the `perm` attribute (reversed dims when absent).
StridedView transpose_view(const ir::Node& node, const Tensor& data);
// Expand to the `shape` input (bidirectional broadcast); strides are 0 on broadcast dims.
StridedView expand_view(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                        const HostReader& reader = {});

// Tile by the `repeats` input.
struct TileLayout {
  std::vector<int64_t> repeats;
  Dims output_shape;
};
TileLayout tile_layout(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                       const HostReader& reader = {});

// Pad (opset 18: pads, constant_value and axes inputs; constant, edge or reflect mode).
struct PadLayout {
  std::string mode;                   // "constant", "edge" or "reflect"
  std::vector<int64_t> begin, end;    // per data dim, may be negative (cropping)
  Dims output_shape;
  const Tensor* constant_value = nullptr;  // the one-element padding value; nullptr: zero
};
PadLayout pad_layout(const ir::Node& node, const Tensor& data, const KernelInputs& inputs,
                     const HostReader& reader = {});

// ConstantOfShape: the output shape and the fill (the `value` attribute, float32 zero when absent).
struct ConstantFill {
  Dims shape;
  DType dtype = DType::Float32;
  const Tensor* value = nullptr;  // the one-element `value` attribute, or nullptr for float32 0
};
ConstantFill constant_fill(const ir::Node& node, const KernelInputs& inputs, const HostReader& reader = {});

// Range: start, limit and delta are scalars of one dtype.
void check_range_inputs(const ir::Node& node, const Tensor& start, const Tensor& limit, const Tensor& delta);
// The number of elements of the range, from host tensors that passed check_range_inputs.
int64_t range_length(const ir::Node& node, const Tensor& start, const Tensor& limit, const Tensor& delta);

}  // namespace gnnrt::op_shapes

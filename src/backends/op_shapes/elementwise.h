// Input rules of the element-wise ops (CPU: backends/cpu/elementwise.cpp, CUDA:
// backends/cuda/elementwise_ops.cpp): dtype agreement, PRelu's slope, Clip's bounds, Cast's
// target, Where's operands and the attributes of Mod and Gelu. Broadcast shapes come from
// cpu::broadcast_shapes (backends/cpu/broadcast.h), which both backends call.
#pragma once

#include <cstddef>

#include "backends/op_shapes/common.h"

namespace gnnrt::op_shapes {

// Fails unless input `other_index` has the dtype of input 0 (`first`).
void require_same_dtype(const ir::Node& node, const Tensor& first, const Tensor& other, size_t other_index);
// Fails unless input `index` has dtype `expected`.
void require_dtype(const ir::Node& node, const Tensor& tensor, size_t index, DType expected);

// Mod's fmod attribute (0 or 1): true when the result takes the dividend's sign (C fmod).
bool mod_takes_dividend_sign(const ir::Node& node);

// PRelu: the slope has X's dtype and broadcasts to X without changing X's shape.
void check_prelu_slope(const ir::Node& node, const Tensor& x, const Tensor& slope);

// Clip: the optional min (input 1) and max (input 2) are scalars of X's dtype.
void check_clip_bounds(const ir::Node& node, const Tensor& x, const KernelInputs& inputs);

// Cast: the dtype of the required `to` attribute.
DType cast_target(const ir::Node& node);

// Where: a bool condition, and X and Y of one dtype (their shapes broadcast with the condition's).
void check_where_inputs(const ir::Node& node, const Tensor& condition, const Tensor& x, const Tensor& y);

// Gelu's approximate attribute: "none" (erf) or "tanh".
enum class GeluApproximation { Erf, Tanh };
GeluApproximation gelu_approximation(const ir::Node& node);

}  // namespace gnnrt::op_shapes

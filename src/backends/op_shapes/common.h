// Shape rules shared by the CPU reference kernels (backends/cpu/) and the CUDA backend's host side
// (backends/cuda/*_ops.cpp): each rule and its error messages live here once, so that both backends
// accept the same nodes and reject bad ones with the same words. Plain host code over Dims, node
// attributes and tensor metadata; no CUDA types, and no element data is read except small argument
// tensors (shapes, axes, pads), which a HostReader brings to the host first.
//
// This file: helpers every op family uses. One header per family beside it (movement.h,
// index.h, linear_algebra.h, reduction.h, elementwise.h).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "backends/cpu/kernel_registry.h"
#include "gnnrt/tensor.h"
#include "ir/graph.h"

namespace gnnrt::op_shapes {

using cpu::KernelInputs;  // in the node's order; nullptr where an optional input was omitted
using cpu::normalize_axis;
using cpu::optional_input;
using cpu::require_input;

// Brings a small argument tensor (a shape, axes, pads, a scalar) to host memory so that its values
// can be read. The CPU backend's tensors are there already and it passes no reader; the CUDA backend
// passes one that copies a device tensor back (a stream synchronisation). Checks that only look at
// a tensor's dtype and shape name the tensor as given, before any copy.
using HostReader = std::function<Tensor(const Tensor&)>;

// `tensor` itself when it is on the host (or no reader is given), else reader(tensor).
Tensor on_host(const Tensor& tensor, const HostReader& reader);

// The values of a 1-D (or scalar) int64/int32 input such as a shape, axes or pads; `what` names it.
std::vector<int64_t> int_values(const ir::Node& node, const Tensor& tensor, const char* what,
                                const HostReader& reader = {});

// Normalises every axis against `rank` and rejects repeats.
std::vector<int64_t> normalize_axes(const ir::Node& node, const std::vector<int64_t>& axes, int64_t rank);

// Fails unless `other` (the input called `other_name`) has the dtype of `data`.
void require_data_dtype(const ir::Node& node, const Tensor& data, const Tensor& other, const char* other_name);

// Row-major strides of `shape`, in elements.
inline std::vector<int64_t> contiguous_strides(const Dims& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[static_cast<size_t>(d)] = strides[static_cast<size_t>(d + 1)] * shape[static_cast<size_t>(d + 1)];
  return strides;
}

// The product of shape[begin, end).
inline int64_t product(const Dims& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

}  // namespace gnnrt::op_shapes

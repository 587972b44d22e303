// gnnrt::Tensor <-> DLPack arrays (numpy arrays, torch tensors, anything with __dlpack__), both
// ways without copying: an input becomes a Tensor view of the caller's memory, an output is handed
// to numpy or torch as a view of the Tensor's storage, which the array keeps alive.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <string>

#include "gnnrt/tensor.h"

namespace gnnrt::python {

namespace nb = nanobind;

// Any C-contiguous DLPack array, read-only (gnnrt never writes its inputs, and read-only numpy
// arrays are accepted); nanobind makes a contiguous copy of a strided one first.
using InputArray = nb::ndarray<nb::ro, nb::c_contig>;

// Where outputs go: the caller's own kind of array.
enum class Framework : int { Numpy = 0, Torch = 1, DLPack = 2 };

// A view of `array` as a gnnrt Tensor (host memory, or CUDA memory as a device tensor). The Tensor
// holds a reference to the array, dropped under the GIL. `name` is for messages. Fails
// (InvalidInput) for element types gnnrt lacks and for memory neither host nor CUDA.
Tensor tensor_from_array(const InputArray& array, const std::string& name);

// `tensor` as a `framework` array sharing its storage (the array keeps the Tensor alive); a device
// tensor is said to be on CUDA device `cuda_device`.
nb::object array_from_tensor(const Tensor& tensor, Framework framework, int cuda_device);

}  // namespace gnnrt::python

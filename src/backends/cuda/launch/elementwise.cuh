// Launch functions for the CUDA element-wise kernels (elementwise.cu): broadcasting binary ops,
// comparisons and logic, unary maps, Clip, Cast, Where and a broadcasting copy. Plain pointers,
// sizes and a stream; the host side (elementwise_ops.cpp) checks shapes and dtypes first.
//
// Semantics mirror the CPU reference kernels (backends/cpu/elementwise.cpp) exactly: integer
// arithmetic wraps modulo 2^bits, Max/Min and the activations let NaN through, integer Div/Mod
// by zero is reported (kDivisionByZero) and gives 0 instead of trapping.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backends/cuda/device_errors.h"
#include "gnnrt/dtype.h"

namespace gnnrt::cuda {

inline constexpr int kMaxBroadcastRank = 8;    // after merging dims that broadcast alike
inline constexpr int kMaxBroadcastInputs = 3;  // Where has three

// How output element i maps to an element of each input, passed to kernels by value. Dims that
// broadcast the same way in every input are merged (as the CPU's BroadcastPlan does), so the
// common cases are rank 1 (same shapes, or a scalar) and rank 2 (a row or column vector).
struct BroadcastIndexing {
  int32_t rank = 0;     // merged output dims; 0 for a single output element
  int32_t inputs = 0;
  int64_t dims[kMaxBroadcastRank] = {};
  int64_t strides[kMaxBroadcastInputs][kMaxBroadcastRank] = {};  // 0 where the input broadcasts
  // True when every input is either the output's own shape or a single element: then input k's
  // element for output i is i * flat_steps[k] (flat_steps 1 or 0), no index decoding needed.
  bool flat = false;
  int64_t flat_steps[kMaxBroadcastInputs] = {};
};

// The indexing of a broadcast of `input_shapes` (1 to 3 of them) to `output_shape`, which the
// caller computed with cpu::broadcast_shapes. Returns false when more than kMaxBroadcastRank
// merged dims remain (the caller reports it).
bool make_broadcast_indexing(const std::vector<std::vector<int64_t>>& input_shapes,
                             const std::vector<int64_t>& output_shape, BroadcastIndexing& indexing);

// ---------------------------------------------------------------- binary ops

enum class BinaryOp : int32_t {
  Add, Sub, Mul,
  Div,           // integer: truncates toward zero; a zero divisor is reported
  Mod,           // ONNX Mod fmod=0: the result takes the divisor's sign (Python %)
  FMod,          // ONNX Mod fmod=1: the result takes the dividend's sign (C fmod / %)
  Max, Min,      // NaN wins
  PRelu,         // a = X, b = slope
  Equal, Less, LessOrEqual, Greater, GreaterOrEqual,  // bool output
  And, Or, Xor,  // bool inputs and output
};

// Whether launch_binary handles `op` on inputs of `dtype` (both inputs share it).
bool binary_supported(BinaryOp op, DType dtype);
// out[i] = op(a[...], b[...]); `out` has the output dtype (bool for comparisons, else `dtype`).
// Integer Div/Mod by zero records kDivisionByZero with value = the divisor's flat element index
// and bound = the divisor's element count, and writes 0 there.
void launch_binary(BinaryOp op, DType dtype, const void* a, const void* b, void* out,
                   const BroadcastIndexing& indexing, int64_t count, int64_t divisor_count,
                   DeviceErrorSink errors, cudaStream_t stream);

// Pow with a base and an exponent of possibly different dtypes; the result has the base's.
bool pow_supported(DType base, DType exponent);
void launch_pow(DType base_dtype, DType exponent_dtype, const void* base, const void* exponent, void* out,
                const BroadcastIndexing& indexing, int64_t count, cudaStream_t stream);

// ---------------------------------------------------------------- unary ops

enum class UnaryOp : int32_t {
  Neg, Abs, Sign, Relu,                       // float and integer types
  LeakyRelu,                                  // alpha
  Elu,                                        // alpha
  Selu,                                       // alpha, gamma
  Exp, Log, Sqrt, Reciprocal, Tanh, Erf, Floor, Ceil,
  Round,                                      // half to even
  Sigmoid, Softplus, Softsign,
  HardSigmoid,                                // alpha, beta
  GeluErf, GeluTanh,
  DivideByCount,                              // x / alpha (Mean's last step; alpha = input count)
  Not,                                        // bool -> bool
  IsNaN, IsInf,                               // float -> bool; IsInf uses detect_negative/positive
};

struct UnaryParams {
  double alpha = 0.0;
  double beta = 0.0;
  double gamma = 0.0;
  bool detect_negative = true;
  bool detect_positive = true;
};

bool unary_supported(UnaryOp op, DType dtype);
// `out` has the output dtype: bool for Not, IsNaN and IsInf, else `dtype`.
void launch_unary(UnaryOp op, const UnaryParams& params, DType dtype, const void* in, void* out, int64_t count,
                  cudaStream_t stream);

// Clip with optional single-element bounds in device memory (nullptr: no bound), read by the
// kernel so that the host never waits for them.
bool clip_supported(DType dtype);
void launch_clip(DType dtype, const void* in, void* out, int64_t count, const void* min_bound, const void* max_bound,
                 cudaStream_t stream);

// ---------------------------------------------------------------- Cast, Where, copies

bool cast_supported(DType from, DType to);
void launch_cast(DType from, DType to, const void* in, void* out, int64_t count, cudaStream_t stream);

// out[i] = condition ? x : y with broadcasting over all three; any dtype, by element size.
bool where_supported(size_t element_size);
void launch_where(size_t element_size, const bool* condition, const void* x, const void* y, void* out,
                  const BroadcastIndexing& indexing, int64_t count, cudaStream_t stream);

// Materialises one input (indexing.inputs == 1) at the output shape (numpy broadcast_to).
void launch_broadcast_copy(size_t element_size, const void* in, void* out, const BroadcastIndexing& indexing,
                           int64_t count, cudaStream_t stream);

}  // namespace gnnrt::cuda

// CUDA element-wise kernels. Every kernel is a grid-stride loop over output elements with 64-bit
// element indices; each output element is computed by exactly one thread, so results never
// depend on the launch configuration. Formulas are the CPU reference's (elementwise.cpp), written
// with the same operations in the same order; transcendental functions are CUDA's libdevice
// ones (within 2 ulp of glibc's), and the build must not use --use_fast_math.
#include "backends/cuda/launch/elementwise.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/launch/launch_common.cuh"
#include "gnnrt/error.h"

namespace gnnrt::cuda {

namespace {

// ---------------------------------------------------------------- device helpers

template <typename T>
constexpr bool kIsInteger = std::is_integral<T>::value && !std::is_same<T, bool>::value;

// Float and double overloads of the math functions, so templates pick the right precision.
__device__ inline float dev_exp(float x) { return expf(x); }
__device__ inline double dev_exp(double x) { return exp(x); }
__device__ inline float dev_expm1(float x) { return expm1f(x); }
__device__ inline double dev_expm1(double x) { return expm1(x); }
__device__ inline float dev_log(float x) { return logf(x); }
__device__ inline double dev_log(double x) { return log(x); }
__device__ inline float dev_log1p(float x) { return log1pf(x); }
__device__ inline double dev_log1p(double x) { return log1p(x); }
__device__ inline float dev_sqrt(float x) { return sqrtf(x); }
__device__ inline double dev_sqrt(double x) { return sqrt(x); }
__device__ inline float dev_tanh(float x) { return tanhf(x); }
__device__ inline double dev_tanh(double x) { return tanh(x); }
__device__ inline float dev_erf(float x) { return erff(x); }
__device__ inline double dev_erf(double x) { return erf(x); }
__device__ inline float dev_floor(float x) { return floorf(x); }
__device__ inline double dev_floor(double x) { return floor(x); }
__device__ inline float dev_ceil(float x) { return ceilf(x); }
__device__ inline double dev_ceil(double x) { return ceil(x); }
__device__ inline float dev_rint(float x) { return rintf(x); }  // round half to even
__device__ inline double dev_rint(double x) { return rint(x); }
__device__ inline float dev_fabs(float x) { return fabsf(x); }
__device__ inline double dev_fabs(double x) { return fabs(x); }
__device__ inline float dev_fmod(float x, float y) { return fmodf(x, y); }
__device__ inline double dev_fmod(double x, double y) { return fmod(x, y); }
__device__ inline float dev_pow(float x, float y) { return powf(x, y); }
__device__ inline double dev_pow(double x, double y) { return pow(x, y); }

template <typename T>
__device__ inline T positive_infinity() {
  return static_cast<T>(INFINITY);
}

template <typename T>
__device__ inline bool is_negative(T x) {
  if constexpr (std::is_unsigned<T>::value) return false;
  else return x < T(0);
}

// Integer arithmetic wraps modulo 2^bits, as on the CPU (no signed-overflow UB).
template <typename T>
__device__ inline T wrapping_add(T a, T b) {
  if constexpr (kIsInteger<T>) return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else return a + b;
}
template <typename T>
__device__ inline T wrapping_sub(T a, T b) {
  if constexpr (kIsInteger<T>) return static_cast<T>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
  else return a - b;
}
template <typename T>
__device__ inline T wrapping_mul(T a, T b) {
  if constexpr (kIsInteger<T>) return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else return a * b;
}
template <typename T>
__device__ inline T wrapping_neg(T a) {
  if constexpr (kIsInteger<T>) return static_cast<T>(uint64_t{0} - static_cast<uint64_t>(a));
  else return -a;
}

template <typename T>
__device__ inline T integer_power(T base, int64_t exponent) {
  if (exponent < 0) {
    if (base == 1) return 1;
    if (base == -1) return (exponent % 2 == 0) ? T(1) : T(-1);
    return 0;
  }
  T result = 1;
  uint64_t remaining = static_cast<uint64_t>(exponent);
  while (remaining) {
    if (remaining & 1u) result = wrapping_mul(result, base);
    base = wrapping_mul(base, base);
    remaining >>= 1;
  }
  return result;
}

// ---------------------------------------------------------------- broadcast indexing (device)

enum class Indexing { Flat, Strided };

// Input element offsets for output element i. The strided decode uses 32-bit division when the
// whole output fits (the common case: several times cheaper than 64-bit division on the GPU).
template <Indexing Mode, int Inputs>
__device__ inline void input_offsets(const BroadcastIndexing& ix, int64_t i, bool small, int64_t (&offsets)[Inputs]) {
#pragma unroll
  for (int k = 0; k < Inputs; ++k) offsets[k] = 0;
  if constexpr (Mode == Indexing::Flat) {
#pragma unroll
    for (int k = 0; k < Inputs; ++k) offsets[k] = i * ix.flat_steps[k];
  } else if (small) {
    uint32_t remaining = static_cast<uint32_t>(i);
#pragma unroll
    for (int d = kMaxBroadcastRank - 1; d >= 0; --d) {
      if (d < ix.rank) {
        const uint32_t dim = static_cast<uint32_t>(ix.dims[d]);
        const uint32_t coordinate = remaining % dim;
        remaining /= dim;
#pragma unroll
        for (int k = 0; k < Inputs; ++k) offsets[k] += static_cast<int64_t>(coordinate) * ix.strides[k][d];
      }
    }
  } else {
    uint64_t remaining = static_cast<uint64_t>(i);
#pragma unroll
    for (int d = kMaxBroadcastRank - 1; d >= 0; --d) {
      if (d < ix.rank) {
        const uint64_t dim = static_cast<uint64_t>(ix.dims[d]);
        const uint64_t coordinate = remaining % dim;
        remaining /= dim;
#pragma unroll
        for (int k = 0; k < Inputs; ++k) offsets[k] += static_cast<int64_t>(coordinate) * ix.strides[k][d];
      }
    }
  }
}

__host__ __device__ inline bool fits_32_bits(int64_t count) { return count <= static_cast<int64_t>(UINT32_MAX); }

// ---------------------------------------------------------------- binary functors

template <typename T>
struct AddOp {
  static constexpr bool kChecksDivisor = false;
  __device__ T operator()(T a, T b) const { return wrapping_add(a, b); }
};
template <typename T>
struct SubOp {
  static constexpr bool kChecksDivisor = false;
  __device__ T operator()(T a, T b) const { return wrapping_sub(a, b); }
};
template <typename T>
struct MulOp {
  static constexpr bool kChecksDivisor = false;
  __device__ T operator()(T a, T b) const { return wrapping_mul(a, b); }
};
template <typename T>
struct DivOp {
  static constexpr bool kChecksDivisor = kIsInteger<T>;  // the kernel rules out b == 0 first
  __device__ T operator()(T a, T b) const {
    if constexpr (kIsInteger<T>) {
      if (b == T(-1)) return wrapping_neg(a);  // INT_MIN / -1 overflows
      return static_cast<T>(a / b);
    } else {
      return a / b;
    }
  }
};
template <typename T, bool SignOfDividend>
struct ModOp {
  static constexpr bool kChecksDivisor = kIsInteger<T>;
  __device__ T operator()(T a, T b) const {
    if constexpr (kIsInteger<T>) {
      if (b == T(-1)) return 0;  // INT_MIN % -1 overflows
      T r = static_cast<T>(a % b);
      if (!SignOfDividend && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    } else {
      T r = dev_fmod(a, b);
      if (!SignOfDividend && r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
  }
};
template <typename T>
struct MaxOp {
  static constexpr bool kChecksDivisor = false;
  __device__ T operator()(T a, T b) const { return nan_max(a, b); }
};
template <typename T>
struct MinOp {
  static constexpr bool kChecksDivisor = false;
  __device__ T operator()(T a, T b) const { return nan_min(a, b); }
};
template <typename T>
struct PReluOp {
  static constexpr bool kChecksDivisor = false;
  __device__ T operator()(T x, T slope) const { return is_negative(x) ? wrapping_mul(slope, x) : x; }
};
template <typename T>
struct EqualOp {
  static constexpr bool kChecksDivisor = false;
  __device__ bool operator()(T a, T b) const { return a == b; }
};
template <typename T>
struct LessOp {
  static constexpr bool kChecksDivisor = false;
  __device__ bool operator()(T a, T b) const { return a < b; }
};
template <typename T>
struct LessOrEqualOp {
  static constexpr bool kChecksDivisor = false;
  __device__ bool operator()(T a, T b) const { return a <= b; }
};
template <typename T>
struct GreaterOp {
  static constexpr bool kChecksDivisor = false;
  __device__ bool operator()(T a, T b) const { return a > b; }
};
template <typename T>
struct GreaterOrEqualOp {
  static constexpr bool kChecksDivisor = false;
  __device__ bool operator()(T a, T b) const { return a >= b; }
};
struct AndOp {
  static constexpr bool kChecksDivisor = false;
  __device__ bool operator()(bool a, bool b) const { return a && b; }
};
struct OrOp {
  static constexpr bool kChecksDivisor = false;
  __device__ bool operator()(bool a, bool b) const { return a || b; }
};
struct XorOp {
  static constexpr bool kChecksDivisor = false;
  __device__ bool operator()(bool a, bool b) const { return a != b; }
};

template <typename T, typename E>
struct PowOp {
  static constexpr bool kChecksDivisor = false;
  __device__ T operator()(T base, E exponent) const {
    if constexpr (std::is_floating_point<T>::value) return dev_pow(base, static_cast<T>(exponent));
    else if constexpr (std::is_integral<E>::value) return integer_power(base, static_cast<int64_t>(exponent));
    else return saturating_cast<T>(pow(static_cast<double>(base), static_cast<double>(exponent)));
  }
};

// ---------------------------------------------------------------- binary kernels

template <Indexing Mode, typename Op, typename A, typename B, typename Out>
__global__ void binary_kernel(Op op, const A* __restrict__ a, const B* __restrict__ b, Out* __restrict__ out,
                              BroadcastIndexing ix, int64_t count, int64_t divisor_count, DeviceErrorSink errors) {
  const bool small = fits_32_bits(count);
  GNNRT_GRID_STRIDE_LOOP(i, count) {
    int64_t offsets[2];
    input_offsets<Mode>(ix, i, small, offsets);
    const A x = a[offsets[0]];
    const B y = b[offsets[1]];
    if constexpr (Op::kChecksDivisor) {
      if (y == B(0)) {
        report_device_error(errors.record, kDivisionByZero, errors.site, offsets[1], divisor_count);
        out[i] = Out(0);
        continue;
      }
    }
    out[i] = op(x, y);
  }
}

template <typename A, typename B, typename Out, typename Op>
void run_binary(Op op, const void* a, const void* b, void* out, const BroadcastIndexing& ix, int64_t count,
                int64_t divisor_count, DeviceErrorSink errors, cudaStream_t stream) {
  if (count <= 0) return;
  const auto* pa = static_cast<const A*>(a);
  const auto* pb = static_cast<const B*>(b);
  auto* po = static_cast<Out*>(out);
  if (ix.flat)
    binary_kernel<Indexing::Flat><<<blocks_for(count), kThreads, 0, stream>>>(op, pa, pb, po, ix, count,
                                                                              divisor_count, errors);
  else
    binary_kernel<Indexing::Strided><<<blocks_for(count), kThreads, 0, stream>>>(op, pa, pb, po, ix, count,
                                                                                 divisor_count, errors);
  GNNRT_CUDA_CHECK_LAUNCH();
}

template <typename T>
void binary_for_type(BinaryOp op, const void* a, const void* b, void* out, const BroadcastIndexing& ix, int64_t count,
                     int64_t divisor_count, DeviceErrorSink errors, cudaStream_t stream) {
  switch (op) {
    case BinaryOp::Add: return run_binary<T, T, T>(AddOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Sub: return run_binary<T, T, T>(SubOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Mul: return run_binary<T, T, T>(MulOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Div: return run_binary<T, T, T>(DivOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Mod:
      return run_binary<T, T, T>(ModOp<T, false>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::FMod:
      return run_binary<T, T, T>(ModOp<T, true>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Max: return run_binary<T, T, T>(MaxOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Min: return run_binary<T, T, T>(MinOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::PRelu:
      return run_binary<T, T, T>(PReluOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Equal:
      return run_binary<T, T, bool>(EqualOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Less:
      return run_binary<T, T, bool>(LessOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::LessOrEqual:
      return run_binary<T, T, bool>(LessOrEqualOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::Greater:
      return run_binary<T, T, bool>(GreaterOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::GreaterOrEqual:
      return run_binary<T, T, bool>(GreaterOrEqualOp<T>{}, a, b, out, ix, count, divisor_count, errors, stream);
    case BinaryOp::And:
    case BinaryOp::Or:
    case BinaryOp::Xor: break;
  }
  fail_internal("CUDA binary op ", static_cast<int>(op), " is not instantiated for this dtype");
}

void logical_binary(BinaryOp op, const void* a, const void* b, void* out, const BroadcastIndexing& ix, int64_t count,
                    DeviceErrorSink errors, cudaStream_t stream) {
  switch (op) {
    case BinaryOp::And: return run_binary<bool, bool, bool>(AndOp{}, a, b, out, ix, count, 0, errors, stream);
    case BinaryOp::Or: return run_binary<bool, bool, bool>(OrOp{}, a, b, out, ix, count, 0, errors, stream);
    case BinaryOp::Xor: return run_binary<bool, bool, bool>(XorOp{}, a, b, out, ix, count, 0, errors, stream);
    case BinaryOp::Equal:
      return run_binary<bool, bool, bool>(EqualOp<bool>{}, a, b, out, ix, count, 0, errors, stream);
    default: break;
  }
  fail_internal("CUDA binary op ", static_cast<int>(op), " is not instantiated for bool");
}

// ---------------------------------------------------------------- unary functors

template <typename T>
struct NegOp {
  __device__ T operator()(T x) const { return wrapping_neg(x); }
};
template <typename T>
struct AbsOp {
  __device__ T operator()(T x) const {
    if constexpr (std::is_floating_point<T>::value) return dev_fabs(x);
    else return is_negative(x) ? wrapping_neg(x) : x;
  }
};
template <typename T>
struct SignOp {
  __device__ T operator()(T x) const {
    if (x > T(0)) return T(1);
    if (is_negative(x)) return static_cast<T>(-1);
    return x;  // 0, -0 or NaN
  }
};
template <typename T>
struct ReluOp {
  __device__ T operator()(T x) const { return is_negative(x) ? T(0) : x; }  // NaN passes
};
template <typename T>
struct LeakyReluOp {
  T alpha;
  __device__ T operator()(T x) const { return x < T(0) ? alpha * x : x; }
};
template <typename T>
struct EluOp {
  T alpha;
  __device__ T operator()(T x) const { return x < T(0) ? alpha * dev_expm1(x) : x; }
};
template <typename T>
struct SeluOp {
  T alpha, gamma;
  __device__ T operator()(T x) const { return x > T(0) ? gamma * x : gamma * (alpha * dev_exp(x) - alpha); }
};
template <typename T>
struct ExpOp {
  __device__ T operator()(T x) const { return dev_exp(x); }
};
template <typename T>
struct LogOp {
  __device__ T operator()(T x) const { return dev_log(x); }
};
template <typename T>
struct SqrtOp {
  __device__ T operator()(T x) const { return dev_sqrt(x); }
};
template <typename T>
struct ReciprocalOp {
  __device__ T operator()(T x) const { return T(1) / x; }
};
template <typename T>
struct TanhOp {
  __device__ T operator()(T x) const { return dev_tanh(x); }
};
template <typename T>
struct ErfOp {
  __device__ T operator()(T x) const { return dev_erf(x); }
};
template <typename T>
struct FloorOp {
  __device__ T operator()(T x) const { return dev_floor(x); }
};
template <typename T>
struct CeilOp {
  __device__ T operator()(T x) const { return dev_ceil(x); }
};
template <typename T>
struct RoundOp {
  __device__ T operator()(T x) const { return dev_rint(x); }  // = the CPU's half-to-even formula
};
template <typename T>
struct SigmoidOp {  // exp never overflows: for x < 0 use e^x / (1 + e^x)
  __device__ T operator()(T x) const {
    if (x >= T(0)) return T(1) / (T(1) + dev_exp(-x));
    const T e = dev_exp(x);
    return e / (T(1) + e);
  }
};
template <typename T>
struct SoftplusOp {
  __device__ T operator()(T x) const { return x > T(0) ? x + dev_log1p(dev_exp(-x)) : dev_log1p(dev_exp(x)); }
};
template <typename T>
struct SoftsignOp {
  __device__ T operator()(T x) const { return x / (T(1) + dev_fabs(x)); }
};
template <typename T>
struct HardSigmoidOp {
  T alpha, beta;
  __device__ T operator()(T x) const {
    const T v = alpha * x + beta;
    return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);  // NaN passes
  }
};
template <typename T>
struct GeluErfOp {
  __device__ T operator()(T x) const {
    return T(0.5) * x * (T(1) + dev_erf(x * static_cast<T>(0.70710678118654752440)));
  }
};
template <typename T>
struct GeluTanhOp {
  __device__ T operator()(T x) const {
    const T inner = static_cast<T>(0.79788456080286535588) * (x + static_cast<T>(0.044715) * x * x * x);
    return T(0.5) * x * (T(1) + dev_tanh(inner));
  }
};
template <typename T>
struct DivideByCountOp {
  T count;
  __device__ T operator()(T x) const { return x / count; }
};
struct NotOp {
  __device__ bool operator()(bool x) const { return !x; }
};
template <typename T>
struct IsNaNOp {
  __device__ bool operator()(T x) const { return x != x; }
};
template <typename T>
struct IsInfOp {
  bool negative, positive;
  __device__ bool operator()(T x) const {
    return dev_fabs(x) == positive_infinity<T>() && (x > T(0) ? positive : negative);
  }
};

template <typename Op, typename In, typename Out>
__global__ void unary_kernel(Op op, const In* __restrict__ in, Out* __restrict__ out, int64_t count) {
  GNNRT_GRID_STRIDE_LOOP(i, count) { out[i] = op(in[i]); }
}

template <typename In, typename Out, typename Op>
void run_unary(Op op, const void* in, void* out, int64_t count, cudaStream_t stream) {
  if (count <= 0) return;
  unary_kernel<<<blocks_for(count), kThreads, 0, stream>>>(op, static_cast<const In*>(in), static_cast<Out*>(out),
                                                           count);
  GNNRT_CUDA_CHECK_LAUNCH();
}

bool unary_takes_integers(UnaryOp op) {
  return op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Sign || op == UnaryOp::Relu;
}

template <typename T>
void unary_for_type(UnaryOp op, const UnaryParams& p, const void* in, void* out, int64_t count, cudaStream_t stream) {
  switch (op) {
    case UnaryOp::Neg: return run_unary<T, T>(NegOp<T>{}, in, out, count, stream);
    case UnaryOp::Abs: return run_unary<T, T>(AbsOp<T>{}, in, out, count, stream);
    case UnaryOp::Sign: return run_unary<T, T>(SignOp<T>{}, in, out, count, stream);
    case UnaryOp::Relu: return run_unary<T, T>(ReluOp<T>{}, in, out, count, stream);
    default: break;
  }
  if constexpr (std::is_floating_point<T>::value) {
    switch (op) {
      case UnaryOp::LeakyRelu: return run_unary<T, T>(LeakyReluOp<T>{static_cast<T>(p.alpha)}, in, out, count, stream);
      case UnaryOp::Elu: return run_unary<T, T>(EluOp<T>{static_cast<T>(p.alpha)}, in, out, count, stream);
      case UnaryOp::Selu:
        return run_unary<T, T>(SeluOp<T>{static_cast<T>(p.alpha), static_cast<T>(p.gamma)}, in, out, count, stream);
      case UnaryOp::Exp: return run_unary<T, T>(ExpOp<T>{}, in, out, count, stream);
      case UnaryOp::Log: return run_unary<T, T>(LogOp<T>{}, in, out, count, stream);
      case UnaryOp::Sqrt: return run_unary<T, T>(SqrtOp<T>{}, in, out, count, stream);
      case UnaryOp::Reciprocal: return run_unary<T, T>(ReciprocalOp<T>{}, in, out, count, stream);
      case UnaryOp::Tanh: return run_unary<T, T>(TanhOp<T>{}, in, out, count, stream);
      case UnaryOp::Erf: return run_unary<T, T>(ErfOp<T>{}, in, out, count, stream);
      case UnaryOp::Floor: return run_unary<T, T>(FloorOp<T>{}, in, out, count, stream);
      case UnaryOp::Ceil: return run_unary<T, T>(CeilOp<T>{}, in, out, count, stream);
      case UnaryOp::Round: return run_unary<T, T>(RoundOp<T>{}, in, out, count, stream);
      case UnaryOp::Sigmoid: return run_unary<T, T>(SigmoidOp<T>{}, in, out, count, stream);
      case UnaryOp::Softplus: return run_unary<T, T>(SoftplusOp<T>{}, in, out, count, stream);
      case UnaryOp::Softsign: return run_unary<T, T>(SoftsignOp<T>{}, in, out, count, stream);
      case UnaryOp::HardSigmoid:
        return run_unary<T, T>(HardSigmoidOp<T>{static_cast<T>(p.alpha), static_cast<T>(p.beta)}, in, out, count,
                               stream);
      case UnaryOp::GeluErf: return run_unary<T, T>(GeluErfOp<T>{}, in, out, count, stream);
      case UnaryOp::GeluTanh: return run_unary<T, T>(GeluTanhOp<T>{}, in, out, count, stream);
      case UnaryOp::DivideByCount:
        return run_unary<T, T>(DivideByCountOp<T>{static_cast<T>(p.alpha)}, in, out, count, stream);
      case UnaryOp::IsNaN: return run_unary<T, bool>(IsNaNOp<T>{}, in, out, count, stream);
      case UnaryOp::IsInf:
        return run_unary<T, bool>(IsInfOp<T>{p.detect_negative, p.detect_positive}, in, out, count, stream);
      default: break;
    }
  }
  fail_internal("CUDA unary op ", static_cast<int>(op), " is not instantiated for this dtype");
}

// ---------------------------------------------------------------- Clip

template <typename T>
__global__ void clip_kernel(const T* __restrict__ in, T* __restrict__ out, int64_t count, const T* min_bound,
                            const T* max_bound) {
  T low, high;
  if constexpr (std::is_floating_point<T>::value) {
    low = -positive_infinity<T>();
    high = positive_infinity<T>();
  } else {
    low = IntegerLimits<T>::lowest;
    high = IntegerLimits<T>::highest;
  }
  if (min_bound) low = *min_bound;
  if (max_bound) high = *max_bound;
  GNNRT_GRID_STRIDE_LOOP(i, count) {
    // In this order min > max gives max everywhere (as numpy and onnxruntime) and NaN passes.
    T v = in[i];
    if (v < low) v = low;
    if (v > high) v = high;
    out[i] = v;
  }
}

// ---------------------------------------------------------------- Cast

// The value as double, as the CPU's to_double (float16 and bfloat16 through float).
template <typename T>
__device__ inline double to_double(T value) {
  if constexpr (std::is_same<T, __half>::value) return static_cast<double>(__half2float(value));
  else if constexpr (std::is_same<T, __nv_bfloat16>::value) return static_cast<double>(__bfloat162float(value));
  else return static_cast<double>(value);
}

template <typename T>
inline constexpr bool is_16bit_float = std::is_same<T, __half>::value || std::is_same<T, __nv_bfloat16>::value;

// One element converted as ONNX Cast does, mirroring core/dispatch.h's convert_element: to bool
// is "!= 0"; float to integer truncates toward zero, out-of-range values saturate, NaN gives 0.
template <typename To, typename From>
__device__ inline To convert_element(From value) {
  if constexpr (std::is_same<To, From>::value) {
    return value;
  } else if constexpr (std::is_same<To, __half>::value) {
    return __float2half_rn(static_cast<float>(to_double(value)));
  } else if constexpr (std::is_same<To, __nv_bfloat16>::value) {
    return __float2bfloat16_rn(static_cast<float>(to_double(value)));
  } else if constexpr (std::is_same<To, bool>::value) {
    return to_double(value) != 0.0;
  } else if constexpr (std::is_integral<To>::value && (is_16bit_float<From> || std::is_floating_point<From>::value)) {
    return saturating_cast<To>(to_double(value));
  } else if constexpr (is_16bit_float<From>) {
    return static_cast<To>(to_double(value));
  } else {
    return static_cast<To>(value);
  }
}

template <typename From, typename To>
__global__ void cast_kernel(const From* __restrict__ in, To* __restrict__ out, int64_t count) {
  GNNRT_GRID_STRIDE_LOOP(i, count) { out[i] = convert_element<To>(in[i]); }
}

// The dtypes Cast is instantiated for (the fixtures use float32, int64, int32 and bool).
template <typename Fn>
bool visit_castable(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: fn(Tag<float>{}); return true;
    case DType::Float64: fn(Tag<double>{}); return true;
    case DType::Float16: fn(Tag<__half>{}); return true;
    case DType::BFloat16: fn(Tag<__nv_bfloat16>{}); return true;
    case DType::Int32: fn(Tag<int32_t>{}); return true;
    case DType::Int64: fn(Tag<int64_t>{}); return true;
    case DType::Bool: fn(Tag<bool>{}); return true;
    default: return false;
  }
}

// ---------------------------------------------------------------- Where and copies, by element size

template <Indexing Mode, typename E>
__global__ void where_kernel(const bool* __restrict__ condition, const E* __restrict__ x, const E* __restrict__ y,
                             E* __restrict__ out, BroadcastIndexing ix, int64_t count) {
  const bool small = fits_32_bits(count);
  GNNRT_GRID_STRIDE_LOOP(i, count) {
    int64_t offsets[3];
    input_offsets<Mode>(ix, i, small, offsets);
    out[i] = condition[offsets[0]] ? x[offsets[1]] : y[offsets[2]];
  }
}

template <Indexing Mode, typename E>
__global__ void broadcast_copy_kernel(const E* __restrict__ in, E* __restrict__ out, BroadcastIndexing ix,
                                      int64_t count) {
  const bool small = fits_32_bits(count);
  GNNRT_GRID_STRIDE_LOOP(i, count) {
    int64_t offsets[1];
    input_offsets<Mode>(ix, i, small, offsets);
    out[i] = in[offsets[0]];
  }
}

}  // namespace

// ---------------------------------------------------------------- host entry points

bool make_broadcast_indexing(const std::vector<std::vector<int64_t>>& input_shapes,
                             const std::vector<int64_t>& output_shape, BroadcastIndexing& ix) {
  GNNRT_CHECK(!input_shapes.empty() && input_shapes.size() <= static_cast<size_t>(kMaxBroadcastInputs),
              "broadcast of ", input_shapes.size(), " inputs");
  ix = BroadcastIndexing{};
  const size_t inputs = input_shapes.size();
  const size_t rank = output_shape.size();
  ix.inputs = static_cast<int32_t>(inputs);
  int64_t output_count = 1;
  for (int64_t d : output_shape) output_count *= d;

  // Shapes left-padded with 1s to the output's rank, and their contiguous strides.
  std::vector<std::vector<int64_t>> padded(inputs), dense(inputs);
  ix.flat = true;
  for (size_t k = 0; k < inputs; ++k) {
    const std::vector<int64_t>& shape = input_shapes[k];
    GNNRT_CHECK(shape.size() <= rank, "input rank above the output's");
    padded[k].assign(rank - shape.size(), 1);
    padded[k].insert(padded[k].end(), shape.begin(), shape.end());
    dense[k].assign(rank, 0);
    int64_t stride = 1;
    for (size_t d = rank; d-- > 0;) {
      dense[k][d] = stride;
      stride *= padded[k][d];
    }
    // `stride` is now the input's element count: the output's (same shape) or 1 (a scalar).
    if (stride == output_count) ix.flat_steps[k] = 1;
    else if (stride == 1) ix.flat_steps[k] = 0;
    else ix.flat = false;
  }

  // Merge neighbouring dims that broadcast the same way in every input; drop dims of size 1.
  std::vector<bool> previous;
  int32_t merged = 0;
  for (size_t d = 0; d < rank; ++d) {
    if (output_shape[d] == 1) continue;
    std::vector<bool> broadcast(inputs);
    for (size_t k = 0; k < inputs; ++k) broadcast[k] = padded[k][d] == 1;
    if (merged > 0 && broadcast == previous) {
      ix.dims[merged - 1] *= output_shape[d];
    } else {
      if (merged == kMaxBroadcastRank) return false;
      ix.dims[merged] = output_shape[d];
      ++merged;
    }
    for (size_t k = 0; k < inputs; ++k) ix.strides[k][merged - 1] = broadcast[k] ? 0 : dense[k][d];
    previous = std::move(broadcast);
  }
  ix.rank = merged;
  return true;
}

bool binary_supported(BinaryOp op, DType dtype) {
  switch (op) {
    case BinaryOp::And:
    case BinaryOp::Or:
    case BinaryOp::Xor: return dtype == DType::Bool;
    case BinaryOp::Equal: return dtype == DType::Bool || is_arithmetic(dtype);
    default: return is_arithmetic(dtype);
  }
}

void launch_binary(BinaryOp op, DType dtype, const void* a, const void* b, void* out, const BroadcastIndexing& ix,
                   int64_t count, int64_t divisor_count, DeviceErrorSink errors, cudaStream_t stream) {
  GNNRT_CHECK(binary_supported(op, dtype), "CUDA binary op ", static_cast<int>(op), " on ", dtype_name(dtype));
  GNNRT_CHECK(ix.inputs == 2, "binary op with ", ix.inputs, " inputs");
  if (dtype == DType::Bool) return logical_binary(op, a, b, out, ix, count, errors, stream);
  visit_arithmetic(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    binary_for_type<T>(op, a, b, out, ix, count, divisor_count, errors, stream);
  });
}

bool pow_supported(DType base, DType exponent) { return is_arithmetic(base) && is_arithmetic(exponent); }

void launch_pow(DType base_dtype, DType exponent_dtype, const void* base, const void* exponent, void* out,
                const BroadcastIndexing& ix, int64_t count, cudaStream_t stream) {
  GNNRT_CHECK(pow_supported(base_dtype, exponent_dtype), "CUDA Pow on ", dtype_name(base_dtype), " and ",
              dtype_name(exponent_dtype));
  visit_arithmetic(base_dtype, [&](auto base_tag) {
    using T = typename decltype(base_tag)::type;
    visit_arithmetic(exponent_dtype, [&](auto exponent_tag) {
      using E = typename decltype(exponent_tag)::type;
      run_binary<T, E, T>(PowOp<T, E>{}, base, exponent, out, ix, count, 0, DeviceErrorSink{}, stream);
    });
  });
}

bool unary_supported(UnaryOp op, DType dtype) {
  if (op == UnaryOp::Not) return dtype == DType::Bool;
  if (unary_takes_integers(op)) return is_arithmetic(dtype);
  return is_float(dtype);
}

void launch_unary(UnaryOp op, const UnaryParams& params, DType dtype, const void* in, void* out, int64_t count,
                  cudaStream_t stream) {
  GNNRT_CHECK(unary_supported(op, dtype), "CUDA unary op ", static_cast<int>(op), " on ", dtype_name(dtype));
  if (op == UnaryOp::Not) return run_unary<bool, bool>(NotOp{}, in, out, count, stream);
  visit_arithmetic(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    unary_for_type<T>(op, params, in, out, count, stream);
  });
}

bool clip_supported(DType dtype) { return is_arithmetic(dtype); }

void launch_clip(DType dtype, const void* in, void* out, int64_t count, const void* min_bound, const void* max_bound,
                 cudaStream_t stream) {
  GNNRT_CHECK(clip_supported(dtype), "CUDA Clip on ", dtype_name(dtype));
  if (count <= 0) return;
  visit_arithmetic(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    clip_kernel<T><<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const T*>(in), static_cast<T*>(out), count,
                                                               static_cast<const T*>(min_bound),
                                                               static_cast<const T*>(max_bound));
    GNNRT_CUDA_CHECK_LAUNCH();
  });
}

bool cast_supported(DType from, DType to) {
  return visit_castable(from, [](auto) {}) && visit_castable(to, [](auto) {});
}

void launch_cast(DType from, DType to, const void* in, void* out, int64_t count, cudaStream_t stream) {
  GNNRT_CHECK(cast_supported(from, to), "CUDA Cast from ", dtype_name(from), " to ", dtype_name(to));
  if (count <= 0) return;
  if (from == to) {
    GNNRT_CUDA_CHECK(cudaMemcpyAsync(out, in, static_cast<size_t>(count) * dtype_size(from),
                                     cudaMemcpyDeviceToDevice, stream));
    return;
  }
  visit_castable(from, [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    visit_castable(to, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      cast_kernel<From, To><<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const From*>(in),
                                                                        static_cast<To*>(out), count);
      GNNRT_CUDA_CHECK_LAUNCH();
    });
  });
}

bool where_supported(size_t element_size) { return visit_element_size(element_size, [](auto) {}); }

void launch_where(size_t element_size, const bool* condition, const void* x, const void* y, void* out,
                  const BroadcastIndexing& ix, int64_t count, cudaStream_t stream) {
  GNNRT_CHECK(where_supported(element_size) && ix.inputs == 3, "CUDA Where with ", element_size, "-byte elements");
  if (count <= 0) return;
  visit_element_size(element_size, [&](auto tag) {
    using E = typename decltype(tag)::type;
    const auto* px = static_cast<const E*>(x);
    const auto* py = static_cast<const E*>(y);
    auto* po = static_cast<E*>(out);
    if (ix.flat)
      where_kernel<Indexing::Flat><<<blocks_for(count), kThreads, 0, stream>>>(condition, px, py, po, ix, count);
    else
      where_kernel<Indexing::Strided><<<blocks_for(count), kThreads, 0, stream>>>(condition, px, py, po, ix, count);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
}

void launch_broadcast_copy(size_t element_size, const void* in, void* out, const BroadcastIndexing& ix, int64_t count,
                           cudaStream_t stream) {
  GNNRT_CHECK(where_supported(element_size) && ix.inputs == 1, "CUDA broadcast copy with ", element_size,
              "-byte elements");
  if (count <= 0) return;
  visit_element_size(element_size, [&](auto tag) {
    using E = typename decltype(tag)::type;
    const auto* pi = static_cast<const E*>(in);
    auto* po = static_cast<E*>(out);
    if (ix.flat)
      broadcast_copy_kernel<Indexing::Flat><<<blocks_for(count), kThreads, 0, stream>>>(pi, po, ix, count);
    else
      broadcast_copy_kernel<Indexing::Strided><<<blocks_for(count), kThreads, 0, stream>>>(pi, po, ix, count);
    GNNRT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace gnnrt::cuda

// Scalar helpers shared by the CPU kernels: NaN-propagating max/min and a conversion from double
// that never has undefined behaviour.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

namespace gnnrt::cpu {

// std::isnan for floating-point T; false for integers.
template <typename T>
bool is_nan(T value) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(value);
  else return false;
}

// Max/Min that return NaN when either operand is NaN, as numpy and torch do (std::max would
// depend on the operand order).
template <typename T>
T nan_max(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return a < b ? b : a;
}

template <typename T>
T nan_min(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return b < a ? b : a;
}

// `value` converted to T without UB: floating-point types round; integers clamp to T's range,
// and NaN gives 0.
template <typename T>
T saturating_cast(double value) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(value);
  } else {
    if (std::isnan(value)) return T{0};
    if (value <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (value >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(value);
  }
}

}  // namespace gnnrt::cpu

// Symmetric INT8 quantisation, as TensorRT does it: q = clamp(round(x / scale), -127, 127), rounded
// half to even; -128 is never produced, so the range is symmetric. Dequantisation is scale * q.
#pragma once

#include <cmath>
#include <cstdint>

namespace gnnrt {

// NaN quantises to 0 (int8 has no NaN); infinities saturate.
inline int8_t quantize_int8(float value, float scale) {
  const float scaled = value / scale;
  if (std::isnan(scaled)) return 0;
  const float clamped = std::fmin(std::fmax(scaled, -127.0f), 127.0f);
  return static_cast<int8_t>(std::nearbyint(clamped));
}

}  // namespace gnnrt

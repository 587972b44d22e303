#include "engine/checksum.h"

#include <zlib.h>

#include <algorithm>

namespace gnnrt::engine {

uint32_t crc32_update(uint32_t crc, const void* data, size_t size) {
  // zlib takes a 32-bit length in crc32(); feed it in 1 GiB pieces so any size_t works.
  constexpr size_t kPiece = size_t{1} << 30;
  const auto* bytes = static_cast<const Bytef*>(data);
  uLong value = crc;
  while (size > 0) {
    const size_t piece = std::min(size, kPiece);
    value = ::crc32(value, bytes, static_cast<uInt>(piece));
    bytes += piece;
    size -= piece;
  }
  return static_cast<uint32_t>(value);
}

}  // namespace gnnrt::engine

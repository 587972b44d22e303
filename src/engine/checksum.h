// CRC-32 (the zlib/gzip/PNG polynomial) for the engine file's header and payload checks.
// It detects accidental corruption (truncation, flipped bits, a bad copy), not tampering.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gnnrt::engine {

// Continues a CRC-32 over more bytes; start with crc = 0. Any size, including more than 4 GiB.
uint32_t crc32_update(uint32_t crc, const void* data, size_t size);

inline uint32_t crc32_of(const void* data, size_t size) { return crc32_update(0, data, size); }

}  // namespace gnnrt::engine

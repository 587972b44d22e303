// The fixed 64-byte little-endian header at the start of every engine file, and the checks that
// run on it before anything else is read. Byte layout: docs/ENGINE_FORMAT.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gnnrt::engine {

inline constexpr char kEngineMagic[8] = {'G', 'N', 'N', 'R', 'T', 'E', 'N', 'G'};
inline constexpr size_t kEngineHeaderSize = 64;
// Every tensor in the weights section starts on this boundary (of the file, hence of an mmap).
inline constexpr uint64_t kWeightAlignment = 64;
// FlatBuffers' verifier takes buffers below 2^31 - 1 bytes; the weights live outside the
// metadata for this reason.
inline constexpr uint64_t kMaxMetadataSize = (uint64_t{1} << 31) - 2;

struct EngineHeader {
  uint32_t format_version = 0;
  uint32_t header_size = kEngineHeaderSize;
  uint64_t file_size = 0;
  uint64_t metadata_offset = 0;
  uint64_t metadata_size = 0;
  uint64_t weights_offset = 0;
  uint64_t weights_size = 0;
  uint32_t payload_checksum = 0;  // CRC-32 of bytes [header_size, file_size)
};

// The header's bytes, with the header checksum (CRC-32 of bytes [0, 60)) filled in.
std::array<uint8_t, kEngineHeaderSize> encode_engine_header(const EngineHeader& header);

// Checks, in order: the size holds a header, the magic, the format version, the header checksum,
// the file size, that both sections lie inside the file without overlapping, and the payload
// checksum. Any failure is fail_input naming `what` (the file). Returns the decoded header.
EngineHeader validate_engine_header(const uint8_t* data, size_t size, const std::string& what);

}  // namespace gnnrt::engine

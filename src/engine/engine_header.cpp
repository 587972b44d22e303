#include "engine/engine_header.h"

#include <cstring>

#include "engine/checksum.h"
#include "engine/engine_contents.h"
#include "gnnrt/error.h"

namespace gnnrt::engine {
namespace {

// Field offsets; magic and format_version never move, so every future reader can tell which
// version a file is, whatever else changes.
constexpr size_t kMagicAt = 0;
constexpr size_t kVersionAt = 8;
constexpr size_t kHeaderSizeAt = 12;
constexpr size_t kFileSizeAt = 16;
constexpr size_t kMetadataOffsetAt = 24;
constexpr size_t kMetadataSizeAt = 32;
constexpr size_t kWeightsOffsetAt = 40;
constexpr size_t kWeightsSizeAt = 48;
constexpr size_t kPayloadChecksumAt = 56;
constexpr size_t kHeaderChecksumAt = 60;

template <typename T>
void put_le(uint8_t* out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
}

template <typename T>
T get_le(const uint8_t* in) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return static_cast<T>(value);
}

std::string hex32(uint32_t value) {
  static const char digits[] = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) text += digits[(value >> shift) & 0xf];
  return text;
}

// A section [offset, offset + size) must lie after the header and inside the file.
void check_section(const std::string& what, const char* section, uint64_t offset, uint64_t size,
                   uint64_t file_size, uint64_t alignment) {
  if (offset < kEngineHeaderSize || offset > file_size || size > file_size - offset)
    fail_input("engine '", what, "': the header places the ", section, " section at bytes [", offset, ", ",
               offset, " + ", size, ") but the file has ", file_size,
               " bytes after a 64-byte header: the file is corrupt");
  if (offset % alignment != 0)
    fail_input("engine '", what, "': the ", section, " section starts at byte ", offset,
               ", which is not a multiple of ", alignment, ": the file is corrupt");
}

}  // namespace

std::array<uint8_t, kEngineHeaderSize> encode_engine_header(const EngineHeader& header) {
  std::array<uint8_t, kEngineHeaderSize> bytes{};
  std::memcpy(bytes.data() + kMagicAt, kEngineMagic, sizeof(kEngineMagic));
  put_le<uint32_t>(bytes.data() + kVersionAt, header.format_version);
  put_le<uint32_t>(bytes.data() + kHeaderSizeAt, header.header_size);
  put_le<uint64_t>(bytes.data() + kFileSizeAt, header.file_size);
  put_le<uint64_t>(bytes.data() + kMetadataOffsetAt, header.metadata_offset);
  put_le<uint64_t>(bytes.data() + kMetadataSizeAt, header.metadata_size);
  put_le<uint64_t>(bytes.data() + kWeightsOffsetAt, header.weights_offset);
  put_le<uint64_t>(bytes.data() + kWeightsSizeAt, header.weights_size);
  put_le<uint32_t>(bytes.data() + kPayloadChecksumAt, header.payload_checksum);
  put_le<uint32_t>(bytes.data() + kHeaderChecksumAt, crc32_of(bytes.data(), kHeaderChecksumAt));
  return bytes;
}

EngineHeader validate_engine_header(const uint8_t* data, size_t size, const std::string& what) {
  if (size < sizeof(kEngineMagic) || std::memcmp(data + kMagicAt, kEngineMagic, sizeof(kEngineMagic)) != 0)
    fail_input("engine '", what, "': not a gnnrt engine file (it does not start with \"GNNRTENG\"; ",
               size, " bytes); build an engine from an ONNX model with `gnnrt build`");
  if (size < kVersionAt + 4)
    fail_input("engine '", what, "': the file is truncated (", size, " bytes, the header alone has ",
               kEngineHeaderSize, ")");
  EngineHeader header;
  header.format_version = get_le<uint32_t>(data + kVersionAt);
  if (header.format_version < kOldestReadableEngineFormatVersion || header.format_version > kEngineFormatVersion)
    fail_input("engine '", what, "': engine format version ", header.format_version, ", this gnnrt reads versions ",
               kOldestReadableEngineFormatVersion, " to ", kEngineFormatVersion,
               ": rebuild the engine with `gnnrt build`");
  if (size < kEngineHeaderSize)
    fail_input("engine '", what, "': the file is truncated (", size, " bytes, the header alone has ",
               kEngineHeaderSize, ")");

  const uint32_t stored_header_checksum = get_le<uint32_t>(data + kHeaderChecksumAt);
  const uint32_t header_checksum = crc32_of(data, kHeaderChecksumAt);
  if (stored_header_checksum != header_checksum)
    fail_input("engine '", what, "': header checksum mismatch (stored ", hex32(stored_header_checksum),
               ", computed ", hex32(header_checksum), "): the file is corrupt");

  header.header_size = get_le<uint32_t>(data + kHeaderSizeAt);
  header.file_size = get_le<uint64_t>(data + kFileSizeAt);
  header.metadata_offset = get_le<uint64_t>(data + kMetadataOffsetAt);
  header.metadata_size = get_le<uint64_t>(data + kMetadataSizeAt);
  header.weights_offset = get_le<uint64_t>(data + kWeightsOffsetAt);
  header.weights_size = get_le<uint64_t>(data + kWeightsSizeAt);
  header.payload_checksum = get_le<uint32_t>(data + kPayloadChecksumAt);

  if (header.header_size != kEngineHeaderSize)
    fail_input("engine '", what, "': header size ", header.header_size, ", version ", header.format_version,
               " headers have ", kEngineHeaderSize, " bytes: the file is corrupt");
  if (header.file_size > size)
    fail_input("engine '", what, "': the file is truncated: the header says ", header.file_size,
               " bytes, the file has ", size, " (an interrupted copy or download?)");
  if (header.file_size < size)
    fail_input("engine '", what, "': the header says ", header.file_size, " bytes but the file has ", size,
               ": ", size - header.file_size, " unexpected bytes at the end: the file is corrupt");

  // FlatBuffers' verifier reads scalars at offsets aligned from its buffer's start; 8-byte
  // alignment of the section keeps those reads aligned in memory too.
  check_section(what, "metadata", header.metadata_offset, header.metadata_size, header.file_size, 8);
  check_section(what, "weights", header.weights_offset, header.weights_size, header.file_size, kWeightAlignment);
  if (header.metadata_size == 0 || header.metadata_size > kMaxMetadataSize)
    fail_input("engine '", what, "': metadata section of ", header.metadata_size,
               " bytes (expected 1 to ", kMaxMetadataSize, "): the file is corrupt");
  const bool disjoint = header.metadata_offset + header.metadata_size <= header.weights_offset ||
                        header.weights_offset + header.weights_size <= header.metadata_offset;
  if (!disjoint)
    fail_input("engine '", what, "': the metadata section [", header.metadata_offset, ", +",
               header.metadata_size, ") overlaps the weights section [", header.weights_offset, ", +",
               header.weights_size, "): the file is corrupt");

  const uint32_t payload_checksum = crc32_of(data + kEngineHeaderSize, size - kEngineHeaderSize);
  if (payload_checksum != header.payload_checksum)
    fail_input("engine '", what, "': checksum mismatch: the file is corrupt (stored ", hex32(header.payload_checksum),
               ", computed ", hex32(payload_checksum), " over bytes [64, ", size, "))");
  return header;
}

}  // namespace gnnrt::engine

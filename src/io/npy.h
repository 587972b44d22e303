// NumPy .npy files: format versions 1.0, 2.0 and 3.0, little-endian C-order arrays of the dtypes
// gnnrt stores ('<f2' '<f4' '<f8' '|i1' '<i2' '<i4' '<i8' '|u1' '|b1'). Anything else (big-endian,
// Fortran order, object, string or structured dtypes) is refused with a message that names the
// source and says how to save the array instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt::io {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;  // keeps file order

// Parses a whole .npy image. `what` names the source in errors, e.g. "in.npz:x".
Tensor parse_npy(const void* data, size_t size, const std::string& what);
// The .npy image of a tensor (version 1.0 unless the header needs 2.0). Fails for bfloat16.
std::string serialize_npy(const Tensor& tensor);

Tensor read_npy(const std::string& path);
void write_npy(const std::string& path, const Tensor& tensor);  // atomic

// --- Building blocks shared with npz.cpp ---

// Reads up to `size` bytes into `buffer` and returns how many it read, 0 only at the end of the
// stream; throws gnnrt::Error on a read error.
using ReadSome = std::function<size_t(void* buffer, size_t size)>;

// Parses one .npy stream and reads it to its end, so that trailing bytes are an error and a
// zip member's CRC gets checked. `total_size`, when known, lets a size mismatch be reported
// before the tensor is allocated.
Tensor read_npy_stream(const ReadSome& read_some, std::optional<uint64_t> total_size,
                       const std::string& what);

// The .npy header (magic, version, length, padded dict) for a tensor; the raw data follows it.
std::string npy_header(const Tensor& tensor);

}  // namespace gnnrt::io

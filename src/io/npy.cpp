#include "io/npy.h"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>

#include "io/atomic_file.h"

namespace gnnrt::io {

// .npy data is little-endian and gnnrt copies it as is.
static_assert(std::endian::native == std::endian::little, "gnnrt's .npy reader assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
// Real headers are under 200 bytes (numpy itself refuses more than 10000 unless told otherwise);
// the limit keeps a corrupt 4-byte length from allocating gigabytes.
constexpr uint32_t kMaxHeaderBytes = 1u << 20;
// numpy's NPY_MAXDIMS.
constexpr size_t kMaxRank = 64;
constexpr const char* kSupportedDescrs = "'<f2' '<f4' '<f8' '|i1' '<i2' '<i4' '<i8' '|u1' '|b1'";

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Dims shape;
};

// Printable excerpt of a header for error messages.
std::string excerpt(std::string_view text) {
  constexpr size_t kMaxChars = 160;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxChars; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') out += "\\n";
    else if (c < 0x20 || c >= 0x7f) out += cat("\\x", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
    else out += static_cast<char>(c);
  }
  if (text.size() > kMaxChars) out += "...";
  return out;
}

// The header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// This parses exactly that subset of Python: quoted strings, True/False and tuples of ints.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& what) : text_(text), what_(what) {}

  NpyHeader parse() {
    NpyHeader header;
    bool has_descr = false, has_fortran_order = false, has_shape = false;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (consume('}')) break;
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (has_descr) fail("the key 'descr' appears twice");
        if (peek() == '[' || peek() == '{')
          fail_input(what_, ": structured dtype (a record with named fields) is not supported; "
                            "save each field as its own array");
        header.descr = parse_string();
        has_descr = true;
      } else if (key == "fortran_order") {
        if (has_fortran_order) fail("the key 'fortran_order' appears twice");
        header.fortran_order = parse_bool();
        has_fortran_order = true;
      } else if (key == "shape") {
        if (has_shape) fail("the key 'shape' appears twice");
        header.shape = parse_shape();
        has_shape = true;
      } else {
        fail(cat("unexpected key '", key, "' (expected 'descr', 'fortran_order' and 'shape')"));
      }
      skip_space();
      if (consume(',')) continue;
      expect('}');
      break;
    }
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the dict");
    if (!has_descr) fail("the key 'descr' is missing");
    if (!has_fortran_order) fail("the key 'fortran_order' is missing");
    if (!has_shape) fail("the key 'shape' is missing");
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    const std::string where = at_end() ? std::string("where the header ended") : cat("at offset ", pos_);
    fail_input(what_, ": malformed .npy header: ", why, " ", where, " in \"", excerpt(text_), "\"");
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  bool consume(char c) {
    if (at_end() || peek() != c) return false;
    ++pos_;
    return true;
  }

  void expect(char c) {
    if (!consume(c)) fail(cat("expected '", c, "'"));
  }

  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    ++pos_;
    std::string value;
    while (true) {
      if (at_end()) fail("unterminated string");
      char c = text_[pos_++];
      if (c == quote) break;
      if (c == '\\') {
        if (at_end()) fail("unterminated string");
        c = text_[pos_++];
      }
      value += c;
    }
    return value;
  }

  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False");
  }

  int64_t parse_dim() {
    if (peek() == '-') fail_input(what_, ": the .npy header has a negative dimension in its shape: \"", excerpt(text_), "\"");
    if (peek() < '0' || peek() > '9') fail("expected a dimension (a non-negative integer)");
    int64_t value = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      const int digit = peek() - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) fail("a dimension does not fit in int64");
      value = value * 10 + digit;
      ++pos_;
    }
    consume('L');  // Python 2 wrote long integers as 3L
    return value;
  }

  // "()", "(5,)", "(2, 3)"; also "(5)", which Python reads as an int but means one dimension.
  Dims parse_shape() {
    expect('(');
    Dims shape;
    skip_space();
    if (consume(')')) return shape;
    while (true) {
      shape.push_back(parse_dim());
      if (shape.size() > kMaxRank) fail(cat("the shape has more than ", kMaxRank, " dimensions"));
      skip_space();
      if (consume(')')) break;
      expect(',');
      skip_space();
      if (consume(')')) break;
    }
    return shape;
  }

  std::string_view text_;
  const std::string& what_;
  size_t pos_ = 0;
};

DType dtype_from_descr(const std::string& descr, const std::string& what) {
  const auto unsupported = [&](const std::string& why) -> DType {
    fail_input(what, ": dtype '", descr, "' ", why, "; gnnrt reads ", kSupportedDescrs);
  };
  std::string_view body = descr;
  char byte_order = '\0';
  if (!body.empty() && (body[0] == '<' || body[0] == '>' || body[0] == '=' || body[0] == '|')) {
    byte_order = body[0];
    body.remove_prefix(1);
  }
  if (body.empty()) return unsupported("is not a NumPy dtype");
  const char kind = body[0];
  switch (kind) {
    case 'O': return unsupported("holds Python objects, which cannot be read without pickle");
    case 'U': return unsupported("is a unicode string type");
    case 'S':
    case 'a': return unsupported("is a byte string type");
    case 'V': return unsupported("is a structured (void) type");
    case 'M':
    case 'm': return unsupported("is a date/time type");
    case 'c': return unsupported("is a complex type");
    default: break;
  }
  const std::string_view size_text = body.substr(1);
  if (size_text.size() != 1 || size_text[0] < '1' || size_text[0] > '9') return unsupported("is not supported");
  const int item_size = size_text[0] - '0';

  DType dtype = DType::Undefined;
  if (kind == 'f' && item_size == 2) dtype = DType::Float16;
  else if (kind == 'f' && item_size == 4) dtype = DType::Float32;
  else if (kind == 'f' && item_size == 8) dtype = DType::Float64;
  else if (kind == 'i' && item_size == 1) dtype = DType::Int8;
  else if (kind == 'i' && item_size == 2) dtype = DType::Int16;
  else if (kind == 'i' && item_size == 4) dtype = DType::Int32;
  else if (kind == 'i' && item_size == 8) dtype = DType::Int64;
  else if (kind == 'u' && item_size == 1) dtype = DType::UInt8;
  else if (kind == 'b' && item_size == 1) dtype = DType::Bool;
  else if (kind == 'u') return unsupported("is an unsigned type wider than 8 bits (cast the array to int64 first)");
  else return unsupported("is not supported");

  // Byte order only matters for multi-byte items; one-byte types may carry any mark.
  if (item_size > 1) {
    if (byte_order == '>') fail_input(what, ": dtype '", descr, "' is big-endian; save it with a little-endian dtype (e.g. '<", body, "')");
    if (byte_order == '|')
      fail_input(what, ": dtype '", descr, "' has byte order '|' (not applicable), which is invalid for a ",
                 item_size, "-byte type; expected '<", body, "'");
  }
  return dtype;
}

std::string_view descr_of(DType dtype) {
  switch (dtype) {
    case DType::Float16: return "<f2";
    case DType::Float32: return "<f4";
    case DType::Float64: return "<f8";
    case DType::Int8: return "|i1";
    case DType::UInt8: return "|u1";
    case DType::Int16: return "<i2";
    case DType::Int32: return "<i4";
    case DType::Int64: return "<i8";
    case DType::Bool: return "|b1";
    case DType::BFloat16:
      fail_input("cannot save a bfloat16 tensor as .npy: NumPy has no bfloat16 type; cast it to float32 first");
    case DType::Undefined: break;
  }
  fail_internal("cannot save an undefined tensor as .npy");
}

// Fortran and C order store the same bytes when at most one dimension exceeds 1.
bool same_bytes_in_both_orders(const Dims& shape) {
  int longer_than_one = 0;
  for (int64_t d : shape) {
    if (d == 0) return true;
    if (d > 1) ++longer_than_one;
  }
  return longer_than_one <= 1;
}

// Reads until `size` bytes are in or the stream ends; returns how many were read.
size_t read_up_to(const ReadSome& read_some, void* buffer, size_t size) {
  size_t total = 0;
  while (total < size) {
    const size_t got = read_some(static_cast<char*>(buffer) + total, size - total);
    if (got == 0) break;
    GNNRT_CHECK(got <= size - total, "read_some returned more bytes than asked for");
    total += got;
  }
  return total;
}

uint32_t little_endian_u32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

Tensor read_npy_stream(const ReadSome& read_some, std::optional<uint64_t> total_size, const std::string& what) {
  unsigned char preamble[12] = {};
  size_t got = read_up_to(read_some, preamble, 10);
  if (got == 0) fail_input(what, ": the .npy data is empty (0 bytes)");
  if (std::memcmp(preamble, kMagic, std::min(got, kMagicBytes)) != 0)
    fail_input(what, ": not a .npy file (it does not start with the .npy magic \"\\x93NUMPY\")");
  if (got < 10) fail_input(what, ": truncated .npy file: ", got, " bytes, shorter than the 10-byte .npy preamble");
  const int major = preamble[6], minor = preamble[7];
  if (major < 1 || major > 3 || minor != 0)
    fail_input(what, ": unsupported .npy format version ", major, ".", minor, " (gnnrt reads 1.0, 2.0 and 3.0)");
  size_t preamble_bytes = 10;
  uint32_t header_bytes = static_cast<uint32_t>(preamble[8]) | static_cast<uint32_t>(preamble[9]) << 8;
  if (major >= 2) {  // versions 2 and 3 have a 4-byte header length
    if (read_up_to(read_some, preamble + 10, 2) < 2)
      fail_input(what, ": truncated .npy file: it ends inside the 12-byte version ", major, ".0 preamble");
    preamble_bytes = 12;
    header_bytes = little_endian_u32(preamble + 8);
  }
  if (header_bytes > kMaxHeaderBytes)
    fail_input(what, ": the .npy header length is ", header_bytes, " bytes, over the limit of ", kMaxHeaderBytes,
               "; the file is corrupt");
  if (total_size && *total_size < preamble_bytes + header_bytes)
    fail_input(what, ": truncated .npy file: the header needs ", preamble_bytes + header_bytes, " bytes, the file has ",
               *total_size);

  std::string header_text(header_bytes, '\0');
  got = read_up_to(read_some, header_text.data(), header_bytes);
  if (got < header_bytes)
    fail_input(what, ": truncated .npy file: the header needs ", header_bytes, " bytes after the preamble, the file has ", got);
  const NpyHeader header = HeaderParser(header_text, what).parse();

  const DType dtype = dtype_from_descr(header.descr, what);
  if (header.fortran_order && !same_bytes_in_both_orders(header.shape))
    fail_input(what, ": the array of shape ", shape_to_string(header.shape),
               " is stored in Fortran (column-major) order; save np.ascontiguousarray(array) instead");

  // Overflow-safe sizes: a corrupt shape must not wrap around to a small allocation.
  const uint64_t item_size = dtype_size(dtype);
  uint64_t element_total = 1;
  for (int64_t d : header.shape) {
    const uint64_t dim = static_cast<uint64_t>(d);
    if (dim != 0 && element_total > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / item_size / dim)
      fail_input(what, ": the .npy shape ", shape_to_string(header.shape), " of ", dtype_name(dtype),
                 " has more bytes than fit in int64; the file is corrupt");
    element_total *= dim;
  }
  const uint64_t data_bytes = element_total * item_size;
  const std::string data_description =
      cat("shape ", shape_to_string(header.shape), " of ", dtype_name(dtype), " needs ", data_bytes, " bytes");
  if (total_size) {
    const uint64_t available = *total_size - preamble_bytes - header_bytes;
    if (available < data_bytes)
      fail_input(what, ": truncated array data: ", data_description, ", the file has ", available);
    if (available > data_bytes)
      fail_input(what, ": ", available - data_bytes, " unexpected bytes after the array data (", data_description,
                 ", the file has ", available, ")");
  }

  Tensor tensor(dtype, header.shape);
  got = read_up_to(read_some, tensor.raw(), static_cast<size_t>(data_bytes));
  if (got < data_bytes) fail_input(what, ": truncated array data: ", data_description, ", the file has ", got);
  // Reading to the end also makes a zip member check its CRC.
  char extra;
  if (read_some(&extra, 1) != 0)
    fail_input(what, ": unexpected bytes after the array data (", data_description, ")");

  if (dtype == DType::Bool) {
    // NumPy treats any non-zero byte as True; a C++ bool must hold exactly 0 or 1.
    auto* bytes = static_cast<unsigned char*>(tensor.raw());
    for (uint64_t i = 0; i < data_bytes; ++i) bytes[i] = bytes[i] != 0;
  }
  return tensor;
}

Tensor parse_npy(const void* data, size_t size, const std::string& what) {
  GNNRT_CHECK(data != nullptr || size == 0, "parse_npy of a null buffer");
  size_t offset = 0;
  const ReadSome read_some = [&](void* buffer, size_t want) {
    const size_t n = std::min(want, size - offset);
    if (n > 0) std::memcpy(buffer, static_cast<const char*>(data) + offset, n);
    offset += n;
    return n;
  };
  return read_npy_stream(read_some, size, what);
}

std::string npy_header(const Tensor& tensor) {
  const std::string_view descr = descr_of(tensor.dtype());
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape().size(); ++i) {
    if (i) shape += ", ";
    shape += std::to_string(tensor.shape()[i]);
  }
  if (tensor.shape().size() == 1) shape += ",";
  shape += ")";
  const std::string dict = cat("{'descr': '", descr, "', 'fortran_order': False, 'shape': ", shape, ", }");

  // numpy pads with spaces and ends with '\n' so that the data starts 64-byte aligned.
  const auto padded_header = [&](size_t preamble_bytes) {
    const size_t unpadded = preamble_bytes + dict.size() + 1;
    return dict + std::string((64 - unpadded % 64) % 64, ' ') + "\n";
  };
  std::string text = padded_header(10);
  std::string out(kMagic, kMagicBytes);
  if (text.size() <= 0xffff) {
    out += std::string{'\x01', '\x00', static_cast<char>(text.size() & 0xff), static_cast<char>(text.size() >> 8)};
  } else {
    text = padded_header(12);
    const uint32_t n = static_cast<uint32_t>(text.size());
    out += std::string{'\x02', '\x00', static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
                       static_cast<char>((n >> 16) & 0xff), static_cast<char>(n >> 24)};
  }
  return out + text;
}

std::string serialize_npy(const Tensor& tensor) {
  std::string out = npy_header(tensor);
  out.append(static_cast<const char*>(tensor.raw()), tensor.nbytes());
  return out;
}

Tensor read_npy(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int error_number = errno;
    fail_input("cannot open '", path, "': ", std::strerror(error_number));
  }
  struct stat info {};
  if (::fstat(::fileno(file.get()), &info) != 0) {
    const int error_number = errno;
    fail_internal("cannot read '", path, "': ", std::strerror(error_number));
  }
  if (S_ISDIR(info.st_mode)) fail_input("cannot open '", path, "': ", std::strerror(EISDIR));
  std::optional<uint64_t> total_size;
  if (S_ISREG(info.st_mode)) total_size = static_cast<uint64_t>(info.st_size);

  const ReadSome read_some = [&](void* buffer, size_t size) {
    const size_t n = std::fread(buffer, 1, size, file.get());
    if (n < size && std::ferror(file.get())) {
      const int error_number = errno;
      fail_internal("cannot read '", path, "': ", std::strerror(error_number));
    }
    return n;
  };
  return read_npy_stream(read_some, total_size, path);
}

void write_npy(const std::string& path, const Tensor& tensor) {
  const std::string header = npy_header(tensor);  // fails (bfloat16) before any file is made
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(tensor.raw()), static_cast<std::streamsize>(tensor.nbytes()));
  });
}

}  // namespace gnnrt::io

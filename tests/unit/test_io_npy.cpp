#include "io/npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "gnnrt/error.h"
#include "test_support.h"

namespace gnnrt::io {
namespace {

namespace fs = std::filesystem;

using testing::expect_error;
using testing::expect_same_tensor;
using testing::read_file;
using testing::values_of;
using testing::write_file;

const std::string kSamples = testing::npy_samples_dir();

// A .npy image with exactly `header` as its dict text (no padding added), for hand-made cases.
std::string make_npy(const std::string& header, const std::string& data, int major = 1) {
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const uint32_t n = static_cast<uint32_t>(header.size());
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (major >= 2) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>(n >> 24);
  }
  return out + header + data;
}

template <typename T>
std::string bytes_of(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

Tensor parse(const std::string& image, const std::string& what = "test.npy") {
  return parse_npy(image.data(), image.size(), what);
}

// Expects parse() of `image` to fail as the user's error with every one of `parts` in the message.
void expect_refused(const std::string& image, const std::vector<std::string>& parts) {
  SCOPED_TRACE(cat(image.size(), "-byte image"));
  const std::string message = expect_error(ErrorCode::InvalidInput, [&] { parse(image, "in.npz:x"); }, parts);
  if (!message.empty()) EXPECT_EQ(message.rfind("in.npz:x: ", 0), 0u) << message;
}

// A tensor of `dtype` whose elements differ from each other and from zero where the dtype allows.
Tensor distinct_tensor(DType dtype, Dims shape) {
  Tensor tensor(dtype, std::move(shape));
  dispatch_all(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* data = static_cast<T*>(tensor.raw());
    for (int64_t i = 0; i < tensor.numel(); ++i) data[i] = convert_element<T>(static_cast<double>(i * 7 - 5) * 1.5);
    if constexpr (std::is_same_v<T, bool>)
      for (int64_t i = 0; i < tensor.numel(); ++i) data[i] = i % 3 != 1;
  });
  return tensor;
}

struct DtypeCase {
  DType dtype;
  const char* descr;
};
const DtypeCase kDtypeCases[] = {
    {DType::Float32, "<f4"}, {DType::Float64, "<f8"}, {DType::Float16, "<f2"},
    {DType::Int8, "|i1"},    {DType::UInt8, "|u1"},   {DType::Int16, "<i2"},
    {DType::Int32, "<i4"},   {DType::Int64, "<i8"},   {DType::Bool, "|b1"},
};

TEST(IoNpy, RoundTripsEveryDtype) {
  for (const auto& c : kDtypeCases) {
    SCOPED_TRACE(dtype_name(c.dtype));
    const Tensor original = distinct_tensor(c.dtype, {2, 3});
    const std::string image = serialize_npy(original);
    EXPECT_NE(image.find(cat("'descr': '", c.descr, "'")), std::string::npos) << image.substr(0, 64);
    EXPECT_NE(image.find("'shape': (2, 3)"), std::string::npos);
    EXPECT_EQ(npy_header(original).size() % 64, 0u);  // data starts aligned, as numpy does it
    EXPECT_EQ(image.size(), npy_header(original).size() + original.nbytes());
    expect_same_tensor(parse(image), original);
  }
}

TEST(IoNpy, RoundTripsRankZeroAndEmptyArrays) {
  Tensor scalar(DType::Float64, {});
  scalar.data<double>()[0] = 3.25;
  const std::string image = serialize_npy(scalar);
  EXPECT_NE(image.find("'shape': ()"), std::string::npos);
  const Tensor back = parse(image);
  EXPECT_EQ(back.rank(), 0);
  EXPECT_EQ(back.numel(), 1);
  EXPECT_EQ(back.data<double>()[0], 3.25);

  for (const Dims& shape : {Dims{0}, Dims{0, 4}, Dims{3, 0, 2}}) {
    for (const auto& c : kDtypeCases) {
      const Tensor empty(c.dtype, shape);
      const Tensor parsed = parse(serialize_npy(empty));
      EXPECT_EQ(parsed.shape(), shape);
      EXPECT_EQ(parsed.dtype(), c.dtype);
      EXPECT_EQ(parsed.numel(), 0);
    }
  }
  EXPECT_NE(serialize_npy(Tensor(DType::Int64, {5})).find("'shape': (5,)"), std::string::npos);
}

TEST(IoNpy, SerializesByteForByteAsNumpy) {
  // float32_2x3.npy is np.save of [[-1, -0.5, 0], [0.5, 1, 1.5]] (see make_samples.py).
  Tensor tensor(DType::Float32, {2, 3});
  const float values[] = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f};
  std::memcpy(tensor.raw(), values, sizeof(values));
  EXPECT_EQ(serialize_npy(tensor), read_file(kSamples + "float32_2x3.npy"));
}

TEST(IoNpy, ReadsNumpyWrittenFiles) {
  const Tensor x = read_npy(kSamples + "float32_2x3.npy");
  EXPECT_EQ(x.shape(), (Dims{2, 3}));
  EXPECT_EQ(values_of<float>(x), (std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f}));
  const Tensor v2 = read_npy(kSamples + "int64_v2.npy");  // format version 2.0
  EXPECT_EQ(read_file(kSamples + "int64_v2.npy")[6], '\x02');
  EXPECT_EQ(values_of<int64_t>(v2), (std::vector<int64_t>{-5, 0, int64_t{1} << 40}));
}

TEST(IoNpy, ParsesHandMadeHeaders) {
  const std::string ints = bytes_of(std::vector<int32_t>{7, -8, 9});
  const Tensor a = parse(make_npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }\n", ints));
  EXPECT_EQ(values_of<int32_t>(a), (std::vector<int32_t>{7, -8, 9}));

  // Other key order, double quotes, no trailing comma, Python 2 longs, no padding or newline.
  const std::string doubles = bytes_of(std::vector<double>{1.5, -2.5});
  const Tensor b = parse(make_npy(R"({"shape": (2L, 1L), "fortran_order": False, "descr": "<f8"})", doubles));
  EXPECT_EQ(b.shape(), (Dims{2, 1}));
  EXPECT_EQ(values_of<double>(b), (std::vector<double>{1.5, -2.5}));

  // Versions 2.0 and 3.0 have a 4-byte header length.
  for (int major : {2, 3}) {
    const Tensor c = parse(make_npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 1), }   \n",
                                    bytes_of(std::vector<int16_t>{300, -300}), major));
    EXPECT_EQ(c.shape(), (Dims{2, 1}));
    EXPECT_EQ(values_of<int16_t>(c), (std::vector<int16_t>{300, -300}));
  }
}

TEST(IoNpy, AcceptsLegalByteOrderMarks) {
  const auto header = [](const std::string& descr, const std::string& shape) {
    return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + "}";
  };
  EXPECT_EQ(values_of<uint8_t>(parse(make_npy(header("<u1", "(2,)"), "\x01\xff"))), (std::vector<uint8_t>{1, 255}));
  EXPECT_EQ(values_of<int8_t>(parse(make_npy(header(">i1", "(1,)"), "\xfe"))), (std::vector<int8_t>{-2}));
  EXPECT_EQ(values_of<float>(parse(make_npy(header("=f4", "(1,)"), bytes_of(std::vector<float>{2.5f})))),
            (std::vector<float>{2.5f}));
  EXPECT_EQ(values_of<bool>(parse(make_npy(header("|b1", "(2,)"), std::string("\x00\x01", 2)))),
            (std::vector<bool>{false, true}));
  Tensor half = parse(make_npy(header("<f2", "(1,)"), std::string("\x00\x3e", 2)));  // 0x3e00 = 1.5
  EXPECT_EQ(half_to_float(half.data<float16_t>()[0]), 1.5f);
}

TEST(IoNpy, NonCanonicalBoolBytesBecomeTrue) {
  const Tensor t = parse(make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}", std::string("\x00\x02\xff", 3)));
  const auto* bytes = static_cast<const unsigned char*>(t.raw());
  EXPECT_EQ(bytes[0], 0);
  EXPECT_EQ(bytes[1], 1);
  EXPECT_EQ(bytes[2], 1);
}

TEST(IoNpy, RefusesBigEndian) {
  expect_refused(make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", "abcd"),
                 {"dtype '>f4' is big-endian; save it with a little-endian dtype"});
  try {
    read_npy(kSamples + "big_endian.npy");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              kSamples + "big_endian.npy: dtype '>f4' is big-endian; save it with a little-endian dtype (e.g. '<f4')");
  }
}

TEST(IoNpy, RefusesFortranOrderUnlessLayoutIsTheSame) {
  expect_error(ErrorCode::InvalidInput, [] { read_npy(kSamples + "fortran_2x3.npy"); },
               {"Fortran (column-major) order", "[2, 3]"});
  // With one dimension above 1 both orders store the same bytes, so the file is read.
  const Tensor t = parse(make_npy("{'descr': '<i4', 'fortran_order': True, 'shape': (1, 2)}", bytes_of(std::vector<int32_t>{4, 5})));
  EXPECT_EQ(values_of<int32_t>(t), (std::vector<int32_t>{4, 5}));
}

TEST(IoNpy, RefusesUnsupportedDtypes) {
  const auto with_descr = [](const std::string& descr) {
    return make_npy("{'descr': " + descr + ", 'fortran_order': False, 'shape': (1,)}", "abcdefgh");
  };
  expect_refused(with_descr("'|O'"), {"dtype '|O'", "Python objects"});
  expect_refused(with_descr("'<U2'"), {"dtype '<U2'", "unicode"});
  expect_refused(with_descr("'|S8'"), {"byte string"});
  expect_refused(with_descr("'<c8'"), {"complex"});
  expect_refused(with_descr("'<M8[ns]'"), {"date/time"});
  expect_refused(with_descr("'|V8'"), {"structured"});
  expect_refused(with_descr("[('a', '<f4'), ('b', '<i4')]"), {"structured dtype"});
  expect_refused(with_descr("'<u4'"), {"dtype '<u4'", "unsigned", "'<i8'"});
  expect_refused(with_descr("'<f16'"), {"dtype '<f16' is not supported", "gnnrt reads '<f2' '<f4'"});
  expect_refused(with_descr("'<i3'"), {"dtype '<i3' is not supported"});
  expect_refused(with_descr("''"), {"is not a NumPy dtype"});
  expect_refused(with_descr("'|f8'"), {"byte order '|'", "'<f8'"});
}

TEST(IoNpy, RefusesWrongDataSize) {
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}";
  expect_refused(make_npy(header, std::string(20, 'a')),
                 {"truncated array data", "shape [2, 3] of float32 needs 24 bytes, the file has 20"});
  expect_refused(make_npy(header, std::string(28, 'a')), {"4 unexpected bytes after the array data"});
  // Rank 0 needs exactly one element.
  expect_refused(make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': ()}", ""), {"needs 8 bytes, the file has 0"});
}

TEST(IoNpy, RefusesBadPreambles) {
  expect_refused("", {"empty"});
  expect_refused("PK\x03\x04 this is a zip", {"not a .npy file"});
  expect_refused(std::string("\x93NUMPY\x01", 7), {"truncated .npy file: 7 bytes"});
  expect_refused(std::string("\x93NUMPY\x02\x00\x10", 9), {"truncated .npy file"});
  expect_refused(std::string("\x93NUMPY\x02\x00\x10\x00\x00", 11), {"ends inside the 12-byte"});
  expect_refused(make_npy("{}", "", 4), {"unsupported .npy format version 4.0"});
  std::string minor_one = make_npy("{}", "");
  minor_one[7] = 1;
  expect_refused(minor_one, {"version 1.1"});
  // Header length pointing past the end, and a corrupt 4-byte length.
  std::string long_header = make_npy("{'descr': '<f4'}", "");
  long_header[8] = '\x7f';
  expect_refused(long_header, {"truncated .npy file: the header needs 137 bytes, the file has 26"});
  std::string huge_header = std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12) + "{}";
  expect_refused(huge_header, {"header length is 4294967295 bytes, over the limit"});
}

TEST(IoNpy, RefusesMalformedHeaders) {
  const auto refused = [](const std::string& header, const std::string& part) {
    SCOPED_TRACE(header);
    expect_refused(make_npy(header, "abcd"), {part});
  };
  refused("{'descr': '<f4', 'fortran_order': False}", "the key 'shape' is missing");
  refused("{'shape': (1,), 'fortran_order': False}", "the key 'descr' is missing");
  refused("{'descr': '<f4', 'shape': (1,)}", "the key 'fortran_order' is missing");
  refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'");
  refused("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "'descr' appears twice");
  refused("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "negative dimension");
  refused("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "does not fit in int64");
  refused("{'descr': '<f4', 'fortran_order': false, 'shape': (1,)}", "expected True or False");
  refused("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", "expected '}' at offset 17");
  refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} trailing", "unexpected text after the dict");
  refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", "expected a dimension (a non-negative integer) where the header ended");
  refused("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", "expected '('");
  refused("{'descr': '<f4", "unterminated string");
  refused("", "expected '{'");
  std::string long_rank = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 65; ++i) long_rank += "1, ";
  refused(long_rank + ")}", "more than 64 dimensions");
  // A shape whose byte count overflows int64 must be refused before anything is allocated.
  refused("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", "more bytes than fit in int64");
  refused("{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,)}", "more bytes than fit in int64");
  // Error messages quote the header with control bytes escaped.
  refused(std::string("{\x01}"), "\"{\\x01}\"");
}

class IoNpyFiles : public testing::TempFolderTest {};

TEST_F(IoNpyFiles, WriteThenReadEveryDtype) {
  for (const auto& c : kDtypeCases) {
    const Tensor original = distinct_tensor(c.dtype, {3, 1, 2});
    write_npy(path("t.npy"), original);
    expect_same_tensor(read_npy(path("t.npy")), original);
  }
}

TEST_F(IoNpyFiles, ReadErrorsNameTheFile) {
  const std::string missing = path("missing.npy");
  EXPECT_EQ(expect_error(ErrorCode::InvalidInput, [&] { read_npy(missing); }),
            "cannot open '" + missing + "': No such file or directory");
  try {
    read_npy(folder().string());
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()), "cannot open '" + folder().string() + "': Is a directory");
  }
  // A numpy file cut short on disk.
  const std::string full = read_file(kSamples + "float32_2x3.npy");
  write_file(path("cut.npy"), full.substr(0, full.size() - 5));
  try {
    read_npy(path("cut.npy"));
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              path("cut.npy") + ": truncated array data: shape [2, 3] of float32 needs 24 bytes, the file has 19");
  }
}

TEST_F(IoNpyFiles, Bfloat16IsRefusedAndWritesNothing) {
  EXPECT_THROW(serialize_npy(Tensor(DType::BFloat16, {2})), Error);
  expect_error(ErrorCode::InvalidInput, [&] { write_npy(path("b.npy"), Tensor(DType::BFloat16, {2})); }, {"bfloat16"});
  EXPECT_TRUE(fs::is_empty(folder()));
}

// Every truncation and many random corruptions of real files either parse or throw gnnrt::Error.
TEST(IoNpy, SurvivesCorruptBytes) {
  std::mt19937 random(1234);
  for (const char* name : {"float32_2x3.npy", "int64_v2.npy"}) {
    const std::string original = read_file(kSamples + name);
    for (size_t length = 0; length <= original.size(); ++length) {
      try {
        parse(original.substr(0, length));
        EXPECT_EQ(length, original.size());
      } catch (const Error&) {
      }
    }
    for (int trial = 0; trial < 3000; ++trial) {
      std::string mutated = original;
      const int flips = 1 + static_cast<int>(random() % 4);
      for (int f = 0; f < flips; ++f) {
        // Mostly hit the header, where the parsing happens.
        const size_t at = random() % (trial % 2 ? mutated.size() : 80);
        mutated[at] = static_cast<char>(random());
      }
      try {
        parse(mutated);
      } catch (const Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace gnnrt::io

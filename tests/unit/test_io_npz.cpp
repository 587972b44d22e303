#include "io/npz.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/half.h"
#include "gnnrt/error.h"
#include "test_support.h"

namespace gnnrt::io {
namespace {

namespace fs = std::filesystem;

using testing::expect_error;
using testing::expect_same_tensor;
using testing::make_tensor;
using testing::read_file;
using testing::values_of;
using testing::write_file;

const std::string kSamples = testing::npy_samples_dir();

std::vector<std::string> names_of(const NamedTensors& tensors) {
  std::vector<std::string> names;
  for (const auto& entry : tensors) names.push_back(entry.first);
  return names;
}

// Expects read_npz(path) to fail as the user's error with every one of `parts` in the message.
void expect_read_refused(const std::string& path, const std::vector<std::string>& parts) {
  expect_error(ErrorCode::InvalidInput, [&] { read_npz(path); }, parts);
}

class IoNpz : public testing::TempFolderTest {
 protected:
  // A small archive with several dtypes, rank 0 and an empty array.
  static NamedTensors sample_tensors() {
    Tensor scalar(DType::Float64, {});
    scalar.data<double>()[0] = -0.125;
    Tensor half(DType::Float16, {2});
    half.data<float16_t>()[0] = float_to_half(0.5f);
    half.data<float16_t>()[1] = float_to_half(-3.0f);
    return {
        {"x", make_tensor<float>({2, 2}, {1.5f, -2.0f, 0.25f, 8.0f})},
        {"edge_index", make_tensor<int64_t>({2, 3}, {0, 1, 2, 2, 0, int64_t{1} << 33})},
        {"scalar", scalar},
        {"empty", Tensor(DType::Int32, {0, 5})},
        {"mask", make_tensor<bool>({3}, {true, false, true})},
        {"half", half},
        {"bytes", make_tensor<uint8_t>({2}, {0, 255})},
        {"small", make_tensor<int8_t>({2}, {-128, 127})},
        {"mid", make_tensor<int16_t>({1}, {-12345})},
        {"nested/name", make_tensor<int32_t>({1, 1}, {77})},
    };
  }
};

void check_numpy_sample(const NamedTensors& tensors) {
  // Values from make_samples.py.
  ASSERT_EQ(names_of(tensors), (std::vector<std::string>{"x", "edge_index", "mask", "scalar", "empty", "half", "u8",
                                                         "i8", "i16", "i32"}));
  EXPECT_EQ(tensors[0].second.shape(), (Dims{2, 3}));
  EXPECT_EQ(values_of<float>(tensors[0].second), (std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f}));
  EXPECT_EQ(values_of<int64_t>(tensors[1].second), (std::vector<int64_t>{0, 1, 2, 1, 2, 0}));
  EXPECT_EQ(values_of<bool>(tensors[2].second), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(tensors[3].second.rank(), 0);
  EXPECT_EQ(tensors[3].second.data<double>()[0], 3.25);
  EXPECT_EQ(tensors[4].second.shape(), (Dims{0, 4}));
  EXPECT_EQ(tensors[4].second.dtype(), DType::Float32);
  EXPECT_EQ(half_to_float(tensors[5].second.data<float16_t>()[0]), 1.5f);
  EXPECT_EQ(half_to_float(tensors[5].second.data<float16_t>()[1]), -2.0f);
  EXPECT_EQ(values_of<uint8_t>(tensors[6].second), (std::vector<uint8_t>{0, 255}));
  EXPECT_EQ(values_of<int8_t>(tensors[7].second), (std::vector<int8_t>{-128, 127}));
  EXPECT_EQ(values_of<int16_t>(tensors[8].second), (std::vector<int16_t>{-300, 300}));
  EXPECT_EQ(values_of<int32_t>(tensors[9].second), (std::vector<int32_t>{-70000, 70000}));
}

// numpy writes ZIP64 local headers (force_zip64), so these also cover ZIP64 reading.
TEST_F(IoNpz, ReadsNumpySavez) { check_numpy_sample(read_npz(kSamples + "savez.npz")); }
TEST_F(IoNpz, ReadsNumpySavezCompressed) { check_numpy_sample(read_npz(kSamples + "savez_compressed.npz")); }

TEST_F(IoNpz, RoundTripsStoredAndDeflated) {
  const NamedTensors original = sample_tensors();
  for (bool compress : {false, true}) {
    SCOPED_TRACE(compress);
    write_npz(path("t.npz"), original, compress);
    const NamedTensors back = read_npz(path("t.npz"));
    ASSERT_EQ(names_of(back), names_of(original));
    for (size_t i = 0; i < back.size(); ++i) expect_same_tensor(back[i].second, original[i].second);
  }
}

TEST_F(IoNpz, CompressionChoiceIsHonoured) {
  const NamedTensors zeros = {{"z", Tensor(DType::Float32, {100, 100})}};
  write_npz(path("stored.npz"), zeros, false);
  write_npz(path("deflated.npz"), zeros, true);
  EXPECT_GT(fs::file_size(path("stored.npz")), 40000u);
  EXPECT_LT(fs::file_size(path("deflated.npz")), 2000u);
  // Stored members hold the .npy image verbatim, as np.savez does.
  EXPECT_NE(read_file(path("stored.npz")).find("{'descr': '<f4', 'fortran_order': False, 'shape': (100, 100), }"),
            std::string::npos);
}

TEST_F(IoNpz, EmptyArchiveRoundTrips) {
  write_npz(path("none.npz"), {});
  EXPECT_EQ(fs::file_size(path("none.npz")), 22u);  // what np.savez() writes
  EXPECT_TRUE(read_npz(path("none.npz")).empty());
}

TEST_F(IoNpz, OverwritesExistingArchive) {
  write_npz(path("o.npz"), sample_tensors());
  write_npz(path("o.npz"), {{"only", make_tensor<int32_t>({1}, {5})}});
  const NamedTensors back = read_npz(path("o.npz"));
  ASSERT_EQ(names_of(back), std::vector<std::string>{"only"});
  EXPECT_EQ(back[0].second.data<int32_t>()[0], 5);
  EXPECT_EQ(std::distance(fs::directory_iterator(folder()), {}), 1);
}

TEST_F(IoNpz, WriteRefusesBadNamesAndDtypesAndWritesNothing) {
  const Tensor one = make_tensor<int32_t>({1}, {1});
  const auto refused = [&](const NamedTensors& tensors, const std::string& part) {
    expect_error(ErrorCode::InvalidInput, [&] { write_npz(path("bad.npz"), tensors); }, {part});
    EXPECT_TRUE(fs::is_empty(folder()));
  };
  refused({{"a", one}, {"a", one}}, "two tensors are named 'a'");
  refused({{"", one}}, "empty name");
  refused({{"a", one}, {"b", Tensor(DType::BFloat16, {1})}}, "bfloat16");
  refused({{"u", Tensor()}}, "undefined");
}

TEST_F(IoNpz, MissingNotZipAndEmptyFiles) {
  const std::string missing = path("missing.npz");
  EXPECT_EQ(expect_error(ErrorCode::InvalidInput, [&] { read_npz(missing); }),
            "cannot open '" + missing + "': No such file or directory");
  write_file(path("text.npz"), "this is plain text, certainly not a zip archive at all");
  expect_read_refused(path("text.npz"), {"cannot read '" + path("text.npz") + "' as an .npz (zip) archive: Not a zip archive"});
  write_file(path("empty.npz"), "");
  expect_read_refused(path("empty.npz"), {path("empty.npz"), "empty (0 bytes)"});
  expect_read_refused(folder().string(), {"cannot open '" + folder().string() + "': Is a directory"});
  // A lone .npy is not an archive either.
  expect_read_refused(kSamples + "float32_2x3.npy", {"Not a zip archive"});
}

TEST_F(IoNpz, RefusesDuplicateAndNonNpyMembers) {
  expect_read_refused(kSamples + "duplicate.npz", {kSamples + "duplicate.npz", "two members are named 'a.npy'"});
  expect_read_refused(kSamples + "not_npy_member.npz", {"the member 'readme.txt' is not a .npy file"});
}

TEST_F(IoNpz, CorruptMemberDataNamesFileAndMember) {
  write_npz(path("ok.npz"), {{"first", make_tensor<int32_t>({1}, {1})}, {"second", make_tensor<float>({4}, {1, 2, 3, 4})}},
            false);
  const std::string good = read_file(path("ok.npz"));
  const size_t second_header = good.find("{'descr': '<f4'");
  ASSERT_NE(second_header, std::string::npos);

  // A flipped data byte: the .npy parses, the CRC check at the member's end catches it.
  std::string bad_data = good;
  bad_data[second_header + 118 + 5] ^= 0x40;  // inside the 16 data bytes after the 118-byte padded dict
  write_file(path("bad_data.npz"), bad_data);
  expect_read_refused(path("bad_data.npz"), {path("bad_data.npz") + ":second: the member 'second.npy' is corrupt: CRC error"});

  // A member whose bytes are not a .npy at all.
  std::string bad_magic = good;
  bad_magic[second_header - 9] = 'X';  // inside "\x93NUMPY"
  write_file(path("bad_magic.npz"), bad_magic);
  expect_read_refused(path("bad_magic.npz"), {path("bad_magic.npz") + ":second: not a .npy file"});

  // A deflated stream damaged in the middle.
  write_npz(path("z.npz"), {{"w", make_tensor<int64_t>({64}, std::vector<int64_t>(64, 7))}}, true);
  std::string deflated = read_file(path("z.npz"));
  // The compressed data follows the 30-byte local header, the name and the extra field.
  const auto u16_at = [&](size_t at) { return static_cast<size_t>(static_cast<unsigned char>(deflated[at])) |
                                              static_cast<size_t>(static_cast<unsigned char>(deflated[at + 1])) << 8; };
  const size_t data_start = 30 + u16_at(26) + u16_at(28);
  ASSERT_LT(data_start + 14, deflated.size());
  for (size_t i = data_start + 4; i < data_start + 14; ++i) deflated[i] ^= 0x5a;
  write_file(path("z_bad.npz"), deflated);
  expect_read_refused(path("z_bad.npz"), {path("z_bad.npz") + ":w: "});
}

TEST_F(IoNpz, TruncatedArchiveIsRefused) {
  const std::string full = read_file(kSamples + "savez.npz");
  write_file(path("half.npz"), full.substr(0, full.size() / 2));
  expect_read_refused(path("half.npz"), {"cannot read '" + path("half.npz") + "' as an .npz (zip) archive: "});
}

// Whatever the bytes, read_npz either returns or throws gnnrt::Error.
TEST_F(IoNpz, SurvivesCorruptBytes) {
  std::mt19937 random(99);
  for (const char* name : {"savez.npz", "savez_compressed.npz"}) {
    const std::string original = read_file(kSamples + name);
    for (size_t length = 0; length < original.size(); length += 31) {
      write_file(path("cut.npz"), original.substr(0, length));
      try {
        read_npz(path("cut.npz"));
      } catch (const Error&) {
      }
    }
    for (int trial = 0; trial < 150; ++trial) {
      std::string mutated = original;
      const int flips = 1 + static_cast<int>(random() % 3);
      for (int f = 0; f < flips; ++f) mutated[random() % mutated.size()] = static_cast<char>(random());
      write_file(path("mutated.npz"), mutated);
      try {
        read_npz(path("mutated.npz"));
      } catch (const Error&) {
      }
    }
  }
}

// Fixtures exported from PyG by python/export_pyg.py; skipped until they exist.
TEST(IoNpzFixtures, ReadsEveryFixtureArchive) {
  const fs::path fixtures(GNNRT_FIXTURES_DIR);
  std::vector<fs::path> archives;
  if (fs::is_directory(fixtures))
    for (const auto& entry : fs::recursive_directory_iterator(fixtures))
      if (entry.is_regular_file() && entry.path().extension() == ".npz") archives.push_back(entry.path());
  if (archives.empty()) GTEST_SKIP() << "no .npz files under " << fixtures;
  for (const auto& archive : archives) {
    SCOPED_TRACE(archive.string());
    const NamedTensors tensors = read_npz(archive.string());
    EXPECT_FALSE(tensors.empty());
    for (const auto& [name, tensor] : tensors) {
      EXPECT_FALSE(name.empty());
      EXPECT_TRUE(tensor.defined()) << name;
      // Re-serialising and re-reading gives the same bytes.
      const std::string image = serialize_npy(tensor);
      const Tensor again = parse_npy(image.data(), image.size(), name);
      expect_same_tensor(again, tensor);
    }
  }
}

}  // namespace
}  // namespace gnnrt::io

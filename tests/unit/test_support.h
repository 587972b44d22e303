// Helpers shared by the tests: fixture paths, temporary folders, files, tensors, expected
// errors, and running the gnnrt binary.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>
#include <utility>
#include <vector>

#include "gnnrt/error.h"
#include "gnnrt/tensor.h"

namespace gnnrt::testing {

// Where the fixtures and the gnnrt binary are: compiled in, or from the environment
// (GNNRT_FIXTURES_DIR, GNNRT_CLI) when the test binary runs on another machine.
std::filesystem::path fixtures_dir();
std::string cli_path();

// The bad-input corpus (tests/bad_inputs/): beside the fixtures, so GNNRT_FIXTURES_DIR moves both.
std::filesystem::path bad_inputs_dir();

// The hand-made and numpy-written .npy/.npz samples (tests/data/npy/), with a trailing '/'.
std::string npy_samples_dir();

// A fresh, empty folder removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A test fixture with a fresh, empty folder for each test.
class TempFolderTest : public ::testing::Test {
 protected:
  const std::filesystem::path& folder() const { return folder_.path(); }
  // The path of `name` inside the folder.
  std::string path(const std::string& name) const { return (folder_ / name).string(); }

 private:
  TempDir folder_;
};

// The whole content of the file at `path` (and a test failure when it cannot be opened).
std::string read_file(const std::string& path);
// Replaces the file at `path` with `bytes`.
void write_file(const std::string& path, const std::string& bytes);

// A tensor of `shape` holding `values` in row-major order.
template <typename T>
Tensor make_tensor(Dims shape, const std::vector<T>& values) {
  Tensor t(dtype_of<T>(), std::move(shape));
  EXPECT_EQ(t.numel(), static_cast<int64_t>(values.size())) << "test bug: value count";
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) t.data<T>()[i] = values[i];
  return t;
}

// The elements of `t`, in row-major order.
template <typename T>
std::vector<T> values_of(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

// Expects the same dtype, shape and bytes.
void expect_same_tensor(const Tensor& actual, const Tensor& expected);

// Runs `body`, expects a gnnrt::Error of `code` whose message contains every one of `parts`,
// and returns the message ("" and a test failure when nothing was thrown).
template <typename Body>
std::string expect_error(ErrorCode code, Body&& body, const std::vector<std::string>& parts = {}) {
  try {
    body();
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(error.code(), code) << message;
    for (const std::string& part : parts)
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    return message;
  }
  ADD_FAILURE() << "expected a gnnrt::Error";
  return {};
}

// One row of tests/fixtures/manifest.tsv: a model, one graph's inputs and PyG's outputs.
struct FixtureRow {
  std::string case_name, exporter, graph, onnx, inputs, expected;  // paths relative to fixtures_dir()
  std::string test_name() const;  // "gcn_cora__dynamo__g0", safe as a gtest name
};
std::vector<FixtureRow> read_fixture_manifest();
// Test listings show the row's name, not its bytes.
inline void PrintTo(const FixtureRow& row, std::ostream* out) { *out << row.test_name(); }

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `gnnrt <arguments>` (arguments are passed to the shell as written).
CommandResult run_gnnrt(const std::string& arguments);
// `path` in single quotes: one shell word in run_gnnrt's arguments.
std::string quoted(const std::filesystem::path& path);

}  // namespace gnnrt::testing

// A CLI run the user's input made fail: exit code 2, a message containing `text`, no internal error.
#define EXPECT_USER_ERROR(result, text)                                                      \
  do {                                                                                       \
    EXPECT_EQ((result).exit_code, 2) << (result).output;                                     \
    EXPECT_NE((result).output.find(text), std::string::npos) << (result).output;             \
    EXPECT_EQ((result).output.find("internal error"), std::string::npos) << (result).output; \
  } while (0)

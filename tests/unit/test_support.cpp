#include "test_support.h"

#include <sys/wait.h>

#include <array>
#include <cctype>
#include <fstream>
#include <sstream>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

namespace gnnrt::testing {

std::filesystem::path fixtures_dir() {
  const char* from_environment = std::getenv("GNNRT_FIXTURES_DIR");
  return from_environment ? from_environment : GNNRT_FIXTURES_DIR;
}

std::string cli_path() {
  const char* from_environment = std::getenv("GNNRT_CLI");
  return from_environment ? from_environment : GNNRT_CLI_PATH;
}

std::filesystem::path bad_inputs_dir() { return fixtures_dir().parent_path() / "bad_inputs"; }

std::string npy_samples_dir() { return std::string(GNNRT_SOURCE_DIR) + "/tests/data/npy/"; }

std::string FixtureRow::test_name() const {
  std::string name = case_name + "__" + exporter + "__" + graph;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  return name;
}

std::vector<FixtureRow> read_fixture_manifest() {
  std::vector<FixtureRow> rows;
  std::ifstream manifest(fixtures_dir() / "manifest.tsv");
  std::string line;
  std::getline(manifest, line);  // header: case exporter graph onnx inputs expected
  while (std::getline(manifest, line)) {
    std::istringstream fields(line);
    FixtureRow row;
    if (std::getline(fields, row.case_name, '\t') && std::getline(fields, row.exporter, '\t') &&
        std::getline(fields, row.graph, '\t') && std::getline(fields, row.onnx, '\t') &&
        std::getline(fields, row.inputs, '\t') && std::getline(fields, row.expected, '\t'))
      rows.push_back(row);
  }
  return rows;
}

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() / ("gnnrt-test-" + std::to_string(random()) + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void expect_same_tensor(const Tensor& actual, const Tensor& expected) {
  EXPECT_EQ(actual.dtype(), expected.dtype());
  EXPECT_EQ(actual.shape(), expected.shape());
  ASSERT_EQ(actual.nbytes(), expected.nbytes());
  if (expected.nbytes()) {
    EXPECT_EQ(std::memcmp(actual.raw(), expected.raw(), expected.nbytes()), 0);
  }
}

CommandResult run_gnnrt(const std::string& arguments) {
  const std::string command = cli_path() + " " + arguments + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  size_t read;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), read);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

}  // namespace gnnrt::testing

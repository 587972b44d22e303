// Helpers shared by the tests: fixture paths, temporary folders, and running the gnnrt binary.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace gnnrt::testing {

// Where the fixtures and the gnnrt binary are: compiled in, or from the environment
// (GNNRT_FIXTURES_DIR, GNNRT_CLI) when the test binary runs on another machine.
std::filesystem::path fixtures_dir();
std::string cli_path();

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

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `gnnrt <arguments>` (arguments are passed to the shell as written).
CommandResult run_gnnrt(const std::string& arguments);

}  // namespace gnnrt::testing

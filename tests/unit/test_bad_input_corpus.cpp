// The bad-input corpus (tests/bad_inputs/manifest.tsv, made by make_bad_inputs.py): every
// malformed file or tensor in it, handed to the real `gnnrt` binary, ends with exit code 2 and a
// message that names the file, tensor or node at fault; never a crash, an internal error or a
// half-written output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_support.h"

namespace gnnrt {
namespace {

namespace fs = std::filesystem;

struct BadInput {
  std::string file, command, expected;
  std::string test_name() const {
    std::string name = file;
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
  }
};
void PrintTo(const BadInput& row, std::ostream* out) { *out << row.file; }

std::vector<BadInput> read_manifest() {
  std::vector<BadInput> rows;
  std::ifstream manifest(testing::bad_inputs_dir() / "manifest.tsv");
  std::string line;
  std::getline(manifest, line);  // header: file command expected
  while (std::getline(manifest, line)) {
    std::istringstream fields(line);
    BadInput row;
    if (std::getline(fields, row.file, '\t') && std::getline(fields, row.command, '\t') &&
        std::getline(fields, row.expected))
      rows.push_back(row);
  }
  return rows;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

class BadInputCorpus : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputCorpus, ExitsTwoWithAMessage) {
  const BadInput& row = GetParam();
  const fs::path file = testing::bad_inputs_dir() / "files" / row.file;
  ASSERT_TRUE(fs::exists(file)) << file;
  testing::TempDir tmp;
  std::string command = row.command;
  replace_all(command, "{file}", testing::quoted(file));
  replace_all(command, "{fixtures}", testing::fixtures_dir().string());
  replace_all(command, "{corpus}", (testing::bad_inputs_dir() / "files").string());
  replace_all(command, "{tmp}", tmp.path().string());
  const testing::CommandResult result = testing::run_gnnrt(command);
  EXPECT_EQ(result.exit_code, 2) << command << "\n" << result.output;
  // `build` prints its progress first; the error is one line of its own.
  EXPECT_NE(result.output.find("gnnrt: error: "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(row.expected), std::string::npos) << "'" << row.expected << "' not in: " << result.output;
  EXPECT_EQ(result.output.find("internal error"), std::string::npos) << result.output;
  // Nothing half-written: a failed build leaves no engine, a failed run no output.
  EXPECT_TRUE(fs::is_empty(tmp.path())) << "files were left in " << tmp.path();
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInputCorpus, ::testing::ValuesIn(read_manifest()),
                         [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.test_name(); });

// The corpus is what the hardening issue asked for: at least 50 distinct malformed files and
// tensors. An empty or lost manifest must fail, not pass with no cases.
TEST(BadInputCorpusSize, HasAtLeastFiftyCases) { EXPECT_GE(read_manifest().size(), 50u); }

}  // namespace
}  // namespace gnnrt

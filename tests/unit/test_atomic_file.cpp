#include "io/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "gnnrt/error.h"
#include "test_support.h"

namespace gnnrt::io {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public testing::TempFolderTest {
 protected:
  std::vector<std::string> folder_entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder())) names.push_back(entry.path().filename().string());
    return names;
  }
};

using testing::expect_error;
using testing::read_file;
using testing::write_file;

TEST_F(AtomicFileTest, WritesBytes) {
  const std::string content = std::string("abc\0def", 7);
  write_file_atomically(path("out.bin"), content.data(), content.size());
  EXPECT_EQ(read_file(path("out.bin")), content);
  EXPECT_EQ(folder_entries(), std::vector<std::string>{"out.bin"});  // no temporary left over
}

TEST_F(AtomicFileTest, WritesEmptyFile) {
  write_file_atomically(path("empty"), nullptr, 0);
  EXPECT_TRUE(fs::exists(path("empty")));
  EXPECT_EQ(fs::file_size(path("empty")), 0u);
}

TEST_F(AtomicFileTest, StreamsLargeAndSmallPiecesInOrder) {
  // Mixes small writes (buffered) with a block larger than the 64 KiB buffer (written directly).
  std::string big(200000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 23);
  write_file_atomically(path("mixed.txt"), [&](std::ostream& out) {
    out << "head:" << 42 << '\n';
    out.write(big.data(), static_cast<std::streamsize>(big.size()));
    out << "tail";
  });
  EXPECT_EQ(read_file(path("mixed.txt")), "head:42\n" + big + "tail");
}

TEST_F(AtomicFileTest, ReplacesExistingFile) {
  write_file(path("f.txt"), "old content that is longer");
  write_file_atomically(path("f.txt"), "new", 3);
  EXPECT_EQ(read_file(path("f.txt")), "new");
  EXPECT_EQ(folder_entries().size(), 1u);
}

TEST_F(AtomicFileTest, ThrowingWriterLeavesNoFile) {
  struct WriterFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  EXPECT_THROW(write_file_atomically(path("never.txt"),
                                     [](std::ostream& out) {
                                       out << std::string(100000, 'x');  // some of it reaches the disk
                                       throw WriterFailure("writer gave up");
                                     }),
               WriterFailure);
  EXPECT_TRUE(folder_entries().empty());
}

TEST_F(AtomicFileTest, ThrowingWriterKeepsOldFile) {
  write_file(path("keep.txt"), "precious");
  EXPECT_THROW(write_file_atomically(path("keep.txt"),
                                     [](std::ostream& out) {
                                       out << "partial";
                                       fail_input("bad tensor");
                                     }),
               Error);
  EXPECT_EQ(read_file(path("keep.txt")), "precious");
  EXPECT_EQ(folder_entries(), std::vector<std::string>{"keep.txt"});
}

TEST_F(AtomicFileTest, MissingFolderIsInputError) {
  const std::string target = path("no/such/folder/out.bin");
  expect_error(ErrorCode::InvalidInput, [&] { write_file_atomically(target, "x", 1); },
               {"cannot write '" + target + "'", "No such file or directory"});
}

TEST_F(AtomicFileTest, FolderAsTargetIsInputError) {
  fs::create_directories(folder() / "sub");
  expect_error(ErrorCode::InvalidInput, [&] { write_file_atomically(path("sub"), "x", 1); },
               {"cannot write '" + path("sub") + "'", "folder"});
  expect_error(ErrorCode::InvalidInput, [&] { write_file_atomically(path("sub") + "/", "x", 1); }, {"folder"});
  EXPECT_TRUE(fs::is_directory(folder() / "sub"));
  EXPECT_TRUE(fs::is_empty(folder() / "sub"));
  EXPECT_EQ(folder_entries(), std::vector<std::string>{"sub"});
}

TEST_F(AtomicFileTest, NewFileFollowsUmaskAndReplacementKeepsMode) {
  const mode_t mask = ::umask(022);
  write_file_atomically(path("new.txt"), "a", 1);
  struct stat info {};
  ASSERT_EQ(::stat(path("new.txt").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);  // 0666 & ~022, not mkstemp's 0600

  ASSERT_EQ(::chmod(path("new.txt").c_str(), 0640), 0);
  write_file_atomically(path("new.txt"), "b", 1);
  ASSERT_EQ(::stat(path("new.txt").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
  ::umask(mask);
}

TEST_F(AtomicFileTest, WriteErrorIsReportedAndLeavesNoFile) {
  // A file-size limit makes write() fail with EFBIG, standing in for a full disk.
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string big(100000, 'z');
  bool threw = false;
  try {
    write_file_atomically(path("too_big.bin"), big.data(), big.size());
  } catch (const Error& error) {
    threw = true;
    EXPECT_EQ(error.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(error.what()).find("File too large"), std::string::npos) << error.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(threw);
  EXPECT_TRUE(folder_entries().empty());
}

TEST_F(AtomicFileTest, RelativePathInCurrentFolder) {
  const fs::path previous = fs::current_path();
  fs::current_path(folder());
  write_file_atomically("plain_name.txt", "rel", 3);
  fs::current_path(previous);
  EXPECT_EQ(read_file(path("plain_name.txt")), "rel");
}

}  // namespace
}  // namespace gnnrt::io

#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <streambuf>
#include <vector>

#include "gnnrt/error.h"

namespace gnnrt::io {
namespace {

std::string errno_text(int error_number) { return std::strerror(error_number); }

// Writes all of [data, data + size) to fd; returns 0 or the errno of the failure.
int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
  return 0;
}

// A buffered streambuf over a file descriptor that remembers the first write error, so the
// caller can report errno ("No space left on device") instead of a bare failbit.
class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd) : fd_(fd), buffer_(kBufferBytes) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!flush_buffer()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }

  std::streamsize xsputn(const char* data, std::streamsize count) override {
    if (error_) return 0;
    // Large blocks (tensor data) skip the buffer.
    if (count >= static_cast<std::streamsize>(buffer_.size())) {
      if (!flush_buffer()) return 0;
      error_ = write_all(fd_, data, static_cast<size_t>(count));
      return error_ ? 0 : count;
    }
    return std::streambuf::xsputn(data, count);
  }

  int sync() override { return flush_buffer() ? 0 : -1; }

 private:
  static constexpr size_t kBufferBytes = 1 << 16;

  bool flush_buffer() {
    if (error_) return false;
    const size_t pending = static_cast<size_t>(pptr() - pbase());
    if (pending > 0) error_ = write_all(fd_, pbase(), pending);
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }

  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

// Owns the temporary file until commit(): on any early exit it is closed and removed.
class TemporaryFile {
 public:
  TemporaryFile(const std::string& target, const std::filesystem::path& folder,
                const std::string& base_name) {
    static std::atomic<uint64_t> counter{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
      // The pid and a process-wide counter make the name unique among concurrent writers;
      // O_EXCL makes a collision with a stale file a retry, never a shared file.
      const std::string name = cat(".", base_name, ".tmp.", ::getpid(), ".", counter.fetch_add(1));
      path_ = (folder / name).string();
      // Mode 0666 lets the umask decide the final permissions, as for any newly created file.
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0) return;
      if (errno != EEXIST) {
        const int error_number = errno;
        fail_input("cannot write '", target, "': cannot create a file in '", folder.string(),
                   "': ", errno_text(error_number));
      }
    }
    fail_internal("cannot write '", target, "': no free temporary file name in '", folder.string(), "'");
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes the descriptor; returns 0 or errno (close can report a delayed write error).
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result == 0 ? 0 : errno;
  }
  void mark_committed() { committed_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

// Makes the rename itself durable. Best effort: some file systems refuse fsync on a folder,
// and the replacement is atomic for readers either way.
void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::filesystem::path target(path);
  const std::string base_name = target.filename().string();
  if (base_name.empty() || base_name == "." || base_name == "..")
    fail_input("cannot write '", path, "': the path names a folder, not a file");
  std::filesystem::path folder = target.parent_path();
  if (folder.empty()) folder = ".";

  struct stat existing {};
  const bool target_exists = ::stat(path.c_str(), &existing) == 0;
  if (target_exists && S_ISDIR(existing.st_mode))
    fail_input("cannot write '", path, "': it is a folder");

  TemporaryFile temporary(path, folder, base_name);
  // Replacing a file keeps its permissions (a user who made it group-writable expects that to last).
  if (target_exists && S_ISREG(existing.st_mode)) ::fchmod(temporary.fd(), existing.st_mode & 07777);

  FdStreamBuf buffer(temporary.fd());
  std::ostream stream(&buffer);
  write(stream);  // an exception leaves through ~TemporaryFile, which removes the file
  stream.flush();
  if (buffer.error())
    fail_internal("cannot write '", path, "': ", errno_text(buffer.error()));
  if (!stream)
    fail_internal("cannot write '", path, "': the output stream failed");
  if (::fsync(temporary.fd()) != 0) {
    const int error_number = errno;
    fail_internal("cannot write '", path, "': fsync failed: ", errno_text(error_number));
  }
  if (const int error_number = temporary.close())
    fail_internal("cannot write '", path, "': ", errno_text(error_number));
  if (::rename(temporary.path().c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    fail_internal("cannot write '", path, "': renaming '", temporary.path(), "' over it failed: ",
                  errno_text(error_number));
  }
  temporary.mark_committed();
  sync_folder(folder);
}

void write_file_atomically(const std::string& path, const void* data, size_t size) {
  write_file_atomically(path, [&](std::ostream& out) {
    if (size > 0) out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  });
}

}  // namespace gnnrt::io

#include "io/npz.h"

#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <set>
#include <vector>

#include "io/atomic_file.h"

namespace gnnrt::io {
namespace {

constexpr std::string_view kMemberSuffix = ".npy";

struct ArchiveDiscarder {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
using ArchivePtr = std::unique_ptr<zip_t, ArchiveDiscarder>;

struct SourceFreer {
  void operator()(zip_source_t* source) const { zip_source_free(source); }
};
using SourcePtr = std::unique_ptr<zip_source_t, SourceFreer>;

struct MemberCloser {
  void operator()(zip_file_t* member) const { zip_fclose(member); }
};
using MemberPtr = std::unique_ptr<zip_file_t, MemberCloser>;

struct ZipError {
  zip_error_t error;
  ZipError() { zip_error_init(&error); }
  ~ZipError() { zip_error_fini(&error); }
  ZipError(const ZipError&) = delete;
  ZipError& operator=(const ZipError&) = delete;
  std::string text() { return zip_error_strerror(&error); }
};

// np.savez() with no arrays writes just this: an end-of-central-directory record for zero entries.
// libzip would delete an archive that ends up empty instead of writing one.
constexpr char kEmptyZip[22] = {'P', 'K', 5, 6};

// One member being written: the .npy header followed by the tensor's bytes, fed to libzip without
// first copying them into one buffer.
struct MemberSource {
  std::string header;
  const char* data = nullptr;
  uint64_t data_bytes = 0;
  uint64_t offset = 0;
  time_t mtime = 0;
  zip_error_t error;

  uint64_t total() const { return header.size() + data_bytes; }
};

zip_int64_t member_source_callback(void* state, void* data, zip_uint64_t length, zip_source_cmd_t command) {
  auto* member = static_cast<MemberSource*>(state);
  switch (command) {
    case ZIP_SOURCE_OPEN:
      member->offset = 0;
      return 0;
    case ZIP_SOURCE_READ: {
      char* out = static_cast<char*>(data);
      const uint64_t n = std::min<uint64_t>(length, member->total() - member->offset);
      uint64_t done = 0;
      if (member->offset < member->header.size()) {
        done = std::min<uint64_t>(n, member->header.size() - member->offset);
        std::memcpy(out, member->header.data() + member->offset, done);
      }
      if (done < n) std::memcpy(out + done, member->data + (member->offset + done - member->header.size()), n - done);
      member->offset += n;
      return static_cast<zip_int64_t>(n);
    }
    case ZIP_SOURCE_CLOSE: return 0;
    case ZIP_SOURCE_STAT: {
      auto* stat = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, length, &member->error);
      if (!stat) return -1;
      stat->size = member->total();
      stat->mtime = member->mtime;
      stat->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
      return sizeof(*stat);
    }
    case ZIP_SOURCE_ERROR: return zip_error_to_data(&member->error, data, length);
    case ZIP_SOURCE_FREE: return 0;
    case ZIP_SOURCE_SUPPORTS: return ZIP_SOURCE_SUPPORTS_READABLE;
    default:
      zip_error_set(&member->error, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

NamedTensors read_npz(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    const int error_number = errno;
    fail_input("cannot open '", path, "': ", std::strerror(error_number));
  }
  struct stat info {};
  if (::fstat(::fileno(file), &info) != 0 || S_ISDIR(info.st_mode) || (S_ISREG(info.st_mode) && info.st_size == 0)) {
    const int error_number = errno;
    std::fclose(file);
    if (S_ISDIR(info.st_mode)) fail_input("cannot open '", path, "': ", std::strerror(EISDIR));
    if (S_ISREG(info.st_mode)) fail_input("cannot read '", path, "': the file is empty (0 bytes), not an .npz archive");
    fail_internal("cannot read '", path, "': ", std::strerror(error_number));
  }

  ZipError error;
  // The source takes over the FILE and closes it when freed.
  SourcePtr source(zip_source_filep_create(file, 0, -1, &error.error));
  if (!source) {
    std::fclose(file);
    fail_internal("cannot read '", path, "': ", error.text());
  }
  ArchivePtr archive(zip_open_from_source(source.get(), ZIP_RDONLY, &error.error));
  if (!archive) fail_input("cannot read '", path, "' as an .npz (zip) archive: ", error.text());
  source.release();  // the archive owns it now

  const zip_int64_t entry_count = zip_get_num_entries(archive.get(), 0);
  if (entry_count < 0) fail_internal("cannot read '", path, "': ", zip_strerror(archive.get()));

  NamedTensors tensors;
  std::set<std::string> names;
  for (zip_int64_t index = 0; index < entry_count; ++index) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(index), 0, &stat) != 0 || !(stat.valid & ZIP_STAT_NAME))
      fail_input("cannot read '", path, "': the zip entry #", index, " is corrupt: ", zip_strerror(archive.get()));
    const std::string member_name = stat.name;
    if (!ends_with(member_name, kMemberSuffix) || member_name.size() == kMemberSuffix.size())
      fail_input("cannot read '", path, "': the member '", member_name,
                 "' is not a .npy file (an .npz holds only <name>.npy members)");
    std::string name = member_name.substr(0, member_name.size() - kMemberSuffix.size());
    if (!names.insert(name).second)
      fail_input("cannot read '", path, "': two members are named '", member_name, "'");

    const std::string what = cat(path, ":", name);
    MemberPtr member(zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(index), 0));
    if (!member)
      fail_input(what, ": cannot open the member '", member_name, "': ", zip_strerror(archive.get()));
    const ReadSome read_some = [&](void* buffer, size_t size) -> size_t {
      const zip_int64_t got = zip_fread(member.get(), buffer, size);
      if (got < 0) fail_input(what, ": the member '", member_name, "' is corrupt: ", zip_file_strerror(member.get()));
      return static_cast<size_t>(got);
    };
    std::optional<uint64_t> size;
    if (stat.valid & ZIP_STAT_SIZE) size = stat.size;
    Tensor tensor = read_npy_stream(read_some, size, what);
    if (const int close_error = zip_fclose(member.release())) {
      ZipError close_reason;
      zip_error_set(&close_reason.error, close_error, 0);
      fail_input(what, ": the member '", member_name, "' is corrupt: ", close_reason.text());
    }
    tensors.emplace_back(std::move(name), std::move(tensor));
  }
  return tensors;
}

void write_npz(const std::string& path, const NamedTensors& tensors, bool compress) {
  // Everything that can be the caller's fault is checked before libzip starts.
  std::deque<MemberSource> members;  // stable addresses: libzip reads them during zip_close
  std::set<std::string> names;
  const time_t now = std::time(nullptr);
  struct ErrorFinalizer {
    std::deque<MemberSource>& members;
    ~ErrorFinalizer() {
      for (auto& member : members) zip_error_fini(&member.error);
    }
  } finalize_errors{members};
  for (const auto& [name, tensor] : tensors) {
    if (name.empty()) fail_input("cannot write '", path, "': a tensor has an empty name");
    if (name.find('\0') != std::string::npos) fail_input("cannot write '", path, "': the tensor name '", name, "' contains a NUL byte");
    if (!names.insert(name).second) fail_input("cannot write '", path, "': two tensors are named '", name, "'");
    if (!tensor.defined()) fail_input("cannot write '", path, "': the tensor '", name, "' is undefined");
    MemberSource& member = members.emplace_back();
    zip_error_init(&member.error);
    member.header = npy_header(tensor);
    member.data = static_cast<const char*>(tensor.raw());
    member.data_bytes = tensor.nbytes();
    member.mtime = now;
  }

  if (tensors.empty()) {
    write_file_atomically(path, kEmptyZip, sizeof(kEmptyZip));
    return;
  }

  // Build the archive in memory, then hand the bytes to the atomic writer.
  ZipError error;
  SourcePtr buffer(zip_source_buffer_create(nullptr, 0, 0, &error.error));
  if (!buffer) fail_internal("cannot write '", path, "': ", error.text());
  ArchivePtr archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error.error));
  if (!archive) fail_internal("cannot write '", path, "': ", error.text());
  zip_source_keep(buffer.get());  // one reference for the archive, one for reading the result

  size_t position = 0;
  for (auto& member : members) {
    const std::string member_name = cat(tensors[position++].first, kMemberSuffix);
    SourcePtr source(zip_source_function(archive.get(), member_source_callback, &member));
    if (!source) fail_internal("cannot write '", path, "': ", zip_strerror(archive.get()));
    const zip_int64_t index = zip_file_add(archive.get(), member_name.c_str(), source.get(), ZIP_FL_ENC_UTF_8);
    if (index < 0) fail_internal("cannot write '", path, "': cannot add '", member_name, "': ", zip_strerror(archive.get()));
    source.release();  // the archive owns it now
    // Level 6 is zlib's default, as np.savez_compressed uses; libzip's default of 9 is much slower
    // on large float tensors for a few percent.
    if (zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                                 compress ? 6 : 0) != 0)
      fail_internal("cannot write '", path, "': ", zip_strerror(archive.get()));
  }
  if (zip_close(archive.get()) != 0)
    fail_internal("cannot write '", path, "': building the zip archive failed: ", zip_strerror(archive.get()));
  archive.release();  // zip_close freed it

  if (zip_source_open(buffer.get()) != 0)
    fail_internal("cannot write '", path, "': ", zip_error_strerror(zip_source_error(buffer.get())));
  write_file_atomically(path, [&](std::ostream& out) {
    std::vector<char> chunk(1 << 16);
    while (true) {
      const zip_int64_t got = zip_source_read(buffer.get(), chunk.data(), chunk.size());
      if (got < 0) fail_internal("cannot write '", path, "': ", zip_error_strerror(zip_source_error(buffer.get())));
      if (got == 0) break;
      out.write(chunk.data(), got);
    }
  });
  zip_source_close(buffer.get());
}

}  // namespace gnnrt::io

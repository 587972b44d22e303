#include "fuzz_support.h"

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt::fuzz {

const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/gnnrt-fuzz-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    // The path is copied into a buffer that outlives every static: the handler runs after the
    // string this function returns has been destroyed.
    static std::vector<char> to_remove;
    to_remove = buffer;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(to_remove.data(), ignored);
    });
    return std::string(buffer.data());
  }();
  return dir;
}

void write_scratch_file(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file || (size > 0 && std::fwrite(data, 1, size, file) != size) || std::fclose(file) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

uint32_t read_u32(const uint8_t* data) {
  return static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 | static_cast<uint32_t>(data[2]) << 16 |
         static_cast<uint32_t>(data[3]) << 24;
}

void limit_host_allocations() { set_host_allocation_limit(kMaxFuzzAllocation); }

uint16_t read_u16(const uint8_t* data) { return static_cast<uint16_t>(data[0] | data[1] << 8); }

}  // namespace gnnrt::fuzz

// Fuzz target: .npy and .npz parsing (src/io/npy.cpp, src/io/npz.cpp).
//
// Input: the bytes of one file. Bytes that start like a zip archive ("PK") are read as an .npz
// (through a file: libzip reads from it, as `gnnrt run --inputs` does); everything else is parsed
// as an .npy image. Whatever parses must survive a round trip: written back and read again, it is
// the same tensor, byte for byte.
#include <cstring>

#include "fuzz_support.h"
#include "io/npy.h"
#include "io/npz.h"

namespace {

using namespace gnnrt;

void expect_same(const Tensor& a, const Tensor& b, const char* what) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape() ||
      (a.nbytes() > 0 && std::memcmp(a.raw(), b.raw(), a.nbytes()) != 0)) {
    std::fprintf(stderr, "FINDING: %s round trip changed %s into %s\n", what, a.describe().c_str(),
                 b.describe().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gnnrt::fuzz::limit_host_allocations();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_only_user_errors([&] {
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
      const std::string path = fuzz::scratch_dir() + "/input.npz";
      fuzz::write_scratch_file(path, data, size);
      const io::NamedTensors tensors = io::read_npz(path);
      const std::string again = fuzz::scratch_dir() + "/again.npz";
      io::write_npz(again, tensors, /*compress=*/size % 2 == 0);
      const io::NamedTensors reread = io::read_npz(again);
      if (reread.size() != tensors.size()) std::abort();
      for (size_t i = 0; i < tensors.size(); ++i) {
        if (reread[i].first != tensors[i].first) std::abort();
        expect_same(tensors[i].second, reread[i].second, ".npz");
      }
    } else {
      const Tensor tensor = io::parse_npy(data, size, "fuzz.npy");
      const std::string bytes = io::serialize_npy(tensor);
      expect_same(tensor, io::parse_npy(bytes.data(), bytes.size(), "again.npy"), ".npy");
    }
  });
  return 0;
}

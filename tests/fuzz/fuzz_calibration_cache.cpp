// Fuzz target: the INT8 calibration cache reader (src/quantization/calibration_cache.cpp).
//
// Input: the bytes of one cache file. Whatever reads must survive a round trip: written back and
// read again, it is the same calibrator and the same scales, float for float.
#include "fuzz_support.h"
#include "quantization/calibration_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gnnrt;
  gnnrt::fuzz::expect_only_user_errors([&] {
    const std::string path = fuzz::scratch_dir() + "/input.cache";
    fuzz::write_scratch_file(path, data, size);
    const quantization::CalibrationTable table = quantization::read_calibration_cache(path);
    const std::string again = fuzz::scratch_dir() + "/again.cache";
    quantization::write_calibration_cache(again, table);
    const quantization::CalibrationTable reread = quantization::read_calibration_cache(again);
    if (reread.calibrator != table.calibrator || reread.scales != table.scales) {
      std::fprintf(stderr, "FINDING: the calibration cache changed in a round trip\n");
      std::abort();
    }
  });
  return 0;
}

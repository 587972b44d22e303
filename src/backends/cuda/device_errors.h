// Device-side reporting of bad user data. A kernel that finds an index out of range records the
// first such event here (atomically) and skips the access, instead of reading out of bounds or
// calling a device assert that would kill the process. The runtime reads the record once after
// a call and turns it into a clear error naming the node (by its site id) and the bad value.
#pragma once

#include <cstdint>

namespace gnnrt::cuda {

struct DeviceErrorRecord {
  int32_t code;   // 0: no error; else one of DeviceErrorCode
  int32_t site;   // which node (index in the executed graph)
  int64_t value;  // the offending value (e.g. the index)
  int64_t bound;  // the valid range's size it was checked against
};

enum DeviceErrorCode : int32_t {
  kNoDeviceError = 0,
  kIndexOutOfRange = 1,
  kDivisionByZero = 2,
};

// What a kernel that checks user data is given to record an error into: the record and the site
// id of the node it runs for.
struct DeviceErrorSink {
  DeviceErrorRecord* record = nullptr;
  int32_t site = 0;
};

#ifdef __CUDACC__
// Records the first error only; later ones are dropped.
__device__ inline void report_device_error(DeviceErrorRecord* record, int32_t code, int32_t site, int64_t value,
                                           int64_t bound) {
  if (record && atomicCAS(&record->code, 0, code) == 0) {
    record->site = site;
    record->value = value;
    record->bound = bound;
  }
}
#endif

}  // namespace gnnrt::cuda

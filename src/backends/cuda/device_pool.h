// A caching pool of device memory for one stream: freed blocks go back to size-class bins and are
// reused by later allocations, so steady-state calls make no cudaMalloc/cudaFree (cudaFree would
// also synchronise the whole device). Reuse is safe because every user of a block runs on the
// pool's one stream, in order.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt::cuda {

class DevicePool : public std::enable_shared_from_this<DevicePool> {
 public:
  static std::shared_ptr<DevicePool> create();
  ~DevicePool();

  // An uninitialised device tensor; its storage returns to the pool when the last Tensor sharing it goes.
  Tensor allocate(DType dtype, Dims shape);

  size_t bytes_reserved() const { return reserved_; }  // held from the driver, in use or cached
  size_t peak_bytes_in_use() const { return peak_in_use_; }
  size_t bytes_in_use() const { return in_use_; }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    peak_in_use_ = in_use_;
  }
  void release_cached();  // gives cached (unused) blocks back to the driver

  // While holding (a CUDA graph being recorded), every block handed out is also kept here, so
  // that none is reused by other work while the recording that wrote it may be replayed.
  void begin_hold();
  std::vector<Tensor> end_hold();

 private:
  DevicePool() = default;
  void give_back(void* pointer, size_t size_class);

  std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_blocks_;  // size class -> blocks
  size_t reserved_ = 0, in_use_ = 0, peak_in_use_ = 0;
  bool holding_ = false;
  std::vector<Tensor> held_;
};

}  // namespace gnnrt::cuda

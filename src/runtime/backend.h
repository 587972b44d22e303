// A device backend as the executor sees it. The CPU reference kernels always run in the executor
// itself; a device backend (CUDA) takes the nodes it wants and keeps their values on the device.
// Small shape computations (Shape, Size and integer arithmetic on their results) stay on the host,
// as TensorRT keeps "shape tensors" on the host.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gnnrt/error.h"
#include "gnnrt/tensor.h"
#include "ir/graph.h"

namespace gnnrt::runtime {

// A recorded sequence of device work (a CUDA graph) that can be launched again as one unit. It
// holds every device buffer the recording wrote or read on its own behalf, so none of them is
// handed to anyone else while it lives.
class CapturedCall {
 public:
  virtual ~CapturedCall() = default;
  virtual void launch() = 0;  // queued on the backend's stream, as the recorded work was
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  virtual std::string name() const = 0;  // "cuda"
  // Called once per graph before it runs: the backend may upload the graph's weights once and
  // recognise them later (initializers never change).
  virtual void prepare(const ir::Graph& graph) = 0;
  // Whether this backend runs the node, given where its inputs are now (nullptr: omitted input).
  virtual bool takes(const ir::Node& node, const std::vector<const Tensor*>& inputs) const = 0;
  // Runs the node; host inputs are uploaded as needed (initializers once, then cached).
  // `site` identifies the node in errors reported later by finish().
  virtual std::vector<Tensor> run(const ir::Node& node, const std::vector<const Tensor*>& inputs, int32_t site) = 0;
  // A host copy of a device tensor (synchronises); host tensors are returned as they are.
  virtual Tensor to_host(const Tensor& tensor) = 0;
  // Waits for all work and returns the first device-side error (bad index...), if any:
  // site < 0 when there was none, and whether a comparison queued by queue_bytes_compare found a
  // difference. Clears both for the next call.
  struct DeviceError {
    int32_t site = -1;
    std::string message;
    bool compared_unequal = false;
  };
  virtual DeviceError finish() = 0;
  // A new device tensor holding `host`'s data (for inputs a caller keeps on the device), and a new
  // device copy of a device tensor; both allocated from this backend's memory and ordered on its stream.
  // The defaults serve backends whose "device" memory is host memory.
  virtual Tensor to_device(const Tensor& host) { return host.clone(); }
  virtual Tensor copy_on_device(const Tensor& tensor) { return to_host(tensor).clone(); }
  // Whether two device tensors hold the same bytes (synchronises).
  virtual bool bytes_equal(const Tensor& a, const Tensor& b);
  // Queues the same comparison without waiting: the next finish() reports whether any queued one
  // found a difference. The structure cache checks the graph this way while the call that assumes
  // a hit is already queued, so that a hit waits for the device once, not twice. False when this
  // backend cannot queue one (then use bytes_equal).
  virtual bool queue_bytes_compare(const Tensor& a, const Tensor& b) {
    (void)a, (void)b;
    return false;
  }
  // Device memory this backend holds for weights, caches and intermediates: peak since the last
  // reset_peak_memory(), and now. Inputs the caller allocated itself are not counted.
  struct MemoryStats {
    size_t peak_bytes = 0;
    size_t in_use_bytes = 0;
  };
  virtual MemoryStats memory_stats() const { return {}; }
  virtual void reset_peak_memory() {}
  // How long `work` (calls that use this backend) takes, in milliseconds, as the device sees it:
  // the CUDA backend records events on its stream around `work` and waits for the second, so the
  // figure covers every copy and kernel `work` queued plus any host time between them. This
  // default, for backends without their own timer, is the host's steady clock around `work`.
  // Recording (CUDA graphs): between begin_capture() and end_capture(), work handed to this
  // backend is recorded, not run; a host read of a device value fails. end_capture() returns
  // the recording, or nullptr with the reason in `why_not` (it also ends a capture that failed).
  virtual bool supports_capture() const { return false; }
  virtual void begin_capture() { fail_internal(name(), " backend cannot record calls"); }
  virtual std::unique_ptr<CapturedCall> end_capture(std::string& why_not) {
    why_not = name() + " backend cannot record calls";
    return nullptr;
  }
  // Copies a host tensor into an existing device tensor of the same dtype and shape (stream-ordered).
  virtual void copy_into(const Tensor& host, Tensor& device) { (void)host, (void)device; fail_internal("copy_into"); }
  // Orders the work handed to this backend from now on after the work already queued on the
  // caller's `stream` (a cudaStream_t; nullptr is the legacy default stream):
  // ExecutionContext::set_stream. Backends without streams have nothing to order.
  virtual void wait_for_stream(void* stream) { (void)stream; }
  virtual double time_call_ms(const std::function<void()>& work) {
    const auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
};

// "cpu" gives nullptr (the executor's own CPU kernels); "cuda" a CUDA backend on the current
// device, or an InvalidInput error when this build has no CUDA or the machine no usable GPU.
std::unique_ptr<DeviceBackend> create_device_backend(const std::string& device);
// Whether `create_device_backend("cuda")` would succeed.
bool cuda_usable();

struct DeviceInfo {
  int compute_capability = 0;  // 90 for sm_90
  std::string name;
  size_t memory_bytes = 0;     // global memory, all of it
};
// The current CUDA device; InvalidInput when there is none (or no CUDA in this build).
DeviceInfo cuda_device_info();

}  // namespace gnnrt::runtime

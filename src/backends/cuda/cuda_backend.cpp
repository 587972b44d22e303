#include "backends/cuda/cuda_backend.h"

#include <cstddef>
#include <cstring>
#include <functional>
#include <unordered_map>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/device_memory.h"
#include "backends/cuda/device_pool.h"
#include "backends/cuda/pinned_staging.h"
#include "backends/cuda/launch/compare.cuh"

namespace gnnrt::cuda {
namespace {

// Host values up to this many elements stay on the host when all of a node's inputs are there:
// shape arithmetic (Shape -> Gather -> Concat -> Reshape) is cheaper on the CPU than a launch.
constexpr int64_t kHostElementLimit = 1024;

// Elements an op creates from small host inputs (ConstantOfShape of [N, F], Range(0, N)); -1
// when the op does not create data from shape values.
int64_t created_elements(const ir::Node& node, const std::vector<const Tensor*>& inputs) {
  auto host_values = [&](size_t index) -> std::vector<int64_t> {
    if (index >= inputs.size() || !inputs[index] || !inputs[index]->on_host() || !is_integer(inputs[index]->dtype()))
      return {};
    return inputs[index]->to_int_vector();
  };
  auto product = [](const std::vector<int64_t>& values) {
    int64_t count = 1;
    for (int64_t v : values) count *= std::max<int64_t>(v, 0);
    return count;
  };
  if (node.op_type == "ConstantOfShape") return product(host_values(0));
  if (node.op_type == "Expand") return std::max(product(host_values(1)), inputs[0] ? inputs[0]->numel() : 0);
  if (node.op_type == "Tile") return (inputs[0] ? inputs[0]->numel() : 0) * product(host_values(1));
  if (node.op_type == "Range" && inputs.size() == 3 && inputs[0] && inputs[1] && inputs[2] && inputs[0]->on_host() &&
      inputs[1]->on_host() && inputs[2]->on_host()) {
    const double start = inputs[0]->scalar_as_double(), limit = inputs[1]->scalar_as_double(),
                 delta = inputs[2]->scalar_as_double();
    return delta == 0 ? 0 : std::max<int64_t>(0, static_cast<int64_t>((limit - start) / delta) + 1);
  }
  return -1;
}

// Inputs that are shape arguments (Reshape's shape, Slice's starts/ends/axes/steps, ...): the
// kernels read them on the host, so host values stay there instead of a round trip.
bool is_host_argument(const std::string& op, size_t input) {
  if (op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" || op == "Split" || op == "Expand" || op == "Tile")
    return input == 1;
  if (op == "Slice") return input >= 1 && input <= 4;
  if (op == "Pad") return input >= 1 && input <= 3;
  if (op == "Dropout") return input == 1 || input == 2;
  if (op == "ConstantOfShape") return input == 0;
  if (op == "Range") return input <= 2;
  return false;
}

// A CUDA graph instantiated from one recorded call, with the device buffers the recording uses
// and the host tensors its uploads read from (both must outlive every launch).
class CudaCapturedCall final : public runtime::CapturedCall {
 public:
  CudaCapturedCall(cudaGraphExec_t exec, cudaStream_t stream, std::vector<Tensor> held)
      : exec_(exec), stream_(stream), held_(std::move(held)) {}
  ~CudaCapturedCall() override {
    cudaStreamSynchronize(stream_);  // a launch may still be reading held buffers
    cudaGraphExecDestroy(exec_);
  }
  void launch() override { GNNRT_CUDA_CHECK(cudaGraphLaunch(exec_, stream_)); }

 private:
  cudaGraphExec_t exec_;
  cudaStream_t stream_;
  std::vector<Tensor> held_;
};

class CudaBackend final : public runtime::DeviceBackend {
 public:
  CudaBackend() : pool_(DevicePool::create()) {
    GNNRT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    GNNRT_CUBLAS_CHECK(cublasCreate(&cublas_));
    GNNRT_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    GNNRT_CUBLAS_CHECK(cublasLtCreate(&cublaslt_));
    GNNRT_CUDA_CHECK(cudaMalloc(&scratch_, sizeof(DeviceScratch)));
    GNNRT_CUDA_CHECK(cudaMallocHost(&scratch_readback_, sizeof(DeviceScratch)));
    GNNRT_CUDA_CHECK(cudaMemsetAsync(scratch_, 0, sizeof(DeviceScratch), stream_));
  }

  ~CudaBackend() override {
    cudaStreamSynchronize(stream_);
    weights_.clear();
    cudaFree(scratch_);
    cudaFreeHost(scratch_readback_);
    if (stream_ready_) cudaEventDestroy(stream_ready_);
    cublasLtDestroy(cublaslt_);
    cublasDestroy(cublas_);
    cudaStreamDestroy(stream_);
  }

  std::string name() const override { return "cuda"; }

  void prepare(const ir::Graph& graph) override {
    for (const auto& [name, tensor] : graph.initializers) weight_storage_.emplace(tensor.raw(), tensor);
    for (const ir::Node& node : graph.nodes)
      for (const auto& [key, attribute] : node.attributes)
        if (attribute.kind == ir::Attribute::Kind::Graph && attribute.g) prepare(*attribute.g);
  }

  bool takes(const ir::Node& node, const std::vector<const Tensor*>& inputs) const override {
    if (node.op_type == "Shape" || node.op_type == "Size" || node.op_type == "If") return false;
    std::vector<DType> dtypes;
    bool any_on_device = false;
    int64_t host_elements = 0;
    for (const Tensor* input : inputs) {
      dtypes.push_back(input ? input->dtype() : DType::Undefined);
      if (!input) continue;
      if (input->on_host()) host_elements = std::max(host_elements, input->numel());
      else any_on_device = true;
    }
    if (!cuda_kernel_registry().supports(node, dtypes)) return false;
    if (any_on_device) return true;
    return host_elements > kHostElementLimit || created_elements(node, inputs) > kHostElementLimit;
  }

  std::vector<Tensor> run(const ir::Node& node, const std::vector<const Tensor*>& inputs, int32_t site) override {
    std::vector<Tensor> device_inputs(inputs.size());
    KernelInputs kernel_inputs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor* input = inputs[i];
      if (!input) {
        kernel_inputs.push_back(nullptr);
        continue;
      }
      device_inputs[i] = input->on_host() && !is_host_argument(node.op_type, i) ? upload(*input) : *input;
      kernel_inputs.push_back(&device_inputs[i]);
    }
    CudaKernelContext context;
    context.stream = stream_;
    context.cublas = cublas_;
    context.cublaslt = cublaslt_;
    context.errors = &scratch_->record;
    context.site = site;
    context.allocate = [this](DType dtype, Dims shape) { return pool_->allocate(dtype, std::move(shape)); };
    context.to_host = [this](const Tensor& tensor) { return to_host(tensor); };
    return cuda_kernel_registry().find(node.op_type)->run(node, kernel_inputs, context);
  }

  Tensor to_host(const Tensor& tensor) override {
    if (tensor.on_host()) return tensor;
    if (capturing_) fail_internal("a host read of a device value, which a CUDA graph cannot record");
    void* piece = staging_.take(tensor.nbytes(), stream_);
    if (!piece) return copy_to_host(tensor, stream_);
    GNNRT_CUDA_CHECK(cudaMemcpyAsync(piece, tensor.raw(), tensor.nbytes(), cudaMemcpyDeviceToHost, stream_));
    GNNRT_CUDA_CHECK(cudaStreamSynchronize(stream_));
    staging_.rewind();
    Tensor host(tensor.dtype(), tensor.shape());
    std::memcpy(host.raw(), piece, tensor.nbytes());
    return host;
  }

  bool supports_capture() const override { return true; }

  void begin_capture() override {
    GNNRT_CHECK(!capturing_, "a CUDA graph capture inside another");
    // Relaxed: the pool may still call cudaMalloc for a block it has not cached yet. Started
    // before the pool holds anything, so that a failure here leaves the pool as it was.
    GNNRT_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed));
    pool_->begin_hold();
    held_host_.clear();
    capturing_ = true;
  }

  std::unique_ptr<runtime::CapturedCall> end_capture(std::string& why_not) override {
    GNNRT_CHECK(capturing_, "end_capture without begin_capture");
    capturing_ = false;
    std::vector<Tensor> held = pool_->end_hold();
    for (Tensor& host : held_host_) held.push_back(std::move(host));
    held_host_.clear();
    cudaGraph_t graph = nullptr;
    cudaError_t status = cudaStreamEndCapture(stream_, &graph);
    cudaGraphExec_t exec = nullptr;
    if (status == cudaSuccess && graph) status = cudaGraphInstantiate(&exec, graph, 0);
    if (graph) cudaGraphDestroy(graph);
    if (status != cudaSuccess || !exec) {
      cudaGetLastError();  // capture errors are not sticky: clear the last-error slot
      why_not = cat("the CUDA graph could not be recorded: ",
                    status == cudaSuccess ? "nothing was captured" : cudaGetErrorString(status));
      return nullptr;
    }
    return std::make_unique<CudaCapturedCall>(exec, stream_, std::move(held));
  }

  void copy_into(const Tensor& host, Tensor& device) override {
    GNNRT_CHECK(host.on_host() && !device.on_host() && host.dtype() == device.dtype() && host.shape() == device.shape(),
                "copy_into between tensors that differ");
    upload_into(device.raw(), host);
  }

  Tensor to_device(const Tensor& host) override {
    GNNRT_CHECK(host.on_host(), "to_device: the tensor is already on the device");
    Tensor device = copy(host);
    GNNRT_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the caller may free `host` at once
    staging_.rewind();
    return device;
  }

  Tensor copy_on_device(const Tensor& tensor) override {
    Tensor copy = pool_->allocate(tensor.dtype(), tensor.shape());
    if (tensor.nbytes())
      GNNRT_CUDA_CHECK(cudaMemcpyAsync(copy.raw(), tensor.raw(), tensor.nbytes(), cudaMemcpyDeviceToDevice, stream_));
    return copy;
  }

  bool bytes_equal(const Tensor& a, const Tensor& b) override {
    if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
    if (a.nbytes() == 0) return true;
    GNNRT_CUDA_CHECK(cudaMemsetAsync(&scratch_->compare_flag, 0, sizeof(int32_t), stream_));
    launch_bytes_differ(a.raw(), b.raw(), a.nbytes(), &scratch_->compare_flag, stream_);
    GNNRT_CUDA_CHECK(cudaMemcpyAsync(&scratch_readback_->compare_flag, &scratch_->compare_flag, sizeof(int32_t),
                                     cudaMemcpyDeviceToHost, stream_));
    GNNRT_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return scratch_readback_->compare_flag == 0;
  }

  bool queue_bytes_compare(const Tensor& a, const Tensor& b) override {
    // Host tensors, or a pair that differs in kind, are compared at once by the caller.
    if (a.dtype() != b.dtype() || a.shape() != b.shape() || a.on_host() || b.on_host()) return false;
    launch_bytes_differ(a.raw(), b.raw(), a.nbytes(), &scratch_->queued_compare_flag, stream_);
    return true;
  }

  void wait_for_stream(void* stream) override {
    // An event recorded on the caller's stream, waited for on ours: no host synchronisation.
    if (stream == stream_) return;
    if (!stream_ready_) GNNRT_CUDA_CHECK(cudaEventCreateWithFlags(&stream_ready_, cudaEventDisableTiming));
    GNNRT_CUDA_CHECK(cudaEventRecord(stream_ready_, static_cast<cudaStream_t>(stream)));
    GNNRT_CUDA_CHECK(cudaStreamWaitEvent(stream_, stream_ready_, 0));
  }

  MemoryStats memory_stats() const override { return {pool_->peak_bytes_in_use(), pool_->bytes_in_use()}; }
  void reset_peak_memory() override { pool_->reset_peak(); }

  double time_call_ms(const std::function<void()>& work) override {
    // Events are made per measurement: timing is for benchmarks, never on the hot path.
    struct Event {
      cudaEvent_t event = nullptr;
      Event() { GNNRT_CUDA_CHECK(cudaEventCreate(&event)); }
      ~Event() { cudaEventDestroy(event); }
    };
    const Event start, stop;
    GNNRT_CUDA_CHECK(cudaEventRecord(start.event, stream_));
    work();
    GNNRT_CUDA_CHECK(cudaEventRecord(stop.event, stream_));
    GNNRT_CUDA_CHECK(cudaEventSynchronize(stop.event));
    float milliseconds = 0.0f;
    GNNRT_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start.event, stop.event));
    return milliseconds;
  }

  DeviceError finish() override {
    // One wait: the error record and the queued comparisons' flag come back with it.
    GNNRT_CUDA_CHECK(
        cudaMemcpyAsync(scratch_readback_, scratch_, sizeof(DeviceScratch), cudaMemcpyDeviceToHost, stream_));
    GNNRT_CUDA_CHECK(cudaStreamSynchronize(stream_));
    staging_.rewind();
    const DeviceErrorRecord record = scratch_readback_->record;
    DeviceError error;
    error.compared_unequal = scratch_readback_->queued_compare_flag != 0;
    if (record.code == kNoDeviceError && !error.compared_unequal) return error;
    // Cleared in stream order: the next call's kernels come after.
    GNNRT_CUDA_CHECK(cudaMemsetAsync(scratch_, 0, offsetof(DeviceScratch, compare_flag), stream_));
    if (record.code == kNoDeviceError) return error;
    error.site = record.site;
    if (record.code == kIndexOutOfRange)
      error.message = cat("index ", record.value, " is out of range: valid indices are in [-", record.bound, ", ",
                          record.bound, ") for a dimension of size ", record.bound,
                          " (an input refers to a node or row that does not exist)");
    else if (record.code == kDivisionByZero)
      error.message = "integer division by zero";
    else
      error.message = cat("device error code ", record.code, " with value ", record.value);
    return error;
  }

 private:
  Tensor upload(const Tensor& host) {
    auto weight = weight_storage_.find(host.raw());
    if (weight != weight_storage_.end() && host.raw() != nullptr) {
      auto cached = weights_.find(host.raw());
      if (cached != weights_.end()) return cached->second;
      Tensor device = copy(host);
      weights_.emplace(host.raw(), device);
      return device;
    }
    return copy(host);
  }

  Tensor copy(const Tensor& host) {
    Tensor device = pool_->allocate(host.dtype(), host.shape());
    if (capturing_) {
      held_host_.push_back(host);  // the recorded copy reads it at every launch
      if (host.nbytes())
        GNNRT_CUDA_CHECK(cudaMemcpyAsync(device.raw(), host.raw(), host.nbytes(), cudaMemcpyHostToDevice, stream_));
      return device;
    }
    upload_into(device.raw(), host);
    return device;
  }

  // Queues host -> device through a pinned piece when one is free (an asynchronous DMA), else
  // from the host tensor itself. Either way `host` may be freed once this returns.
  void upload_into(void* device, const Tensor& host) {
    if (host.nbytes() == 0) return;
    void* piece = staging_.take(host.nbytes(), stream_);
    if (piece) std::memcpy(piece, host.raw(), host.nbytes());
    GNNRT_CUDA_CHECK(
        cudaMemcpyAsync(device, piece ? piece : host.raw(), host.nbytes(), cudaMemcpyHostToDevice, stream_));
  }

  std::shared_ptr<DevicePool> pool_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cublasLtHandle_t cublaslt_ = nullptr;
  // Small device words the backend reads back: the error record, the flag of queued comparisons
  // (both cleared by finish(), which reads them) and bytes_equal's own flag.
  struct DeviceScratch {
    DeviceErrorRecord record;
    int32_t queued_compare_flag;
    int32_t compare_flag;
  };
  DeviceScratch* scratch_ = nullptr;
  DeviceScratch* scratch_readback_ = nullptr;  // pinned: finish() copies the scratch here asynchronously
  bool capturing_ = false;
  PinnedStaging staging_;  // host <-> device copies outside a recording
  cudaEvent_t stream_ready_ = nullptr;  // wait_for_stream's event, made on first use
  std::vector<Tensor> held_host_;  // host tensors uploaded while recording
  std::unordered_map<const void*, Tensor> weight_storage_;  // host storage of initializers (kept alive)
  std::unordered_map<const void*, Tensor> weights_;         // their device copies
};

}  // namespace

std::unique_ptr<runtime::DeviceBackend> create_cuda_backend() { return std::make_unique<CudaBackend>(); }

}  // namespace gnnrt::cuda

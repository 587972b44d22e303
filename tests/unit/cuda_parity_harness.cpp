#ifdef GNNRT_WITH_CUDA

#include "cuda_parity_harness.h"

#include <cstring>
#include <memory>
#include <type_traits>

#include "backends/cpu/kernel_registry.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda/device_memory.h"
#include "core/dispatch.h"
#include "runtime/output_comparison.h"

namespace gnnrt::testing {
namespace {

constexpr size_t kGuardBytes = 256;
constexpr unsigned char kGuardByte = 0xA7;

// Device allocations with guard bytes before and after, checked after the kernel ran.
struct GuardedAllocation {
  std::shared_ptr<void> block;
  size_t bytes;
};

struct GuardedAllocator {
  std::vector<GuardedAllocation> allocations;

  Tensor allocate(DType dtype, Dims shape) {
    const size_t bytes = static_cast<size_t>(element_count(shape)) * dtype_size(dtype);
    void* raw = nullptr;
    GNNRT_CUDA_CHECK(cudaMalloc(&raw, bytes + 2 * kGuardBytes));
    GNNRT_CUDA_CHECK(cudaMemset(raw, kGuardByte, bytes + 2 * kGuardBytes));
    std::shared_ptr<void> block(raw, [](void* p) { cudaFree(p); });
    allocations.push_back({block, bytes});
    return Tensor::view(dtype, std::move(shape), block, static_cast<char*>(raw) + kGuardBytes, Device::Cuda);
  }

  void check_guards(const std::string& what) const {
    for (const GuardedAllocation& allocation : allocations) {
      std::vector<unsigned char> host(allocation.bytes + 2 * kGuardBytes);
      GNNRT_CUDA_CHECK(cudaMemcpy(host.data(), allocation.block.get(), host.size(), cudaMemcpyDeviceToHost));
      for (size_t i = 0; i < kGuardBytes; ++i) {
        ASSERT_EQ(host[i], kGuardByte) << what << ": wrote before its output, " << (kGuardBytes - i) << " bytes";
        ASSERT_EQ(host[kGuardBytes + allocation.bytes + i], kGuardByte)
            << what << ": wrote past its output of " << allocation.bytes << " bytes, at +" << i;
      }
    }
  }
};

struct CudaResources {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cuda::DeviceErrorRecord* errors = nullptr;
  CudaResources() {
    GNNRT_CUDA_CHECK(cudaStreamCreate(&stream));
    GNNRT_CUBLAS_CHECK(cublasCreate(&cublas));
    GNNRT_CUBLAS_CHECK(cublasSetStream(cublas, stream));
    GNNRT_CUDA_CHECK(cudaMalloc(&errors, sizeof(cuda::DeviceErrorRecord)));
  }
  ~CudaResources() {
    cudaFree(errors);
    cublasDestroy(cublas);
    cudaStreamDestroy(stream);
  }
};

}  // namespace

bool gpu_available() { return cuda::cuda_device_available(); }

ParityResult check_parity(const ir::Node& node, const std::vector<Tensor>& inputs, ParityTolerance tolerance) {
  ParityResult result;
  cpu::KernelInputs cpu_inputs;
  std::vector<DType> dtypes;
  for (const Tensor& t : inputs) {
    cpu_inputs.push_back(t.defined() ? &t : nullptr);
    dtypes.push_back(t.dtype());
  }
  const cpu::KernelFn* cpu_kernel = cpu::kernel_registry().find(node.op_type);
  if (!cpu_kernel) {
    ADD_FAILURE() << "no CPU kernel for " << node.op_type;
    return result;
  }
  cpu::KernelContext cpu_context;
  result.cpu_outputs = (*cpu_kernel)(node, cpu_inputs, cpu_context);

  const cuda::CudaKernelRegistry& registry = cuda::cuda_kernel_registry();
  if (!registry.supports(node, dtypes)) return result;
  result.ran_on_cuda = true;

  static CudaResources resources;
  GuardedAllocator allocator;
  std::vector<Tensor> device_inputs;
  for (const Tensor& t : inputs) {
    if (!t.defined()) {
      device_inputs.emplace_back();
      continue;
    }
    Tensor d = allocator.allocate(t.dtype(), t.shape());
    if (t.nbytes()) GNNRT_CUDA_CHECK(cudaMemcpy(d.raw(), t.raw(), t.nbytes(), cudaMemcpyHostToDevice));
    device_inputs.push_back(d);
  }
  cuda::KernelInputs cuda_inputs;
  for (const Tensor& t : device_inputs) cuda_inputs.push_back(t.defined() ? &t : nullptr);
  GNNRT_CUDA_CHECK(cudaMemset(resources.errors, 0, sizeof(cuda::DeviceErrorRecord)));
  cuda::CudaKernelContext context;
  context.stream = resources.stream;
  context.cublas = resources.cublas;
  context.errors = resources.errors;
  context.allocate = [&allocator](DType dtype, Dims shape) { return allocator.allocate(dtype, std::move(shape)); };
  context.to_host = [](const Tensor& device) { return cuda::copy_to_host(device, resources.stream); };
  std::vector<Tensor> cuda_outputs = registry.find(node.op_type)->run(node, cuda_inputs, context);
  GNNRT_CUDA_CHECK(cudaStreamSynchronize(resources.stream));
  cuda::DeviceErrorRecord record{};
  GNNRT_CUDA_CHECK(cudaMemcpy(&record, resources.errors, sizeof(record), cudaMemcpyDeviceToHost));
  EXPECT_EQ(record.code, 0) << node.op_type << " reported a device error for value " << record.value;
  allocator.check_guards(node.op_type);

  EXPECT_EQ(cuda_outputs.size(), result.cpu_outputs.size()) << node.op_type;
  for (size_t i = 0; i < cuda_outputs.size() && i < result.cpu_outputs.size(); ++i) {
    if (!result.cpu_outputs[i].defined()) continue;
    Tensor host = cuda_outputs[i].on_host() ? cuda_outputs[i] : cuda::copy_to_host(cuda_outputs[i], resources.stream);
    result.cuda_outputs.push_back(host);
    EXPECT_EQ(host.dtype(), result.cpu_outputs[i].dtype()) << node.op_type << " output " << i;
    const runtime::ComparisonResult comparison = runtime::compare_tensors(
        node.op_type + " output " + std::to_string(i), host, result.cpu_outputs[i],
        runtime::Tolerance{tolerance.atol, tolerance.rtol});
    EXPECT_TRUE(comparison.passed) << comparison.summary() << " first mismatch at " << comparison.first_mismatch;
  }
  return result;
}

ParityResult expect_cuda_parity(const ir::Node& node, const std::vector<Tensor>& inputs, ParityTolerance tolerance) {
  ParityResult result = check_parity(node, inputs, tolerance);
  EXPECT_TRUE(result.ran_on_cuda) << node.op_type << " was not taken by the CUDA backend";
  return result;
}

DirectRun run_cuda_only(const ir::Node& node, const std::vector<Tensor>& inputs, int32_t site) {
  cudaStream_t stream = nullptr;
  GNNRT_CUDA_CHECK(cudaStreamCreate(&stream));
  DirectRun run;
  try {
    Tensor record =
        cuda::allocate_device_tensor(DType::UInt8, {static_cast<int64_t>(sizeof(cuda::DeviceErrorRecord))});
    GNNRT_CUDA_CHECK(cudaMemsetAsync(record.raw(), 0, record.nbytes(), stream));
    cuda::KernelInputs kernel_inputs;
    for (const Tensor& t : inputs)
      run.device_inputs.push_back(t.defined() ? cuda::copy_to_device(t, stream) : Tensor());
    for (const Tensor& t : run.device_inputs) kernel_inputs.push_back(t.defined() ? &t : nullptr);
    cuda::CudaKernelContext context;
    context.stream = stream;
    context.errors = static_cast<cuda::DeviceErrorRecord*>(record.raw());
    context.site = site;
    context.allocate = [](DType dtype, Dims shape) { return cuda::allocate_device_tensor(dtype, std::move(shape)); };
    context.to_host = [stream](const Tensor& t) { return cuda::copy_to_host(t, stream); };
    run.device_outputs = cuda::cuda_kernel_registry().find(node.op_type)->run(node, kernel_inputs, context);
    for (const Tensor& output : run.device_outputs) run.outputs.push_back(cuda::copy_to_host(output, stream));
    GNNRT_CUDA_CHECK(cudaStreamSynchronize(stream));
    GNNRT_CUDA_CHECK(cudaMemcpy(&run.record, record.raw(), sizeof(run.record), cudaMemcpyDeviceToHost));
  } catch (...) {
    cudaStreamSynchronize(stream);
    cudaStreamDestroy(stream);
    throw;
  }
  GNNRT_CUDA_CHECK(cudaStreamDestroy(stream));
  return run;
}

Tensor random_tensor(DType dtype, Dims shape, std::mt19937& rng, double low, double high) {
  Tensor t(dtype == DType::Float16 ? DType::Float32 : dtype, std::move(shape));
  dispatch_all(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* data = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        data[i] = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
      } else if constexpr (std::is_integral_v<T>) {
        data[i] = static_cast<T>(std::uniform_int_distribution<int64_t>(static_cast<int64_t>(low),
                                                                         static_cast<int64_t>(high))(rng));
      } else if constexpr (std::is_floating_point_v<T>) {
        data[i] = static_cast<T>(std::uniform_real_distribution<double>(low, high)(rng));
      }
    }
  });
  return dtype == DType::Float16 ? cast_tensor(t, DType::Float16) : t;
}

Tensor random_floats(Dims shape, std::mt19937& rng, float low, float high) {
  Tensor t(DType::Float32, std::move(shape));
  std::uniform_real_distribution<float> dist(low, high);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

Tensor random_indices(Dims shape, int64_t bound, std::mt19937& rng) {
  Tensor t(DType::Int64, std::move(shape));
  std::uniform_int_distribution<int64_t> dist(0, bound - 1);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = dist(rng);
  return t;
}

Tensor skewed_indices(Dims shape, int64_t bound, std::mt19937& rng) {
  Tensor t(DType::Int64, std::move(shape));
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double u = dist(rng);
    t.data<int64_t>()[i] = std::min<int64_t>(bound - 1, static_cast<int64_t>(static_cast<double>(bound) * u * u * u));
  }
  return t;
}

Tensor int64_vector(const std::vector<int64_t>& values) {
  Tensor t(DType::Int64, {static_cast<int64_t>(values.size())});
  std::memcpy(t.raw(), values.data(), values.size() * sizeof(int64_t));
  return t;
}

Tensor float_scalar(float value) {
  Tensor t(DType::Float32, {});
  t.data<float>()[0] = value;
  return t;
}

ir::Node make_node(const std::string& op_type, size_t inputs, size_t outputs) {
  ir::Node node;
  node.op_type = op_type;
  node.name = op_type + "_under_test";
  for (size_t i = 0; i < inputs; ++i) node.inputs.push_back("in" + std::to_string(i));
  for (size_t i = 0; i < outputs; ++i) node.outputs.push_back("out" + std::to_string(i));
  return node;
}

}  // namespace gnnrt::testing

#endif  // GNNRT_WITH_CUDA

// The execution-context options the Python front end uses (gnnrt/runtime.h): the build's
// precision, device outputs and the caller's stream, on the CPU and, where a GPU is present, on
// CUDA (device outputs stay on the device; a stream the caller queued work on is waited for).
#include <gtest/gtest.h>

#include <cmath>

#include "gnnrt/runtime.h"
#include "io/npz.h"
#include "runtime/backend.h"
#include "test_support.h"

#ifdef GNNRT_WITH_CUDA
#include <cuda_runtime.h>
#endif

namespace gnnrt {
namespace {

const std::string kCoraModel = (testing::fixtures_dir() / "gcn_cora" / "dynamo" / "model.onnx").string();

std::map<std::string, Tensor> cora_inputs() {
  std::map<std::string, Tensor> inputs;
  for (auto& [name, tensor] : io::read_npz((testing::fixtures_dir() / "gcn_cora" / "g1.inputs.npz").string()))
    inputs[name] = tensor;
  return inputs;
}

double max_difference(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double largest = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    largest = std::max(largest, std::abs(double(a.data<float>()[i]) - double(b.data<float>()[i])));
  return largest;
}

TEST(ContextOptions, PrecisionIsTheBuildsAndUnknownOnesAreRefused) {
  const auto inputs = cora_inputs();
  const Tensor fp32 = Engine::build_from_onnx(kCoraModel)->create_context()->run(inputs).at("out");
  for (const char* precision : {"fp16", "bf16"}) {
    BuildConfig config;
    config.precision = precision;
    const Tensor low = Engine::build_from_onnx(kCoraModel, config)->create_context()->run(inputs).at("out");
    const double difference = max_difference(low, fp32);
    EXPECT_GT(difference, 0.0) << precision << ": the features were not stored in 16 bits";
    EXPECT_LT(difference, 0.1) << precision;
  }
  BuildConfig bad;
  bad.precision = "int4";
  try {
    Engine::build_from_onnx(kCoraModel, bad);
    FAIL() << "precision int4 was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidInput);
    EXPECT_NE(std::string(error.what()).find("expected fp32, fp16, bf16 or int8"), std::string::npos) << error.what();
  }
}

TEST(ContextOptions, CpuContextsIgnoreDeviceOutputsAndStreams) {
  auto context = Engine::build_from_onnx(kCoraModel)->create_context();
  const auto inputs = cora_inputs();
  const Tensor plain = context->run(inputs).at("out");
  context->set_outputs_on_device(true);
  int not_a_stream = 0;
  context->set_stream(&not_a_stream);  // never dereferenced by a CPU context
  const Tensor again = context->run(inputs).at("out");
  EXPECT_TRUE(again.on_host());
  EXPECT_EQ(max_difference(plain, again), 0.0);
}

#ifdef GNNRT_WITH_CUDA
TEST(ContextOptions, CudaOutputsStayOnTheDeviceAndTheCallersStreamIsWaitedFor) {
  if (!runtime::cuda_usable()) GTEST_SKIP() << "no usable CUDA device";
  BuildConfig config;
  config.device = "cuda";
  auto context = Engine::build_from_onnx(kCoraModel, config)->create_context();
  const auto inputs = cora_inputs();
  const Tensor reference = context->run(inputs).at("out");

  // The caller writes x on its own stream and does not wait: the context must.
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  const Tensor& x = inputs.at("x");
  void* device_x = nullptr;
  ASSERT_EQ(cudaMalloc(&device_x, x.nbytes()), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(device_x, 0, x.nbytes(), stream), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(device_x, x.raw(), x.nbytes(), cudaMemcpyHostToDevice, stream), cudaSuccess);
  std::map<std::string, Tensor> device_inputs = inputs;
  device_inputs["x"] = Tensor::view(DType::Float32, x.shape(), nullptr, device_x, Device::Cuda);
  context->set_stream(stream);
  context->set_outputs_on_device(true);
  const Tensor out = context->run(device_inputs).at("out");
  EXPECT_FALSE(out.on_host());
  Tensor host(DType::Float32, out.shape());
  ASSERT_EQ(cudaMemcpy(host.raw(), out.raw(), out.nbytes(), cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_LT(max_difference(host, reference), 1e-5);
  cudaFree(device_x);
  cudaStreamDestroy(stream);
}
#endif

}  // namespace
}  // namespace gnnrt

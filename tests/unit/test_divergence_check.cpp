// --check-against: a stand-in device backend that runs the CPU kernels but corrupts one op's
// output must be caught at exactly that node; an honest one must agree everywhere.
#include <gtest/gtest.h>

#include "backends/cpu/kernel_registry.h"
#include "io/npz.h"
#include "onnx/importer.h"
#include "runtime/divergence_check.h"
#include "runtime/input_binding.h"
#include "test_support.h"

namespace gnnrt {
namespace {

class CorruptingBackend final : public runtime::DeviceBackend {
 public:
  explicit CorruptingBackend(std::string corrupt_op) : corrupt_op_(std::move(corrupt_op)) {}
  std::string name() const override { return "fake"; }
  void prepare(const ir::Graph&) override {}
  bool takes(const ir::Node& node, const std::vector<const Tensor*>&) const override {
    return node.op_type != "If";
  }
  std::vector<Tensor> run(const ir::Node& node, const std::vector<const Tensor*>& inputs, int32_t) override {
    cpu::KernelContext context;
    std::vector<Tensor> outputs = (*cpu::kernel_registry().find(node.op_type))(node, inputs, context);
    if (node.op_type == corrupt_op_ && outputs[0].dtype() == DType::Float32 && outputs[0].numel() > 0) {
      Tensor changed = outputs[0].clone();
      changed.data<float>()[0] += 0.5f;
      outputs[0] = changed;
      ++corrupted_;
    }
    return outputs;
  }
  Tensor to_host(const Tensor& tensor) override { return tensor; }
  DeviceError finish() override { return {}; }
  int corrupted_ = 0;

 private:
  std::string corrupt_op_;
};

runtime::TensorMap fixture_inputs(const ir::Graph& graph, const std::string& case_name) {
  runtime::TensorMap inputs;
  for (auto& [name, tensor] : io::read_npz((testing::fixtures_dir() / case_name / "g1.inputs.npz").string()))
    inputs[name] = tensor;
  return runtime::bind_inputs(graph, inputs).tensors;
}

TEST(DivergenceCheck, NamesTheFirstNodeThatWasCorrupted) {
  const ir::Model model =
      onnx_import::import_onnx_file((testing::fixtures_dir() / "gcn_improved" / "dynamo" / "model.onnx").string());
  const runtime::TensorMap inputs = fixture_inputs(model.graph, "gcn_improved");
  CorruptingBackend device("Relu");
  const runtime::DivergenceReport report =
      runtime::find_first_divergence(model.graph, inputs, device, runtime::Tolerance{1e-5, 1e-5});
  ASSERT_GT(device.corrupted_, 0);
  ASSERT_TRUE(report.diverged);
  EXPECT_NE(report.node.find("(Relu)"), std::string::npos) << report.node;
  EXPECT_GT(report.values_compared, 3u);
}

TEST(DivergenceCheck, AnHonestBackendAgreesEverywhere) {
  const ir::Model model =
      onnx_import::import_onnx_file((testing::fixtures_dir() / "gcn_improved" / "torchscript" / "model.onnx").string());
  const runtime::TensorMap inputs = fixture_inputs(model.graph, "gcn_improved");
  CorruptingBackend device("NoSuchOp");
  const runtime::DivergenceReport report =
      runtime::find_first_divergence(model.graph, inputs, device, runtime::Tolerance{0, 0});
  EXPECT_FALSE(report.diverged) << report.node << ": " << report.comparison.summary();
  EXPECT_GT(report.values_compared, 50u);
}

}  // namespace
}  // namespace gnnrt

// The CPU backend's kernel table: one function per IR op type. The CPU backend is gnnrt's
// reference: every op the importer accepts has a kernel here, and every other backend is
// tested against it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gnnrt/tensor.h"
#include "ir/graph.h"

namespace gnnrt::cpu {

// Inputs in the node's order; nullptr where an optional input was omitted.
using KernelInputs = std::vector<const Tensor*>;

struct KernelContext {
  // Runs a subgraph (a branch of If) with the values of the running graph visible by name,
  // and returns the subgraph's outputs in order.
  std::function<std::vector<Tensor>(const ir::Graph&)> run_subgraph;
};

// Computes all outputs of `node` (one tensor per entry of node.outputs, omitted ones may be
// left undefined). Throws gnnrt::Error: InvalidInput for data the user supplied that the op
// cannot take (an index out of range, a shape that does not broadcast), naming the tensor and
// the expected versus actual value; the executor prefixes the node's name.
using KernelFn = std::vector<Tensor> (*)(const ir::Node& node, const KernelInputs& inputs,
                                         KernelContext& context);

class KernelRegistry {
 public:
  void add(const std::string& op_type, KernelFn kernel);
  const KernelFn* find(std::string_view op_type) const;
  std::vector<std::string> op_types() const;

 private:
  std::map<std::string, KernelFn, std::less<>> kernels_;
};

// All CPU kernels, registered once.
const KernelRegistry& kernel_registry();

// One registration function per op family (one .cpp file each).
void register_elementwise_kernels(KernelRegistry& registry);   // elementwise.cpp
void register_reduction_kernels(KernelRegistry& registry);    // reduction.cpp (+ Softmax, ArgMax, norms)
void register_shape_kernels(KernelRegistry& registry);        // shape_ops.cpp
void register_index_kernels(KernelRegistry& registry);        // index_ops.cpp (Gather*, Scatter*, NonZero)
void register_linear_algebra_kernels(KernelRegistry& registry);  // linear_algebra.cpp (MatMul, Gemm)
void register_control_flow_kernels(KernelRegistry& registry); // control_flow.cpp (If, Identity)
void register_sparse_kernels(KernelRegistry& registry);       // sparse_ops.cpp (gnnrt CsrFromCoo, SpMM)
void register_fused_linear_kernels(KernelRegistry& registry); // fused_linear.cpp (gnnrt Linear)
void register_quantize_kernels(KernelRegistry& registry);     // quantize_ops.cpp (gnnrt QuantizeInt8)

// Helpers shared by kernels.
// The input at `index`; fails naming the node when it is missing.
const Tensor& require_input(const ir::Node& node, const KernelInputs& inputs, size_t index);
// The optional input at `index`, or nullptr when it was omitted.
const Tensor* optional_input(const KernelInputs& inputs, size_t index);
// Normalises a possibly negative axis against `rank`; fails naming the node when out of range.
int64_t normalize_axis(const ir::Node& node, int64_t axis, int64_t rank);

}  // namespace gnnrt::cpu

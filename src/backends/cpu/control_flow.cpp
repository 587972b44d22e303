// CPU kernel for If: evaluates the condition and runs one branch through the executor's
// run_subgraph callback (which makes the enclosing graph's values visible to the branch).
// Identity lives with the other data-movement ops in shape_ops.cpp.
#include "backends/cpu/kernel_registry.h"

namespace gnnrt::cpu {
namespace {

const ir::Graph& branch_graph(const ir::Node& node, const char* name) {
  const ir::Attribute& attribute = node.attr(name);
  if (attribute.kind != ir::Attribute::Kind::Graph || !attribute.g)
    fail_input(node.describe(), ": attribute '", name, "' must be a graph");
  return *attribute.g;
}

std::vector<Tensor> if_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext& context) {
  const Tensor& condition = require_input(node, inputs, 0);
  if (condition.dtype() != DType::Bool || condition.numel() != 1)
    fail_input(node.describe(), ": condition must be a single bool, got ", condition.describe());
  const bool take_then = condition.data<bool>()[0];
  const char* chosen = take_then ? "then_branch" : "else_branch";
  const ir::Graph& branch = branch_graph(node, chosen);
  if (!context.run_subgraph) fail_internal(node.describe(), ": the executor gave no run_subgraph callback");
  std::vector<Tensor> outputs = context.run_subgraph(branch);
  if (outputs.size() != node.outputs.size())
    fail_input(node.describe(), ": ", chosen, " '", branch.name, "' produced ", outputs.size(),
               " outputs but the node has ", node.outputs.size());
  return outputs;
}

}  // namespace

void register_control_flow_kernels(KernelRegistry& registry) { registry.add("If", if_kernel); }

}  // namespace gnnrt::cpu

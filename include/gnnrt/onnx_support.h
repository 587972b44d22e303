// What gnnrt can import of an ONNX model, asked before building: the nodes it would refuse, one
// entry each, as `gnnrt inspect` lists them. Frameworks that split a model between gnnrt and
// another runtime (the Python package's torch.compile backend) partition on this answer.
#pragma once

#include <string>
#include <vector>

namespace gnnrt {

// One node gnnrt cannot import. A problem inside an If branch is reported under the top-level
// node that holds the branch.
struct UnsupportedNode {
  std::string name;     // the top-level node's name (invented as the importer does when empty)
  std::string op_type;  // the top-level node's op type
  std::string problem;  // "node 'n' (Sin, domain '', opset 18)[: reason][ in subgraph ...]"
};

// Every unsupported node of the model at `onnx_path`, in graph order (empty: gnnrt imports every
// node). Fails (InvalidInput) as the importer does when the file cannot be read or parsed or its
// opset is outside what gnnrt accepts.
std::vector<UnsupportedNode> find_unsupported_nodes(const std::string& onnx_path);

}  // namespace gnnrt

// The ONNX operators gnnrt imports: one table that the importer's support check, the
// `gnnrt ops` listing and docs/OPERATORS.md all come from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gnnrt::onnx_import {

// Oldest and newest default-domain opsets gnnrt accepts. 13 is where Softmax, Split, Squeeze,
// Unsqueeze, ReduceSum and friends took their current forms; torch.onnx writes 17 or 18.
constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 21;

struct OpSupport {
  std::string op_type;
  int since_opset;    // first default-domain opset (>= kMinOpset) in which gnnrt accepts the op
  std::string notes;  // what it is used for in PyG exports, and any limits
};

// Sorted by op_type.
const std::vector<OpSupport>& supported_ops();
// True for default-domain ops ("" or "ai.onnx") in the table whose since_opset <= opset.
bool is_supported(const std::string& domain, const std::string& op_type, int64_t opset);
// The table as Markdown: the text of docs/OPERATORS.md.
std::string operators_markdown();

// "" and "ai.onnx" both name the default ONNX domain.
inline bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

}  // namespace gnnrt::onnx_import

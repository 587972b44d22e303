#include "onnx/op_table.h"

#include <algorithm>

#include "gnnrt/error.h"

namespace gnnrt::onnx_import {

namespace {

std::vector<OpSupport> build_table() {
  std::vector<OpSupport> ops = {
      {"Abs", 13, "elementwise absolute value"},
      {"Add", 13, "bias add, residuals, message sums; numpy broadcasting"},
      {"And", 13, "boolean masks (edge filtering)"},
      {"ArgMax", 13, "predicted class (argmax over classes)"},
      {"ArgMin", 13, "index of the minimum along an axis"},
      {"BatchNormalization", 13, "normalisation in GIN MLPs, inference form (running mean and variance)"},
      {"Cast", 13, "dtype changes (edge_index to int64, masks to float); `to` must be a gnnrt dtype"},
      {"CastLike", 15, "Cast to the dtype of a second input (dynamo exports)"},
      {"Ceil", 13, "elementwise ceiling"},
      {"Clip", 13, "degree clamp in mean aggregation / global_mean_pool; min and max as optional inputs"},
      {"Concat", 13, "adding self-loops (edge_index concat), multi-head concat, SAGE/GraphConv skip paths"},
      {"Constant", 13, "folded into an initializer at import; value_string / sparse_value are not supported"},
      {"ConstantOfShape", 13, "zero buffers of shape [N, F] that scatter-add aggregation writes into"},
      {"CumSum", 13, "prefix sums along an axis (e.g. batch pointers)"},
      {"Div", 13, "mean aggregation, normalisation; integer division truncates"},
      {"Dropout", 13, "identity at inference (dropout layers exported in eval mode)"},
      {"Elu", 13, "ELU activation"},
      {"Equal", 13, "self-loop detection (src == dst), masks"},
      {"Erf", 13, "exact GELU as exported by the TorchScript exporter"},
      {"Exp", 13, "softmax over edges in GAT"},
      {"Expand", 13, "broadcasting index tensors before ScatterElements"},
      {"Flatten", 13, "collapse to 2-D before Gemm"},
      {"Floor", 13, "elementwise floor"},
      {"Gather", 13, "per-edge feature gather x[src]; indices int32 or int64, negative indices wrap"},
      {"GatherElements", 13, "per-element gathers along one axis; indices int32 or int64"},
      {"GatherND", 13, "multi-dimensional indexing (dynamo exports of x[idx]); indices int32 or int64"},
      {"Gelu", 20, "GELU activation (approximate none or tanh)"},
      {"Gemm", 13, "Linear layers (transB=1 as torch exports them), alpha/beta supported"},
      {"Greater", 13, "comparisons in masks"},
      {"GreaterOrEqual", 13, "comparisons in masks"},
      {"HardSigmoid", 13, "alpha * x + beta clamped to [0, 1]"},
      {"Identity", 13, "pass-through (renamed outputs, If branches)"},
      {"If", 13, "data-dependent branches (e.g. empty edge sets); both branches are imported as subgraphs"},
      {"IsInf", 13, "Where(isinf(deg^-0.5), 0) in GCN normalisation"},
      {"IsNaN", 13, "NaN masks"},
      {"LayerNormalization", 17, "LayerNorm over the trailing axes (axis, epsilon)"},
      {"LeakyRelu", 13, "GAT attention scores (negative_slope 0.2)"},
      {"Less", 13, "comparisons in masks"},
      {"LessOrEqual", 13, "comparisons in masks"},
      {"Log", 13, "log-probabilities"},
      {"LogSoftmax", 13, "classifier output (log_softmax over classes)"},
      {"MatMul", 13, "dense feature transforms x @ W; numpy batch broadcasting"},
      {"Max", 13, "variadic elementwise max (broadcasting)"},
      {"Mean", 13, "variadic elementwise mean (broadcasting)"},
      {"Min", 13, "variadic elementwise min (broadcasting)"},
      {"Mod", 13, "integer and float modulo (fmod=0 follows Python, fmod=1 follows C)"},
      {"Mul", 13, "edge weights times gathered features, scaling"},
      {"Neg", 13, "elementwise negation"},
      {"NonZero", 13, "self-loop removal (indices of kept edges); output size is data dependent"},
      {"Not", 13, "boolean negation of masks"},
      {"Or", 13, "boolean masks"},
      {"Pad", 13, "padding (pads and constant_value inputs; axes input from opset 18)"},
      {"Pow", 13, "deg^-0.5 in GCN normalisation"},
      {"PRelu", 13, "PReLU activation with a broadcast slope"},
      {"Range", 13, "node ids for self-loops (arange(num_nodes))"},
      {"Reciprocal", 13, "elementwise 1/x"},
      {"ReduceL2", 13, "L2 norm along axes (normalize=True layers); axes as an input after import"},
      {"ReduceMax", 13, "max aggregation / global_max_pool; older axes attribute becomes an input"},
      {"ReduceMean", 13, "mean along axes; older axes attribute becomes an input"},
      {"ReduceMin", 13, "min along axes; older axes attribute becomes an input"},
      {"ReduceProd", 13, "product along axes; older axes attribute becomes an input"},
      {"ReduceSum", 13, "sums along axes (global_add_pool, degree sums); axes is an input since opset 13"},
      {"ReduceSumSquare", 13, "sum of squares along axes; older axes attribute becomes an input"},
      {"Relu", 13, "ReLU activation between layers"},
      {"Reshape", 13, "view changes (multi-head attention split); 0 and -1 entries"},
      {"Round", 13, "round half to even"},
      {"ScatterElements", 13, "message aggregation (reduction none/add/mul/max/min; torch writes max at opset 17 for GAT)"},
      {"ScatterND", 13, "index_put-style writes (reduction none/add/mul/max/min)"},
      {"Selu", 13, "SELU activation"},
      {"Shape", 13, "num_nodes / num_edges at run time"},
      {"Sigmoid", 13, "gates and binary outputs"},
      {"Sign", 13, "elementwise sign"},
      {"Size", 13, "element counts (empty-graph checks)"},
      {"Slice", 13, "selecting rows of edge_index (src/dst) and feature ranges"},
      {"Softmax", 13, "class probabilities over one axis"},
      {"Softplus", 13, "log(1 + exp(x))"},
      {"Softsign", 13, "x / (1 + |x|)"},
      {"Split", 13, "splitting edge_index and heads; split input or num_outputs (opset 18)"},
      {"Sqrt", 13, "elementwise square root"},
      {"Squeeze", 13, "drop size-1 axes (axes as an input)"},
      {"Sub", 13, "elementwise subtraction"},
      {"Sum", 13, "variadic elementwise sum (broadcasting)"},
      {"Tanh", 13, "tanh activation"},
      {"Tile", 13, "repeating node ids / batch vectors when self-loops are added"},
      {"Transpose", 13, "edge_index layout changes, weight transposes"},
      {"Unsqueeze", 13, "add size-1 axes (axes as an input)"},
      {"Where", 13, "replacing inf by 0 in degree normalisation, masked selection"},
      {"Xor", 13, "boolean masks"},
  };
  std::sort(ops.begin(), ops.end(), [](const OpSupport& a, const OpSupport& b) { return a.op_type < b.op_type; });
  for (size_t i = 1; i < ops.size(); ++i)
    GNNRT_CHECK(ops[i - 1].op_type != ops[i].op_type, "op ", ops[i].op_type, " listed twice");
  return ops;
}

}  // namespace

const std::vector<OpSupport>& supported_ops() {
  static const std::vector<OpSupport> table = build_table();
  return table;
}

bool is_supported(const std::string& domain, const std::string& op_type, int64_t opset) {
  if (!is_default_domain(domain)) return false;
  const auto& ops = supported_ops();
  auto it = std::lower_bound(ops.begin(), ops.end(), op_type,
                             [](const OpSupport& entry, const std::string& name) { return entry.op_type < name; });
  return it != ops.end() && it->op_type == op_type && opset >= it->since_opset;
}

std::string operators_markdown() {
  std::string text =
      "<!-- Generated by `gnnrt ops --markdown` from src/onnx/op_table.cpp; do not edit by hand. -->\n"
      "# Supported ONNX operators\n\n";
  text += cat("gnnrt imports models whose default-domain opset (`\"\"` / `ai.onnx`) is between ", kMinOpset,
              " and ", kMaxOpset,
              ".\nExport with `torch.onnx.export(..., opset_version=17)` (TorchScript exporter) or "
              "`dynamo=True` (opset 18).\n"
              "Model-local functions (as the dynamo exporter can emit) are inlined at import; nodes of any "
              "other domain are rejected.\n"
              "At import, `Constant` nodes become initializers and the `axes` attribute of pre-18 Reduce ops "
              "becomes an input,\nso kernels see the opset-18 form of every op.\n\n");
  text += cat(supported_ops().size(), " operators:\n\n");
  text += "| Operator | Since opset | Notes |\n|---|---|---|\n";
  for (const OpSupport& op : supported_ops()) {
    std::string notes;  // a bare '|' would end the table cell
    for (char c : op.notes) notes += c == '|' ? std::string("\\|") : std::string(1, c);
    text += cat("| ", op.op_type, " | ", op.since_opset, " | ", notes, " |\n");
  }
  return text;
}

}  // namespace gnnrt::onnx_import

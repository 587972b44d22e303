// INT8 lowering, for engines built with --int8 (docs/INT8.md); the INT8 sibling of
// precision_lowering (which stores features in 16 bits):
//
// - the node features each gnnrt.SpMM aggregates are stored as int8 with a symmetric per-tensor
//   scale that calibration chose: a gnnrt.QuantizeInt8 node before the SpMM (one per value, shared
//   by the SpMMs reading it), and the SpMM reads int8 rows with its x_scale attribute, accumulating
//   in fp32 and writing fp32 (bias and activation in fp32, in its epilogue); or, with
//   `per_row_features`, with one scale per row that the QuantizeInt8 computes at run time and the
//   SpMM reads as its x_row_scale input (no calibrated scale needed);
// - the weights of every gnnrt.Linear become int8 with one scale per output column (the column's
//   largest magnitude / 127, from the weights themselves: no calibration), the bias stays fp32.
//
// Layers named in `float_layers` (--layer-precision NAME:fp32) keep fp32. Not in the standard
// pipeline: the builder runs it when asked for an INT8 engine. It is idempotent (what it lowered
// no longer reads float32).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "passes/pass_manager.h"

namespace gnnrt::passes {

struct Int8LoweringOptions {
  std::map<std::string, float> feature_scales;  // SpMM feature input value -> its INT8 scale
  std::string scales_source;                    // where they came from, for messages
  std::set<std::string> float_layers;           // SpMM/Linear node names kept in fp32
  bool per_row_features = false;                // per-row scales for the SpMM inputs
};

// The values an INT8 lowering quantises, the float32 feature inputs of the SpMMs not in
// `float_layers`, in graph order: what calibration must measure.
std::vector<std::string> int8_feature_inputs(const ir::Graph& graph, const std::set<std::string>& float_layers = {});

class Int8Lowering : public Pass {
 public:
  explicit Int8Lowering(Int8LoweringOptions options);
  std::string name() const override { return "int8_lowering"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;

 private:
  Int8LoweringOptions options_;
};

}  // namespace gnnrt::passes

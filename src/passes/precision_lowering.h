// Precision lowering, for engines built with --fp16 or --bf16 (trtexec's flags): the node features
// that SpMM and Linear read and write are stored in 16 bits, halving the bytes every aggregation
// gathers, while both ops still accumulate in fp32 and the structure part (degrees, normalisation,
// the CSR matrix) stays fp32.
//
// The 16-bit region is every gnnrt.SpMM and every gnnrt.Linear except one that reads a float32
// graph input directly (a GEMM that reads x once is cheaper in fp32 than a cast of x plus a 16-bit
// GEMM; its output is cast instead). Linear weights and biases become 16-bit initializers. A Cast to
// 16 bits goes before the region wherever a float32 value enters it, and a Cast back to float32 after
// it wherever a value leaves it (to another op or to a graph output), so the model's interface stays
// float32. Not in the standard pipeline: the builder runs it when asked for a 16-bit engine.
//
// With `layers` named (an INT8 engine's fp16 layers, docs/INT8.md), the region is those SpMM and
// Linear nodes only, a Linear reading a graph input included (it was asked for by name); the casts
// are placed the same way, so an fp16 layer between int8 ones reads and writes float32 outside.
#pragma once

#include <set>
#include <string>

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class PrecisionLowering : public Pass {
 public:
  // Float16 or BFloat16; `layers` empty: every SpMM and Linear (but the rule above).
  explicit PrecisionLowering(DType storage, std::set<std::string> layers = {});
  std::string name() const override { return "precision_lowering"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;

 private:
  DType storage_;
  std::set<std::string> layers_;
};

}  // namespace gnnrt::passes

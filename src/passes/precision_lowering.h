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
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class PrecisionLowering : public Pass {
 public:
  explicit PrecisionLowering(DType storage);  // Float16 or BFloat16
  std::string name() const override { return "precision_lowering"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;

 private:
  DType storage_;
};

}  // namespace gnnrt::passes

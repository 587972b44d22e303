// Feature-width padding, for CUDA engines: an SpMM gathers its rows in 16-byte units only when the
// width allows it, so a layer of 47 features (ogbn-products' classes) is gathered one element at a
// time, as slowly in fp16 as in fp32 (measured on the H100: docs/PERFORMANCE.md). When a
// gnnrt.Linear's output feeds only SpMMs, its weight (and bias) get zero columns up to a multiple of
// 8, the SpMMs run at that width (their bias padded with zeros: the extra columns stay 0 through
// ReLU), and one Slice per SpMM cuts the result back. The extra columns never mix with the real
// ones (a GEMM library may block its sums differently at another width: fp32 rounding). Not in the
// standard pipeline: the builder runs it for CUDA engines (`--disable-pass feature_width_padding`).
#pragma once

#include "passes/pass_manager.h"

namespace gnnrt::passes {

class FeatureWidthPadding : public Pass {
 public:
  explicit FeatureWidthPadding(int64_t multiple = 8) : multiple_(multiple) {}
  std::string name() const override { return "feature_width_padding"; }
  PassResult run(ir::Graph& graph, PassContext& context) override;

 private:
  int64_t multiple_;
};

}  // namespace gnnrt::passes

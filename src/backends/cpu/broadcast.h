// numpy-style multidirectional broadcasting for CPU kernels (Add, Where, Expand, ...).
//
// A BroadcastPlan maps every output element to one element of each input. It merges adjacent
// dimensions that broadcast the same way for every input, so that the common cases become one
// flat loop: same shapes -> one contiguous run; [N, F] with [F] -> N runs of F where the second
// input restarts each run; a scalar -> a run whose input stride is 0. Kernels walk the output
// in "segments": a run of consecutive output elements within which each input advances by a
// fixed inner stride (0 or 1), so no per-element index decoding is needed.
//
//   BroadcastPlan plan({a.shape(), b.shape()}, node.describe());
//   Tensor out(DType::Float32, plan.output_shape());
//   plan.parallel_for_each_segment([&](int64_t out_offset, const int64_t* in_offsets, int64_t count) {
//     for (int64_t j = 0; j < count; ++j)
//       o[out_offset + j] = pa[in_offsets[0] + j * plan.inner_stride(0)] + pb[...];
//   });
#pragma once

#include "core/openmp.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gnnrt/tensor.h"

namespace gnnrt::cpu {

// Element-wise loops with at least this many elements run on OpenMP threads; below it the
// thread start-up costs more than it saves.
inline constexpr int64_t kParallelElementThreshold = int64_t{1} << 15;

// The broadcast output shape of `shapes`; fails (InvalidInput) naming `what` and every shape
// when two dimensions differ and neither is 1.
Dims broadcast_shapes(const std::vector<Dims>& shapes, std::string_view what);

class BroadcastPlan {
 public:
  // `what` names the node or tensor in error messages ("node 'Add_3' (Add)").
  BroadcastPlan(const std::vector<Dims>& input_shapes, std::string_view what);

  const Dims& output_shape() const { return output_shape_; }
  int64_t output_numel() const { return output_numel_; }
  size_t input_count() const { return strides_.size(); }
  // How far input `input`'s offset advances per output element inside a segment: 1 or 0.
  int64_t inner_stride(size_t input) const { return inner_strides_[input]; }
  // True when every input has the output's shape: element i of each input goes to output i.
  bool is_elementwise() const;

  // Calls fn(out_offset, in_offsets, count) for consecutive segments covering the output
  // elements [begin, end); in_offsets[k] is input k's element offset for out_offset, and the
  // segment's j-th element reads input k at in_offsets[k] + j * inner_stride(k).
  template <typename Fn>
  void for_each_segment(int64_t begin, int64_t end, Fn&& fn) const;

  // for_each_segment over the whole output, split across OpenMP threads when it is large.
  // Each output element is computed exactly once whatever the split, so results do not depend
  // on the thread count. `fn` must not throw.
  template <typename Fn>
  void parallel_for_each_segment(Fn&& fn) const;

  // Element offset in input `input` of output element `output_index` (decodes the index: for
  // tests and one-off lookups, not inner loops).
  int64_t input_offset(size_t input, int64_t output_index) const;

 private:
  Dims output_shape_;
  int64_t output_numel_ = 0;
  Dims collapsed_dims_;                      // merged output dims, outermost first; never empty
  std::vector<std::vector<int64_t>> strides_;  // per input, per collapsed dim; 0 where broadcast
  std::vector<int64_t> inner_strides_;       // per input: strides_[k].back()
  std::vector<bool> same_shape_;             // per input: has the output's element count
};

// Fails (InvalidInput) naming `what` and both shapes unless `input` broadcasts unidirectionally
// to `shape` (numpy's broadcast_to). The CUDA backend checks its broadcasts with it too.
void require_broadcastable_to(const Tensor& input, const Dims& shape, std::string_view what);

// `input` materialised at `shape` (require_broadcastable_to). For Expand, pass
// broadcast_shapes({input.shape(), requested}) as `shape`.
Tensor broadcast_to(const Tensor& input, const Dims& shape, std::string_view what);

// ---- implementation of the templates ----

template <typename Fn>
void BroadcastPlan::for_each_segment(int64_t begin, int64_t end, Fn&& fn) const {
  if (begin >= end) return;
  const size_t inputs = strides_.size();
  const size_t outer_rank = collapsed_dims_.size() - 1;
  const int64_t inner = collapsed_dims_.back();
  int64_t row = begin / inner;
  int64_t column = begin % inner;

  // Odometer over the outer collapsed dims, with each input's offset at column 0 of the row.
  std::vector<int64_t> index(outer_rank, 0);
  std::vector<int64_t> row_base(inputs, 0);
  for (size_t d = outer_rank; d-- > 0;) {
    index[d] = row % collapsed_dims_[d];
    row /= collapsed_dims_[d];
    for (size_t k = 0; k < inputs; ++k) row_base[k] += index[d] * strides_[k][d];
  }

  std::vector<int64_t> offsets(inputs);
  int64_t position = begin;
  while (position < end) {
    const int64_t count = std::min(inner - column, end - position);
    for (size_t k = 0; k < inputs; ++k) offsets[k] = row_base[k] + column * inner_strides_[k];
    fn(position, static_cast<const int64_t*>(offsets.data()), count);
    position += count;
    column = 0;
    for (size_t d = outer_rank; d-- > 0;) {  // next row: carry through the odometer
      ++index[d];
      for (size_t k = 0; k < inputs; ++k) row_base[k] += strides_[k][d];
      if (index[d] < collapsed_dims_[d]) break;
      for (size_t k = 0; k < inputs; ++k) row_base[k] -= strides_[k][d] * collapsed_dims_[d];
      index[d] = 0;
    }
  }
}

template <typename Fn>
void BroadcastPlan::parallel_for_each_segment(Fn&& fn) const {
  const int64_t total = output_numel_;
  if (total < kParallelElementThreshold) {
    for_each_segment(0, total, fn);
    return;
  }
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads();
    const int64_t thread = omp_get_thread_num();
    const int64_t chunk = (total + threads - 1) / threads;
    const int64_t begin = std::min(total, thread * chunk);
    const int64_t end = std::min(total, begin + chunk);
    for_each_segment(begin, end, fn);
  }
}

}  // namespace gnnrt::cpu

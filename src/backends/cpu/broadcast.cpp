#include "backends/cpu/broadcast.h"

#include <cstring>

namespace gnnrt::cpu {

namespace {

std::string shapes_to_string(const std::vector<Dims>& shapes) {
  std::string text;
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i) text += (i + 1 == shapes.size()) ? " and " : ", ";
    text += shape_to_string(shapes[i]);
  }
  return text;
}

// `shape` left-padded with 1s to `rank` dims (numpy aligns shapes at their last dimension).
Dims padded_to_rank(const Dims& shape, size_t rank) {
  Dims padded(rank - shape.size(), 1);
  padded.insert(padded.end(), shape.begin(), shape.end());
  return padded;
}

}  // namespace

Dims broadcast_shapes(const std::vector<Dims>& shapes, std::string_view what) {
  size_t rank = 0;
  for (const Dims& shape : shapes) {
    rank = std::max(rank, shape.size());
    for (int64_t d : shape)
      if (d < 0) fail_input(what, ": shape ", shape_to_string(shape), " has a negative dimension");
  }
  Dims output(rank, 1);
  for (const Dims& shape : shapes) {
    const size_t lead = rank - shape.size();
    for (size_t i = 0; i < shape.size(); ++i) {
      const int64_t d = shape[i];
      int64_t& out = output[lead + i];
      if (d == out || d == 1) continue;
      if (out != 1)
        fail_input(what, ": shapes ", shapes_to_string(shapes), " do not broadcast (axis ",
                   static_cast<int64_t>(lead + i) - static_cast<int64_t>(rank), ": ", out, " vs ", d,
                   "; aligned from the last axis, each pair of sizes must be equal or one of them 1)");
      out = d;
    }
  }
  return output;
}

BroadcastPlan::BroadcastPlan(const std::vector<Dims>& input_shapes, std::string_view what) {
  GNNRT_CHECK(!input_shapes.empty(), "a broadcast needs at least one input");
  output_shape_ = broadcast_shapes(input_shapes, what);
  output_numel_ = element_count(output_shape_);
  const size_t rank = output_shape_.size();
  const size_t inputs = input_shapes.size();

  std::vector<Dims> padded;
  for (const Dims& shape : input_shapes) padded.push_back(padded_to_rank(shape, rank));

  // Contiguous strides of each input over its padded dims.
  std::vector<std::vector<int64_t>> dense(inputs, std::vector<int64_t>(rank, 0));
  for (size_t k = 0; k < inputs; ++k) {
    int64_t stride = 1;
    for (size_t d = rank; d-- > 0;) {
      dense[k][d] = stride;
      stride *= padded[k][d];
    }
    same_shape_.push_back(element_count(input_shapes[k]) == output_numel_);
  }

  // Merge dims: drop those of output size 1, then join neighbours that broadcast the same way in
  // every input (the merged stride is the inner member's, since the inputs are contiguous).
  strides_.assign(inputs, {});
  std::vector<bool> previous_broadcast;
  for (size_t d = 0; d < rank; ++d) {
    if (output_shape_[d] == 1) continue;
    std::vector<bool> broadcast(inputs);
    for (size_t k = 0; k < inputs; ++k) broadcast[k] = padded[k][d] == 1;
    if (!collapsed_dims_.empty() && broadcast == previous_broadcast) {
      collapsed_dims_.back() *= output_shape_[d];
    } else {
      collapsed_dims_.push_back(output_shape_[d]);
      for (size_t k = 0; k < inputs; ++k) strides_[k].push_back(0);
    }
    for (size_t k = 0; k < inputs; ++k) strides_[k].back() = broadcast[k] ? 0 : dense[k][d];
    previous_broadcast = std::move(broadcast);
  }
  if (collapsed_dims_.empty()) {  // a scalar output (or all dims 1)
    collapsed_dims_.push_back(1);
    for (size_t k = 0; k < inputs; ++k) strides_[k].push_back(0);
  }
  for (size_t k = 0; k < inputs; ++k) inner_strides_.push_back(strides_[k].back());
}

bool BroadcastPlan::is_elementwise() const {
  return std::all_of(same_shape_.begin(), same_shape_.end(), [](bool same) { return same; });
}

int64_t BroadcastPlan::input_offset(size_t input, int64_t output_index) const {
  GNNRT_CHECK(input < strides_.size() && output_index >= 0 && output_index < output_numel_,
              "input ", input, ", output element ", output_index);
  int64_t offset = 0;
  for (size_t d = collapsed_dims_.size(); d-- > 0;) {
    offset += (output_index % collapsed_dims_[d]) * strides_[input][d];
    output_index /= collapsed_dims_[d];
  }
  return offset;
}

void require_broadcastable_to(const Tensor& input, const Dims& shape, std::string_view what) {
  const Dims result = broadcast_shapes({input.shape(), shape}, what);
  if (result != shape)
    fail_input(what, ": cannot broadcast ", input.describe(), " to shape ", shape_to_string(shape),
               " (the result would be ", shape_to_string(result), ")");
}

Tensor broadcast_to(const Tensor& input, const Dims& shape, std::string_view what) {
  require_broadcastable_to(input, shape, what);
  BroadcastPlan plan({input.shape(), shape}, what);
  Tensor output(input.dtype(), shape);
  const size_t element = dtype_size(input.dtype());
  const auto* source = static_cast<const unsigned char*>(input.raw());
  auto* target = static_cast<unsigned char*>(output.raw());
  const int64_t stride = plan.inner_stride(0);
  plan.parallel_for_each_segment([&](int64_t out_offset, const int64_t* in_offsets, int64_t count) {
    unsigned char* out = target + static_cast<size_t>(out_offset) * element;
    const unsigned char* in = source + static_cast<size_t>(in_offsets[0]) * element;
    if (stride == 1) {
      std::memcpy(out, in, static_cast<size_t>(count) * element);
    } else {
      for (int64_t j = 0; j < count; ++j) std::memcpy(out + static_cast<size_t>(j) * element, in, element);
    }
  });
  return output;
}

}  // namespace gnnrt::cpu

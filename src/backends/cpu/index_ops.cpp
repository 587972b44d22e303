// CPU kernels that address data through index tensors: Gather, GatherElements, GatherND,
// ScatterElements, ScatterND and NonZero.
//
// These are where a GNN export spends its time on the CPU (Gather of [E] rows from x[N, F],
// ScatterElements(add) of [E, F] messages into [N, F]), so they run in parallel, under two rules:
//   * every index is validated before anything is read or written through it, so bad data is
//     an InvalidInput error naming the index, never an out-of-bounds access;
//   * results are bit-identical whatever the thread count: work is split so that each output
//     element is produced by exactly one thread, which applies its updates in index order
//     (no float atomics, no per-thread partial sums).
#include "core/openmp.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "backends/cpu/byte_copy.h"
#include "backends/cpu/kernel_registry.h"
#include "backends/op_shapes/index.h"
#include "core/dispatch.h"

namespace gnnrt::cpu {
namespace {

// "[3, 1]": the multi-index of flat position `position` in `shape`, for error messages.
std::string position_in(int64_t position, const Dims& shape) {
  Dims index(shape.size(), 0);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    const int64_t extent = shape[static_cast<size_t>(d)];
    if (extent > 0) {
      index[static_cast<size_t>(d)] = position % extent;
      position /= extent;
    }
  }
  return shape_to_string(index);
}

// Index tensors are int32 or int64; kernels are instantiated for both.
template <typename Fn>
decltype(auto) dispatch_index(const ir::Node& node, const Tensor& indices, Fn&& fn) {
  switch (indices.dtype()) {
    case DType::Int32: return fn(TypeTag<int32_t>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    default: break;
  }
  fail_input(node.describe(), ": indices must be int32 or int64, got ", indices.describe());
}

// A valid index is in [-extent, extent); negative ones count from the end.
template <typename I>
inline int64_t wrap_index(I value, int64_t extent) {
  return value < 0 ? static_cast<int64_t>(value) + extent : static_cast<int64_t>(value);
}

// Flat position of the first index outside [-extent, extent), or -1 when all are valid.
// Parallel, but reports the lowest position so the message does not depend on the thread count.
template <typename I>
int64_t first_invalid_index(const I* indices, int64_t count, int64_t extent) {
  int64_t first_bad = std::numeric_limits<int64_t>::max();
#pragma omp parallel for schedule(static) reduction(min : first_bad) if (count >= (1 << 15))
  for (int64_t p = 0; p < count; ++p) {
    const int64_t v = static_cast<int64_t>(indices[p]);
    if ((v < -extent || v >= extent) && p < first_bad) first_bad = p;
  }
  return first_bad == std::numeric_limits<int64_t>::max() ? -1 : first_bad;
}

template <typename I>
void check_indices(const ir::Node& node, const Tensor& indices, const I* values, int64_t extent,
                   const std::string& target) {
  const int64_t bad = first_invalid_index(values, indices.numel(), extent);
  if (bad >= 0)
    fail_input(node.describe(), ": index ", static_cast<int64_t>(values[bad]), " at position ",
               position_in(bad, indices.shape()), " of indices ", indices.describe(), " is out of range for ", target,
               " (valid range [", -extent, ", ", extent - 1, "])");
}

// ---------------------------------------------------------------------------------------------
// Gather

std::vector<Tensor> gather_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const op_shapes::GatherLayout layout = op_shapes::gather_layout(node, data, indices);
  Tensor out(data.dtype(), layout.output_shape);

  const int64_t axis = layout.axis, outer = layout.outer, extent = layout.extent, inner = layout.inner;
  const int64_t count = indices.numel();
  const size_t elem = dtype_size(data.dtype());
  const size_t row_bytes = static_cast<size_t>(inner) * elem;
  dispatch_index(node, indices, [&](auto tag) {
    using I = typename decltype(tag)::type;
    const I* idx = indices.data<I>();
    check_indices(node, indices, idx, extent, cat("axis ", axis, " of data ", data.describe()));
    if (out.numel() == 0) return;
    const uint8_t* src = bytes_of(data);
    uint8_t* dst = bytes_of(out);
    const int64_t rows = outer * count;
    const bool parallel = static_cast<int64_t>(out.nbytes()) >= kParallelMinBytes;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t o = r / count;
      const int64_t source_row = o * extent + wrap_index(idx[r % count], extent);
      const uint8_t* from = src + static_cast<size_t>(source_row) * row_bytes;
      uint8_t* to = dst + static_cast<size_t>(r) * row_bytes;
      if (row_bytes == elem) copy_element(to, from, elem);
      else std::memcpy(to, from, row_bytes);
    }
  });
  return {out};
}

// ---------------------------------------------------------------------------------------------
// GatherElements / ScatterElements share one addressing scheme: an indices position
// (o, j, i) -- o over the dims before `axis`, j along it, i over the dims after it -- refers
// to the data element at (o, indices[o, j, i], i). Indices may be smaller than data on the
// non-axis dims, so data offsets of o and i are tabulated once.

struct ElementsLayout {
  int64_t outer = 1;        // positions before the axis (indices' dims)
  int64_t along = 0;        // indices' extent along the axis
  int64_t inner = 1;        // positions after the axis (indices' dims)
  int64_t extent = 0;       // data's extent along the axis: the valid index range
  int64_t axis_stride = 1;  // data elements between consecutive indices along the axis
  std::vector<int64_t> outer_offset;  // data offset of each outer position
  std::vector<int64_t> inner_offset;  // data offset of each inner position
};

// For indices that passed the shape checks (op_shapes::gather_elements_axis and
// scatter_elements_layout).
ElementsLayout elements_layout(const Tensor& data, const Tensor& indices, int64_t axis) {
  const Dims& is = indices.shape();
  const auto data_strides = contiguous_strides(data.shape());
  ElementsLayout layout;
  const size_t a = static_cast<size_t>(axis);
  layout.outer = product(is, 0, a);
  layout.along = is[a];
  layout.inner = product(is, a + 1, is.size());
  layout.extent = data.dim(axis);
  layout.axis_stride = data_strides[a];
  // Unravel a position over dims [begin, end) of the indices and re-ravel it with data strides.
  auto tabulate = [&](size_t begin, size_t end, int64_t count) {
    std::vector<int64_t> offsets(static_cast<size_t>(count));
    for (int64_t p = 0; p < count; ++p) {
      int64_t rest = p, offset = 0;
      for (size_t d = end; d-- > begin;) {
        offset += (rest % is[d]) * data_strides[d];
        rest /= is[d];
      }
      offsets[static_cast<size_t>(p)] = offset;
    }
    return offsets;
  };
  if (layout.outer * layout.along * layout.inner > 0) {
    layout.outer_offset = tabulate(0, a, layout.outer);
    layout.inner_offset = tabulate(a + 1, is.size(), layout.inner);
  }
  return layout;
}

std::vector<Tensor> gather_elements_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const int64_t axis = op_shapes::gather_elements_axis(node, data, indices);
  const ElementsLayout layout = elements_layout(data, indices, axis);
  Tensor out(data.dtype(), indices.shape());
  dispatch_index(node, indices, [&](auto tag) {
    using I = typename decltype(tag)::type;
    const I* idx = indices.data<I>();
    check_indices(node, indices, idx, layout.extent, cat("axis ", axis, " of data ", data.describe()));
    if (out.numel() == 0) return;
    const size_t elem = dtype_size(data.dtype());
    const uint8_t* src = bytes_of(data);
    uint8_t* dst = bytes_of(out);
    const int64_t rows = layout.outer * layout.along;
    const bool parallel = static_cast<int64_t>(out.nbytes()) >= kParallelMinBytes;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t base = layout.outer_offset[static_cast<size_t>(r / layout.along)];
      for (int64_t i = 0; i < layout.inner; ++i) {
        const int64_t p = r * layout.inner + i;
        const int64_t offset =
            base + wrap_index(idx[p], layout.extent) * layout.axis_stride + layout.inner_offset[static_cast<size_t>(i)];
        copy_element(dst + static_cast<size_t>(p) * elem, src + static_cast<size_t>(offset) * elem, elem);
      }
    }
  });
  return {out};
}

// ---------------------------------------------------------------------------------------------
// Scatter reductions

enum class Reduction { None, Add, Mul, Max, Min };

// A reduction name that op_shapes validated.
Reduction parse_reduction(const std::string& name) {
  if (name == "add") return Reduction::Add;
  if (name == "mul") return Reduction::Mul;
  if (name == "max") return Reduction::Max;
  if (name == "min") return Reduction::Min;
  return Reduction::None;
}

// Calls fn with the reduction as a compile-time constant, so the inner loops have no switch.
template <typename Fn>
void with_reduction(Reduction reduction, Fn&& fn) {
  switch (reduction) {
    case Reduction::None: fn(std::integral_constant<Reduction, Reduction::None>{}); return;
    case Reduction::Add: fn(std::integral_constant<Reduction, Reduction::Add>{}); return;
    case Reduction::Mul: fn(std::integral_constant<Reduction, Reduction::Mul>{}); return;
    case Reduction::Max: fn(std::integral_constant<Reduction, Reduction::Max>{}); return;
    case Reduction::Min: fn(std::integral_constant<Reduction, Reduction::Min>{}); return;
  }
}

template <typename T>
constexpr bool is_half_v = std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

template <Reduction R, typename T>
inline T combine(T current, T update) {
  if constexpr (R == Reduction::None) {
    return update;
  } else if constexpr (is_half_v<T>) {  // 16-bit floats: compute in float, store rounded
    const float a = static_cast<float>(to_double(current)), b = static_cast<float>(to_double(update));
    float r;
    if constexpr (R == Reduction::Add) r = a + b;
    else if constexpr (R == Reduction::Mul) r = a * b;
    else if constexpr (R == Reduction::Max) r = b > a ? b : a;
    else r = b < a ? b : a;
    return convert_element<T>(r);
  } else if constexpr (R == Reduction::Max) {
    return update > current ? update : current;
  } else if constexpr (R == Reduction::Min) {
    return update < current ? update : current;
  } else if constexpr (std::is_integral_v<T>) {  // wraps like the hardware, without signed-overflow UB
    using U = std::make_unsigned_t<T>;
    const U a = static_cast<U>(current), b = static_cast<U>(update);
    return static_cast<T>(R == Reduction::Add ? static_cast<U>(a + b) : static_cast<U>(a * b));
  } else {
    return R == Reduction::Add ? current + update : current * update;
  }
}

// Calls fn(data_tag, reduction_constant) with `dtype` as a dispatch tag and `reduction` as a
// compile-time constant, for the pairs op_shapes lets through (bool has no add/mul).
template <typename Fn>
void dispatch_scatter(DType dtype, Reduction reduction, Fn&& fn) {
  dispatch_all(dtype, [&](auto data_tag) {
    using T = typename decltype(data_tag)::type;
    with_reduction(reduction, [&](auto reduction_constant) {
      constexpr Reduction R = decltype(reduction_constant)::value;
      if constexpr (std::is_same_v<T, bool> && (R == Reduction::Add || R == Reduction::Mul))
        fail_internal("bool scatter reduction should have been rejected");
      else
        fn(data_tag, reduction_constant);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// ScatterElements

std::vector<Tensor> scatter_elements_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const Tensor& updates = require_input(node, inputs, 2);
  const op_shapes::ScatterElementsLayout checked = op_shapes::scatter_elements_layout(node, data, indices, updates);
  const int64_t axis = checked.axis;
  const Reduction reduction = parse_reduction(checked.reduction);
  const ElementsLayout layout = elements_layout(data, indices, axis);

  Tensor out = data.clone();
  dispatch_index(node, indices, [&](auto index_tag) {
    using I = typename decltype(index_tag)::type;
    const I* idx = indices.data<I>();
    check_indices(node, indices, idx, layout.extent, cat("axis ", axis, " of data ", data.describe()));
    if (indices.numel() == 0) return;
    // Work splits into lanes over (outer position, block of inner positions). Two positions that
    // differ outside the axis never hit the same element, so lanes are independent, and each
    // lane walks the axis in order: every element sees its updates in index order.
    const int threads = omp_get_max_threads();
    const int64_t block = std::min<int64_t>(
        layout.inner,
        std::max<int64_t>(16, (layout.outer * layout.inner + 8 * threads - 1) / (8 * int64_t{threads})));
    const int64_t blocks_per_outer = (layout.inner + block - 1) / block;
    const int64_t lanes = layout.outer * blocks_per_outer;
    const bool parallel = lanes > 1 && indices.numel() * static_cast<int64_t>(dtype_size(data.dtype())) >= kParallelMinBytes;
    dispatch_scatter(data.dtype(), reduction, [&](auto data_tag, auto reduction_constant) {
      using T = typename decltype(data_tag)::type;
      constexpr Reduction R = decltype(reduction_constant)::value;
      const T* upd = updates.data<T>();
      T* dst = out.data<T>();
#pragma omp parallel for schedule(static) if (parallel)
      for (int64_t lane = 0; lane < lanes; ++lane) {
        const int64_t o = lane / blocks_per_outer;
        const int64_t i_begin = (lane % blocks_per_outer) * block;
        const int64_t i_end = std::min(layout.inner, i_begin + block);
        const int64_t base = layout.outer_offset[static_cast<size_t>(o)];
        for (int64_t j = 0; j < layout.along; ++j) {
          const int64_t row = (o * layout.along + j) * layout.inner;
          for (int64_t i = i_begin; i < i_end; ++i) {
            const int64_t p = row + i;
            const int64_t target = base + wrap_index(idx[p], layout.extent) * layout.axis_stride +
                                   layout.inner_offset[static_cast<size_t>(i)];
            dst[target] = combine<R>(dst[target], upd[p]);
          }
        }
      }
    });
  });
  return {out};
}

// ---------------------------------------------------------------------------------------------
// GatherND / ScatterND: the last dim of indices holds k coordinates into the leading dims of
// data (after `batch_dims` shared batch dims); each tuple addresses a slice of the rest.

// Data offsets (in elements, relative to the batch) of every index tuple, validated.
template <typename I>
std::vector<int64_t> tuple_offsets(const ir::Node& node, const Tensor& indices, const I* idx, const Dims& data_shape,
                                   size_t first_dim, int64_t k, int64_t tuples) {
  const auto strides = contiguous_strides(data_shape);
  std::vector<int64_t> offsets(static_cast<size_t>(tuples), 0);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = 0;
    for (int64_t c = 0; c < k; ++c) {
      const size_t d = first_dim + static_cast<size_t>(c);
      const int64_t extent = data_shape[d];
      const int64_t p = t * k + c;
      const int64_t v = static_cast<int64_t>(idx[p]);
      if (v < -extent || v >= extent)
        fail_input(node.describe(), ": index ", v, " at position ", position_in(p, indices.shape()), " of indices ",
                   indices.describe(), " is out of range for dimension ", d, " of data ", shape_to_string(data_shape),
                   " (valid range [", -extent, ", ", extent - 1, "])");
      offset += wrap_index(v, extent) * strides[d];
    }
    offsets[static_cast<size_t>(t)] = offset;
  }
  return offsets;
}

std::vector<Tensor> gather_nd_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const op_shapes::GatherNdLayout layout = op_shapes::gather_nd_layout(node, data, indices);
  const int64_t b = layout.batch_dims, k = layout.k;
  const Dims& ds = data.shape();
  Tensor out(data.dtype(), layout.output_shape);

  const int64_t batches = product(ds, 0, static_cast<size_t>(b));
  const int64_t tuples_per_batch = product(indices.shape(), static_cast<size_t>(b), indices.shape().size() - 1);
  const int64_t slice = product(ds, static_cast<size_t>(b + k), ds.size());
  const int64_t batch_stride = product(ds, static_cast<size_t>(b), ds.size());
  const size_t elem = dtype_size(data.dtype());
  const size_t slice_bytes = static_cast<size_t>(slice) * elem;
  dispatch_index(node, indices, [&](auto tag) {
    using I = typename decltype(tag)::type;
    const int64_t tuples = batches * tuples_per_batch;
    // Tuples are validated and resolved against one batch's shape (they are batch-relative).
    const auto offsets = tuple_offsets(node, indices, indices.data<I>(), ds, static_cast<size_t>(b), k, tuples);
    if (out.numel() == 0) return;
    const uint8_t* src = bytes_of(data);
    uint8_t* dst = bytes_of(out);
    const bool parallel = static_cast<int64_t>(out.nbytes()) >= kParallelMinBytes;
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t t = 0; t < tuples; ++t) {
      const int64_t offset = (t / tuples_per_batch) * batch_stride + offsets[static_cast<size_t>(t)];
      std::memcpy(dst + static_cast<size_t>(t) * slice_bytes, src + static_cast<size_t>(offset) * elem, slice_bytes);
    }
  });
  return {out};
}

std::vector<Tensor> scatter_nd_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  const Tensor& indices = require_input(node, inputs, 1);
  const Tensor& updates = require_input(node, inputs, 2);
  const op_shapes::ScatterNdLayout layout = op_shapes::scatter_nd_layout(node, data, indices, updates);
  const int64_t k = layout.k;
  const Reduction reduction = parse_reduction(layout.reduction);

  Tensor out = data.clone();
  const int64_t tuples = product(indices.shape(), 0, indices.shape().size() - 1);
  const int64_t slice = product(data.shape(), static_cast<size_t>(k), data.shape().size());
  dispatch_index(node, indices, [&](auto index_tag) {
    using I = typename decltype(index_tag)::type;
    const auto offsets = tuple_offsets(node, indices, indices.data<I>(), data.shape(), 0, k, tuples);
    if (tuples == 0 || slice == 0) return;
    dispatch_scatter(data.dtype(), reduction, [&](auto data_tag, auto reduction_constant) {
      using T = typename decltype(data_tag)::type;
      constexpr Reduction R = decltype(reduction_constant)::value;
      const T* upd = updates.data<T>();
      T* dst = out.data<T>();
      // Tuples may repeat, so threads split the slice, never the tuples: each thread owns a
      // range of slice positions and applies the tuples to it in order.
      const bool parallel = slice * static_cast<int64_t>(sizeof(T)) >= 4096 &&
                            tuples * slice * static_cast<int64_t>(sizeof(T)) >= kParallelMinBytes;
#pragma omp parallel if (parallel)
      {
        const int64_t n_threads = omp_get_num_threads(), me = omp_get_thread_num();
        const int64_t begin = slice * me / n_threads, end = slice * (me + 1) / n_threads;
        for (int64_t t = 0; t < tuples; ++t) {
          T* target = dst + offsets[static_cast<size_t>(t)];
          const T* source = upd + t * slice;
          for (int64_t s = begin; s < end; ++s) target[s] = combine<R>(target[s], source[s]);
        }
      }
    });
  });
  return {out};
}

// ---------------------------------------------------------------------------------------------
// NonZero

std::vector<Tensor> non_zero_kernel(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  const Tensor& data = require_input(node, inputs, 0);
  // A scalar is treated as a 1-element vector, as ONNX Runtime and NumPy's at-least-1-D rule do.
  const Dims shape = data.rank() == 0 ? Dims{1} : data.shape();
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t n = data.numel();
  std::vector<uint8_t> nonzero(static_cast<size_t>(n));
  dispatch_all(data.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* values = data.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, bool>) nonzero[static_cast<size_t>(i)] = values[i];
      else if constexpr (is_half_v<T>) nonzero[static_cast<size_t>(i)] = to_double(values[i]) != 0.0;
      else nonzero[static_cast<size_t>(i)] = values[i] != T(0);
    }
  });
  int64_t count = 0;
  for (uint8_t v : nonzero) count += v;
  Tensor out(DType::Int64, {rank, count});
  int64_t* coords = out.data<int64_t>();
  int64_t column = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!nonzero[static_cast<size_t>(i)]) continue;
    int64_t rest = i;
    for (int64_t d = rank - 1; d >= 0; --d) {
      coords[d * count + column] = rest % shape[static_cast<size_t>(d)];
      rest /= shape[static_cast<size_t>(d)];
    }
    ++column;
  }
  return {out};
}

}  // namespace

void register_index_kernels(KernelRegistry& registry) {
  registry.add("Gather", gather_kernel);
  registry.add("GatherElements", gather_elements_kernel);
  registry.add("GatherND", gather_nd_kernel);
  registry.add("ScatterElements", scatter_elements_kernel);
  registry.add("ScatterND", scatter_nd_kernel);
  registry.add("NonZero", non_zero_kernel);
}

}  // namespace gnnrt::cpu

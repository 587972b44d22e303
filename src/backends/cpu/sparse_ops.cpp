// CPU reference kernels of gnnrt's sparse ops (semantics: backends/op_shapes/sparse.h):
// CsrFromCoo, a stable counting sort of the edge list by target, and SpMM, the fused
// message-passing aggregation the lifting pass puts in place of gather -> scale -> scatter-add.
//
// An int8 X (INT8 engines) is gathered as int8 and summed in fp32, scaled by x_scale once per
// output row (per tensor) or by each source row's x_row_scale with its edge weight (per row); the
// output is then float32.
//
// SpMM runs rows in parallel; each row is summed by one thread in CSR order, so results are
// bit-identical whatever the thread count. Every index is checked before it is used.
#include "core/openmp.h"

#include <algorithm>
#include <limits>

#include "backends/cpu/kernel_registry.h"
#include "backends/op_shapes/sparse.h"
#include "core/dispatch.h"
#include "core/half.h"

namespace gnnrt::cpu {
namespace {

std::vector<Tensor> csr_from_coo(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  using namespace op_shapes::csr_from_coo;
  const op_shapes::CsrFromCooLayout layout = op_shapes::csr_from_coo_layout(node, inputs);
  const int64_t rows = layout.num_rows, edges = layout.num_edges;
  const int64_t* src = inputs[kSrc]->data<int64_t>();
  const int64_t* dst = inputs[kDst]->data<int64_t>();

  // Check every index first, and count the edges of each row.
  std::vector<int64_t> counts(static_cast<size_t>(rows) + 1, 0);
  for (int64_t e = 0; e < edges; ++e) {
    int64_t target = dst[e];
    if (target < -rows || target >= rows)
      fail_input("dst[", e, "] = ", target, " is out of range: valid row indices are in [", -rows, ", ", rows,
                 ") for ", rows, " rows (an edge refers to a node that does not exist)");
    if (src[e] < std::numeric_limits<int32_t>::min() || src[e] > std::numeric_limits<int32_t>::max())
      fail_input("src[", e, "] = ", src[e], " is out of the int32 range a CSR column index holds");
    if (target < 0) target += rows;
    ++counts[static_cast<size_t>(target) + 1];
  }
  Tensor row_ptr(DType::Int32, {rows + 1});
  int32_t* offsets = row_ptr.data<int32_t>();
  for (int64_t r = 0; r < rows; ++r) counts[static_cast<size_t>(r) + 1] += counts[static_cast<size_t>(r)];
  for (int64_t r = 0; r <= rows; ++r) offsets[r] = static_cast<int32_t>(counts[static_cast<size_t>(r)]);

  Tensor col(DType::Int32, {edges});
  Tensor sorted_values;
  const float* values = layout.has_values ? inputs[kValues]->data<float>() : nullptr;  // nullptr when E = 0
  float* sorted = nullptr;
  if (layout.has_values) {
    sorted_values = Tensor(DType::Float32, {edges});
    sorted = sorted_values.data<float>();
  }
  int32_t* columns = col.data<int32_t>();
  // Stable: edges of one row keep their order in the list (counts[] now holds each row's start).
  for (int64_t e = 0; e < edges; ++e) {
    const int64_t target = dst[e] < 0 ? dst[e] + rows : dst[e];
    const int64_t slot = counts[static_cast<size_t>(target)]++;
    columns[slot] = static_cast<int32_t>(src[e]);
    if (sorted) sorted[slot] = values[e];
  }
  std::vector<Tensor> outputs{row_ptr, col};
  if (node.outputs.size() > kSortedValues) outputs.push_back(sorted_values);
  return outputs;
}

template <typename T>
float load(const T& value) {
  if constexpr (std::is_same_v<T, float16_t>) return half_to_float(value);
  else if constexpr (std::is_same_v<T, bfloat16_t>) return bfloat16_to_float(value);
  else return value;
}

template <typename T>
T store(float value) {
  if constexpr (std::is_same_v<T, float16_t>) return float_to_half(value);
  else if constexpr (std::is_same_v<T, bfloat16_t>) return float_to_bfloat16(value);
  else return value;
}

const float* optional_floats(const KernelInputs& inputs, size_t index) {
  const Tensor* tensor = optional_input(inputs, index);
  return tensor ? tensor->data<float>() : nullptr;
}

template <typename T, typename Out = T>
void spmm_rows(const op_shapes::SpmmLayout& layout, const KernelInputs& inputs, Tensor& output) {
  using namespace op_shapes::spmm;
  const T* x = inputs[kX]->data<T>();
  const int32_t* row_ptr = inputs[kRowPtr]->data<int32_t>();
  const int32_t* col = inputs[kCol]->data<int32_t>();
  const float* values = optional_floats(inputs, kValues);
  const float* row_scale = optional_floats(inputs, kRowScale);
  const float* col_scale = optional_floats(inputs, kColScale);
  const float* bias = optional_floats(inputs, kBias);
  const float* x_row_scale = optional_floats(inputs, kXRowScale);
  const int64_t width = layout.width, cols = layout.num_cols;
  const bool relu = layout.activation == op_shapes::SpmmActivation::Relu;
  Out* y = output.data<Out>();

  // Rows go out 256 at a time, so a matrix of one chunk runs on one thread anyway: without a team,
  // it skips waking the others and waiting for them (the whole cost on a molecule-sized graph).
  // Each row's sum is the same whichever thread computes it.
  constexpr int64_t kRowsPerChunk = 256;
#pragma omp parallel if (layout.num_rows > kRowsPerChunk)
  {
    std::vector<float> sum(static_cast<size_t>(width));
#pragma omp for schedule(dynamic, kRowsPerChunk)
    for (int64_t row = 0; row < layout.num_rows; ++row) {
      std::fill(sum.begin(), sum.end(), 0.0f);
      for (int64_t e = row_ptr[row]; e < row_ptr[row + 1]; ++e) {
        const int64_t c = col[e] < 0 ? col[e] + cols : col[e];  // checked before the kernel ran
        float weight = values ? values[e] : 1.0f;
        if (col_scale) weight *= col_scale[c];
        if (x_row_scale) weight *= x_row_scale[c];  // an int8 row's own scale
        const T* source = x + c * width;
        for (int64_t f = 0; f < width; ++f) sum[static_cast<size_t>(f)] += weight * load(source[f]);
      }
      // An empty row stays 0 whatever its scale (inf * 0 would be NaN); see op_shapes/sparse.h.
      const bool empty = row_ptr[row] == row_ptr[row + 1];
      const float scale = row_scale && !empty ? row_scale[row] : 1.0f;
      Out* target = y + row * width;
      for (int64_t f = 0; f < width; ++f) {
        const float total = sum[static_cast<size_t>(f)] * layout.x_scale;  // exact for float X (scale 1)
        float v = (layout.divide_by_row_scale ? total / scale : scale * total) + (bias ? bias[f] : 0.0f);
        if (relu) v = std::max(v, 0.0f);
        target[f] = store<Out>(v);
      }
    }
  }
}

std::vector<Tensor> spmm(const ir::Node& node, const KernelInputs& inputs, KernelContext&) {
  using namespace op_shapes::spmm;
  const op_shapes::SpmmLayout layout = op_shapes::spmm_layout(node, inputs);
  const int32_t* row_ptr = inputs[kRowPtr]->data<int32_t>();
  const int32_t* col = inputs[kCol]->data<int32_t>();
  // row_ptr comes from CsrFromCoo in graphs gnnrt builds, but an engine file may feed the SpMM
  // anything: a malformed matrix is the file's fault, and refused before a row is read.
  if (row_ptr[0] != 0 || row_ptr[layout.num_rows] != layout.num_edges)
    fail_input(node.describe(), ": row_ptr must run from 0 to the ", layout.num_edges, " column indices, got ",
               row_ptr[0], " to ", row_ptr[layout.num_rows]);
  for (int64_t r = 0; r < layout.num_rows; ++r)
    if (row_ptr[r] > row_ptr[r + 1])
      fail_input(node.describe(), ": row_ptr decreases at row ", r, " (", row_ptr[r], " then ", row_ptr[r + 1], ")");
  for (int64_t e = 0; e < layout.num_edges; ++e)
    if (col[e] < -layout.num_cols || col[e] >= layout.num_cols)
      fail_input("source index ", col[e], " is out of range: valid indices are in [", -layout.num_cols, ", ",
                 layout.num_cols, ") for X with ", layout.num_cols, " rows (an edge refers to a node that does not exist)");
  const DType dtype = inputs[kX]->dtype();
  Tensor output(dtype == DType::Int8 ? DType::Float32 : dtype, {layout.num_rows, layout.width});
  if (dtype == DType::Int8) spmm_rows<int8_t, float>(layout, inputs, output);
  else if (dtype == DType::Float32) spmm_rows<float>(layout, inputs, output);
  else if (dtype == DType::Float16) spmm_rows<float16_t>(layout, inputs, output);
  else spmm_rows<bfloat16_t>(layout, inputs, output);
  return {output};
}

}  // namespace

void register_sparse_kernels(KernelRegistry& registry) {
  registry.add("CsrFromCoo", csr_from_coo);
  registry.add("SpMM", spmm);
}

}  // namespace gnnrt::cpu

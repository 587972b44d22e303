#include "backends/op_shapes/linear_algebra.h"

#include <algorithm>
#include <string>

namespace gnnrt::op_shapes {

void require_numeric(const ir::Node& node, const Tensor& t, const char* name) {
  if (t.dtype() == DType::Bool)
    fail_input(node.describe(), ": input ", name, " is ", t.describe(), "; bool is not a numeric type here");
}

MatMulShape matmul_shape(const ir::Node& node, const Tensor& a, const Tensor& b) {
  if (a.rank() == 0 || b.rank() == 0)
    fail_input(node.describe(), ": inputs must have rank >= 1, got A ", a.describe(), " and B ", b.describe());
  // numpy promotion: a 1-D A is a row [1, K], a 1-D B a column [K, 1]; the added dim is dropped after.
  Dims a_shape = a.shape(), b_shape = b.shape();
  const bool a_vector = a_shape.size() == 1, b_vector = b_shape.size() == 1;
  if (a_vector) a_shape.insert(a_shape.begin(), 1);
  if (b_vector) b_shape.push_back(1);
  MatMulShape shape;
  shape.m = a_shape[a_shape.size() - 2];
  shape.k = a_shape.back();
  shape.n = b_shape.back();
  if (b_shape[b_shape.size() - 2] != shape.k)
    fail_input(node.describe(), ": cannot multiply A ", a.describe(), " by B ", b.describe(), " (A has ", shape.k,
               " columns, B has ", b_shape[b_shape.size() - 2], " rows)");

  // Broadcast the batch dims (everything but the last two).
  shape.a_batch.assign(a_shape.begin(), a_shape.end() - 2);
  shape.b_batch.assign(b_shape.begin(), b_shape.end() - 2);
  const Dims& a_batch = shape.a_batch;
  const Dims& b_batch = shape.b_batch;
  const size_t batch_rank = std::max(a_batch.size(), b_batch.size());
  shape.batch.resize(batch_rank);
  for (size_t i = 0; i < batch_rank; ++i) {
    const int64_t da = i + a_batch.size() >= batch_rank ? a_batch[i + a_batch.size() - batch_rank] : 1;
    const int64_t db = i + b_batch.size() >= batch_rank ? b_batch[i + b_batch.size() - batch_rank] : 1;
    if (da != db && da != 1 && db != 1)
      fail_input(node.describe(), ": batch dimensions of A ", a.describe(), " and B ", b.describe(),
                 " do not broadcast (", da, " vs ", db, ")");
    shape.batch[i] = da == 1 ? db : da;
  }
  shape.output_shape = shape.batch;
  if (!a_vector) shape.output_shape.push_back(shape.m);
  if (!b_vector) shape.output_shape.push_back(shape.n);
  return shape;
}

std::vector<int64_t> MatMulShape::batch_offsets(const Dims& own, int64_t matrix_size) const {
  const size_t batch_rank = batch.size();
  const int64_t batch_count = element_count(batch);
  std::vector<int64_t> stride(batch_rank, 0);
  int64_t s = matrix_size;
  for (size_t i = own.size(); i-- > 0;) {
    const size_t o = i + batch_rank - own.size();
    stride[o] = own[i] == 1 ? 0 : s;
    s *= own[i];
  }
  std::vector<int64_t> offsets(static_cast<size_t>(batch_count));
  for (int64_t bi = 0; bi < batch_count; ++bi) {
    int64_t rest = bi, offset = 0;
    for (size_t d = batch_rank; d-- > 0;) {
      offset += (rest % batch[d]) * stride[d];
      rest /= batch[d];
    }
    offsets[static_cast<size_t>(bi)] = offset;
  }
  return offsets;
}

void check_gemm_operands(const ir::Node& node, const Tensor& a, const Tensor& b, const Tensor* c) {
  if (a.rank() != 2 || b.rank() != 2)
    fail_input(node.describe(), ": A and B must be 2-D, got A ", a.describe(), " and B ", b.describe());
  if (a.dtype() != b.dtype() || (c && c->dtype() != a.dtype()))
    fail_input(node.describe(), ": inputs must share one dtype, got A ", a.describe(), ", B ", b.describe(),
               c ? cat(", C ", c->describe()) : std::string());
}

GemmShape gemm_shape(const ir::Node& node, const Tensor& a, const Tensor& b, const Tensor* c) {
  GemmShape shape;
  shape.trans_a = node.attr_int("transA", 0) != 0;
  shape.trans_b = node.attr_int("transB", 0) != 0;
  shape.alpha = node.attr_float("alpha", 1.0f);
  shape.beta = node.attr_float("beta", 1.0f);
  const bool trans_a = shape.trans_a, trans_b = shape.trans_b;
  const int64_t m = trans_a ? a.dim(1) : a.dim(0), k = trans_a ? a.dim(0) : a.dim(1);
  const int64_t kb = trans_b ? b.dim(1) : b.dim(0), n = trans_b ? b.dim(0) : b.dim(1);
  if (k != kb)
    fail_input(node.describe(), ": op(A) is [", m, ", ", k, "] but op(B) is [", kb, ", ", n, "] (A ", a.describe(),
               " transA=", trans_a, ", B ", b.describe(), " transB=", trans_b, ")");
  shape.m = m;
  shape.n = n;
  shape.k = k;
  // C broadcasts one way to [M, N]: each of its trailing dims is 1 or the matching size.
  if (c) {
    const Dims& cs = c->shape();
    const bool ok = cs.size() <= 2 && (cs.empty() || cs.back() == 1 || cs.back() == n) &&
                    (cs.size() < 2 || cs[0] == 1 || cs[0] == m);
    if (!ok) fail_input(node.describe(), ": C ", c->describe(), " does not broadcast to the output [", m, ", ", n, "]");
    shape.c_cols = cs.empty() ? 1 : cs.back();
    shape.c_rows = cs.size() < 2 ? 1 : cs[0];
  }
  return shape;
}

}  // namespace gnnrt::op_shapes

#include "ir/shape_inference.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string_view>

#include "ir/symbolic_dims.h"

namespace gnnrt::ir {

namespace {

using Shape = std::vector<Dim>;
using MaybeInt = std::optional<SymInt>;

// Int tensors up to this many elements are tracked as shape values; shapes, axes and pads are
// far smaller, and anything larger is data, not a shape.
constexpr size_t kMaxShapeValueElements = 64;

std::string shape_text(const Shape& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + shape[i].to_string();
  return text + "]";
}

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

// A rank-0 or rank-1 integer (or bool) tensor whose elements are known symbolically: the result
// of Shape, Size, a small constant, or arithmetic on those. Unknown elements are nullopt.
struct ShapeValue {
  std::vector<MaybeInt> elements;
  bool scalar = false;

  std::optional<std::vector<int64_t>> constants() const {
    std::vector<int64_t> values;
    for (const MaybeInt& element : elements) {
      if (!element || !element->is_constant()) return std::nullopt;
      values.push_back(element->constant_value());
    }
    return values;
  }
};

// Small integer constants (initializers, Constant nodes) are shape values: axes, pads, indices.
std::optional<ShapeValue> shape_value_of_constant(const Tensor& tensor) {
  if (!tensor.defined() || tensor.rank() > 1 || static_cast<size_t>(tensor.numel()) > kMaxShapeValueElements) return std::nullopt;
  if (!is_integer(tensor.dtype()) && tensor.dtype() != DType::Bool) return std::nullopt;
  ShapeValue value;
  value.scalar = tensor.rank() == 0;
  for (int64_t i = 0; i < tensor.numel(); ++i) value.elements.push_back(SymInt::constant(tensor.scalar_as_int(i)));
  return value;
}

// State shared by a graph and its subgraphs during one infer_shapes call.
struct InferenceState {
  std::set<std::string> fresh_symbols;
  // Data-dependent sizes by what computes them ("NonZero(mask)"): the exporters repeat NonZero on
  // one mask for every tensor they filter, and those sizes must come out equal.
  std::map<std::string, std::string> symbol_by_computation;
  ShapeInferenceReport report;
};

// One graph being inferred, with the graphs enclosing it (values of outer graphs are visible in
// If branches by name).
class Scope {
 public:
  Scope(Graph& graph, const Scope* parent, InferenceState& state) : graph(graph), parent(parent), state(state) {
    for (const auto& [name, tensor] : graph.initializers)
      if (auto value = shape_value_of_constant(tensor)) shape_values[name] = std::move(*value);
  }

  std::optional<ValueType> type_of(const std::string& name) const {
    for (const Scope* scope = this; scope; scope = scope->parent)
      if (auto type = scope->graph.type_of(name)) return type;
    return std::nullopt;
  }

  const ShapeValue* shape_value(const std::string& name) const {
    for (const Scope* scope = this; scope; scope = scope->parent)
      if (auto it = scope->shape_values.find(name); it != scope->shape_values.end()) return &it->second;
    return nullptr;
  }

  Graph& graph;
  const Scope* parent;
  InferenceState& state;
  std::map<std::string, ShapeValue> shape_values;
};

void infer_graph(Scope& scope);

// What one node's inference sees and produces.
class NodeInference {
 public:
  NodeInference(const Node& node, Scope& scope) : node(node), scope(scope) {
    outputs.resize(node.outputs.size());
    output_values.resize(node.outputs.size());
    for (size_t i = 0; i < node.inputs.size(); ++i)
      input_types.push_back(node.inputs[i].empty() ? std::nullopt : scope.type_of(node.inputs[i]));
  }

  bool has_input(size_t i) const { return node.has_input(i); }
  const std::optional<ValueType>& input_type(size_t i) const {
    static const std::optional<ValueType> none;
    return i < input_types.size() ? input_types[i] : none;
  }
  DType input_dtype(size_t i) const { return input_type(i) ? input_type(i)->dtype : DType::Undefined; }
  // nullptr when the rank is unknown.
  const Shape* input_shape(size_t i) const {
    const auto& type = input_type(i);
    return type && type->shape ? &*type->shape : nullptr;
  }
  const ShapeValue* input_value(size_t i) const {
    return has_input(i) ? scope.shape_value(node.inputs[i]) : nullptr;
  }
  std::optional<std::vector<int64_t>> input_constants(size_t i) const {
    const ShapeValue* value = input_value(i);
    return value ? value->constants() : std::nullopt;
  }
  // The length of a 1-D shape-like input (a target shape, axes), from its shape value or its type;
  // nullopt when unknown or too long to be a rank or an axis list.
  std::optional<int64_t> input_length(size_t i) const {
    if (const ShapeValue* value = input_value(i); value && !value->scalar)
      return static_cast<int64_t>(value->elements.size());
    const Shape* shape = input_shape(i);
    if (shape && shape->size() == 1 && (*shape)[0].is_known() &&
        (*shape)[0].size <= static_cast<int64_t>(kMaxShapeValueElements))
      return (*shape)[0].size;
    return std::nullopt;
  }
  std::string describe_input(size_t i) const {
    std::string text = cat("input ", i, " '", i < node.inputs.size() ? node.inputs[i] : "", "'");
    const auto& type = input_type(i);
    return text + " " + (type ? type->to_string() : "of unknown type");
  }

  template <typename... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    fail_input(node.describe(), ": ", std::forward<Parts>(parts)...);
  }

  // Normalises a possibly negative axis against a known rank; out of range is a provable error.
  int64_t normalize_axis(int64_t axis, int64_t rank) const {
    if (axis < -rank || axis >= rank)
      fail("axis ", axis, " is out of range for rank ", rank, " (expected ", -rank, " to ", rank - 1, ")");
    return axis < 0 ? axis + rank : axis;
  }

  // A new symbol for a size that depends on data, named after the node ("nonzero_conv1_NonZero");
  // the same op over the same inputs gets the same symbol again.
  std::string fresh_symbol(std::string_view prefix) const {
    // NonZero and Range have no attributes: the op and its inputs determine the size.
    std::string computation = std::string(prefix) + ":" + node.op_type + "(";
    for (const std::string& input : node.inputs) computation += input + ",";
    computation += ")";
    if (auto it = scope.state.symbol_by_computation.find(computation); it != scope.state.symbol_by_computation.end())
      return it->second;
    std::string base(prefix);
    base += "_";
    for (char c : node.name) {
      const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      if (plain) base += c;
      else if (base.back() != '_') base += '_';
    }
    while (base.size() > prefix.size() + 1 && base.back() == '_') base.pop_back();
    std::string name = base;
    for (int suffix = 2; scope.state.fresh_symbols.count(name); ++suffix) name = cat(base, "_", suffix);
    scope.state.fresh_symbols.insert(name);
    scope.state.symbol_by_computation.emplace(computation, name);
    return name;
  }

  void set_output(size_t i, DType dtype, std::optional<Shape> shape) {
    if (i >= outputs.size()) return;
    outputs[i].dtype = dtype;
    outputs[i].shape = std::move(shape);
  }
  void set_output_value(size_t i, ShapeValue value) {
    if (i < output_values.size() && value.elements.size() <= kMaxShapeValueElements) output_values[i] = std::move(value);
  }

  // Numpy broadcasting of the given inputs' shapes; nullopt when a rank is unknown.
  std::optional<Shape> broadcast(const std::vector<size_t>& indices) const {
    Shape result;
    std::vector<size_t> source;  // which input gave each result dim, for the error message
    for (size_t index : indices) {
      if (!has_input(index)) continue;
      const Shape* shape = input_shape(index);
      if (!shape) return std::nullopt;
      if (shape->size() > result.size()) {
        const size_t extra = shape->size() - result.size();
        result.insert(result.begin(), extra, Dim::known(1));
        source.insert(source.begin(), extra, index);
      }
      const size_t offset = result.size() - shape->size();
      for (size_t d = 0; d < shape->size(); ++d) {
        const Dim& dim = (*shape)[d];
        Dim& out = result[offset + d];
        auto merged = broadcast_dim(out, dim);
        if (!merged)
          fail("shapes do not broadcast: dim ", out.to_string(), " of ", describe_input(source[offset + d]), " vs dim ",
               dim.to_string(), " of ", describe_input(index));
        if (!(out == *merged)) source[offset + d] = index;
        out = *merged;
      }
    }
    return result;
  }

  // Broadcast of one pair of dims; nullopt on a provable mismatch (two known sizes, neither 1).
  static std::optional<Dim> broadcast_dim(const Dim& a, const Dim& b) {
    if (a == b) return a;
    if (a.is_known() && a.size == 1) return b;
    if (b.is_known() && b.size == 1) return a;
    if (a.is_known() && b.is_known()) return std::nullopt;
    // A known size k != 1 against a symbol or unknown: k is the only valid outcome.
    if (a.is_known()) return a;
    if (b.is_known()) return b;
    return Dim{};  // two different symbols, or a symbol and an unknown
  }

  const Node& node;
  Scope& scope;
  std::vector<std::optional<ValueType>> input_types;
  std::vector<ValueType> outputs;
  std::vector<std::optional<ShapeValue>> output_values;
};

// An integer list given either as an input (opset >= 13 style) or as an attribute (older).
struct IntsArgument {
  bool present = false;
  std::optional<std::vector<int64_t>> values;  // nullopt when present but not constant
};

IntsArgument ints_argument(const NodeInference& n, size_t input, const std::string& attribute) {
  if (n.has_input(input)) return {true, n.input_constants(input)};
  if (n.node.has_attribute(attribute)) return {true, n.node.attr_ints(attribute)};
  return {};
}

std::optional<Dim> dim_of(const MaybeInt& value) {
  if (!value) return Dim{};
  return value->to_dim();  // nullopt for a negative constant
}

// Merges two dims that must be equal (Concat's other axes, MatMul's inner dims); nullopt when they
// provably differ. A known size beats a symbol; of two symbols the first is kept.
std::optional<Dim> unify_dims(const Dim& a, const Dim& b) {
  if (a.is_known() && b.is_known()) return a.size == b.size ? std::optional<Dim>(a) : std::nullopt;
  if (a.is_known()) return a;
  if (b.is_known()) return b;
  if (a.is_symbolic()) return a;
  return b;
}

// ------------------------------------------------------------------------------------------
// Shape values: elementwise arithmetic on small int tensors.

std::optional<ShapeValue> elementwise_values(const NodeInference& n, const std::vector<size_t>& indices,
                                             MaybeInt (*combine)(const std::vector<MaybeInt>&)) {
  std::vector<const ShapeValue*> values;
  size_t length = 1;
  bool scalar = true;
  for (size_t index : indices) {
    const ShapeValue* value = n.input_value(index);
    if (!value) return std::nullopt;
    values.push_back(value);
    scalar = scalar && value->scalar;
    const size_t size = value->elements.size();
    if (size != 1) {
      if (length != 1 && length != size) return std::nullopt;
      length = size;
    }
  }
  ShapeValue result;
  result.scalar = scalar;
  for (size_t e = 0; e < length; ++e) {
    std::vector<MaybeInt> operands;
    for (const ShapeValue* value : values) operands.push_back(value->elements.size() == 1 ? value->elements[0] : value->elements[e]);
    result.elements.push_back(combine(operands));
  }
  return result;
}

MaybeInt combine_add(const std::vector<MaybeInt>& v) {
  return v[0] && v[1] ? SymInt::add(*v[0], *v[1]) : std::nullopt;
}
MaybeInt combine_sub(const std::vector<MaybeInt>& v) {
  return v[0] && v[1] ? SymInt::subtract(*v[0], *v[1]) : std::nullopt;
}
MaybeInt combine_mul(const std::vector<MaybeInt>& v) {
  return v[0] && v[1] ? SymInt::multiply(*v[0], *v[1]) : std::nullopt;
}
// Integer division truncates (as ONNX Div on ints); symbolic only when exact.
MaybeInt combine_div(const std::vector<MaybeInt>& v) {
  if (!v[0] || !v[1]) return std::nullopt;
  if (v[0]->is_constant() && v[1]->is_constant()) {
    const int64_t a = v[0]->constant_value(), b = v[1]->constant_value();
    if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1)) return std::nullopt;
    return SymInt::constant(a / b);
  }
  return SymInt::divide_exact(*v[0], *v[1]);
}
MaybeInt combine_max(const std::vector<MaybeInt>& v) {
  if (!v[0] || !v[1]) return std::nullopt;
  if (*v[0] == *v[1]) return v[0];
  if (v[0]->is_constant() && v[1]->is_constant()) return SymInt::constant(std::max(v[0]->constant_value(), v[1]->constant_value()));
  return std::nullopt;
}
MaybeInt combine_min(const std::vector<MaybeInt>& v) {
  if (!v[0] || !v[1]) return std::nullopt;
  if (*v[0] == *v[1]) return v[0];
  if (v[0]->is_constant() && v[1]->is_constant()) return SymInt::constant(std::min(v[0]->constant_value(), v[1]->constant_value()));
  return std::nullopt;
}
// Equal is decidable for equal expressions, for constants, and against a negative constant when
// the other side is a size (the TorchScript exporter's expand tests sizes against -1).
MaybeInt combine_equal(const std::vector<MaybeInt>& v) {
  if (!v[0] || !v[1]) return std::nullopt;
  if (*v[0] == *v[1]) return SymInt::constant(1);
  if (v[0]->is_constant() && v[1]->is_constant()) return SymInt::constant(0);
  for (int side = 0; side < 2; ++side) {
    const SymInt& constant = *v[side];
    const SymInt& other = *v[1 - side];
    if (constant.is_constant() && constant.constant_value() < 0 && other.is_nonnegative()) return SymInt::constant(0);
  }
  return std::nullopt;
}
MaybeInt combine_where(const std::vector<MaybeInt>& v) {
  if (!v[0] || !v[0]->is_constant()) return std::nullopt;
  return v[0]->constant_value() != 0 ? v[1] : v[2];
}
MaybeInt combine_not(const std::vector<MaybeInt>& v) {
  if (!v[0] || !v[0]->is_constant()) return std::nullopt;
  return SymInt::constant(v[0]->constant_value() == 0 ? 1 : 0);
}
MaybeInt combine_neg(const std::vector<MaybeInt>& v) {
  return v[0] ? SymInt::subtract(SymInt::constant(0), *v[0]) : std::nullopt;
}

// ------------------------------------------------------------------------------------------
// Elementwise ops.

void infer_same_as_input(NodeInference& n) {
  const auto& type = n.input_type(0);
  if (type) n.set_output(0, type->dtype, type->shape);
}

void infer_identity(NodeInference& n) {
  infer_same_as_input(n);
  if (const ShapeValue* value = n.input_value(0)) n.set_output_value(0, *value);
}

void infer_neg(NodeInference& n) {
  infer_same_as_input(n);
  if (auto value = elementwise_values(n, {0}, combine_neg)) n.set_output_value(0, *value);
}

void infer_not(NodeInference& n) {
  infer_same_as_input(n);
  if (auto value = elementwise_values(n, {0}, combine_not)) n.set_output_value(0, *value);
}

void infer_bool_of_input(NodeInference& n) {  // IsNaN, IsInf
  const Shape* shape = n.input_shape(0);
  n.set_output(0, DType::Bool, shape ? std::optional<Shape>(*shape) : std::nullopt);
}

std::vector<size_t> all_inputs(const NodeInference& n) {
  std::vector<size_t> indices;
  for (size_t i = 0; i < n.node.inputs.size(); ++i) indices.push_back(i);
  return indices;
}

DType first_known_dtype(const NodeInference& n, const std::vector<size_t>& indices) {
  for (size_t i : indices)
    if (n.input_dtype(i) != DType::Undefined) return n.input_dtype(i);
  return DType::Undefined;
}

template <MaybeInt (*Combine)(const std::vector<MaybeInt>&)>
void infer_arithmetic(NodeInference& n) {
  const auto indices = all_inputs(n);
  n.set_output(0, first_known_dtype(n, indices), n.broadcast(indices));
  if (indices.size() == 2)
    if (auto value = elementwise_values(n, indices, Combine)) n.set_output_value(0, *value);
}

void infer_broadcast_same_dtype(NodeInference& n) {  // Pow (dtype of the base), PRelu, Mod, Sum, Mean, BitShift
  n.set_output(0, n.input_dtype(0), n.broadcast(all_inputs(n)));
}

void infer_variadic_extremum(NodeInference& n, MaybeInt (*combine)(const std::vector<MaybeInt>&)) {
  const auto indices = all_inputs(n);
  n.set_output(0, first_known_dtype(n, indices), n.broadcast(indices));
  if (indices.size() == 2)
    if (auto value = elementwise_values(n, indices, combine)) n.set_output_value(0, *value);
}
void infer_max(NodeInference& n) { infer_variadic_extremum(n, combine_max); }
void infer_min(NodeInference& n) { infer_variadic_extremum(n, combine_min); }

void infer_comparison(NodeInference& n) {
  n.set_output(0, DType::Bool, n.broadcast({0, 1}));
  if (n.node.op_type == "Equal")
    if (auto value = elementwise_values(n, {0, 1}, combine_equal)) n.set_output_value(0, *value);
}

void infer_logical(NodeInference& n) { n.set_output(0, DType::Bool, n.broadcast({0, 1})); }

void infer_where(NodeInference& n) {
  n.set_output(0, first_known_dtype(n, {1, 2}), n.broadcast({0, 1, 2}));
  if (auto value = elementwise_values(n, {0, 1, 2}, combine_where)) n.set_output_value(0, *value);
}

void infer_cast(NodeInference& n) {
  const DType to = n.node.has_attribute("to") ? dtype_from_onnx(static_cast<int32_t>(n.node.attr_int("to", 0))) : DType::Undefined;
  const Shape* shape = n.input_shape(0);
  n.set_output(0, to, shape ? std::optional<Shape>(*shape) : std::nullopt);
  const ShapeValue* value = n.input_value(0);
  if (!value) return;
  if (to == DType::Bool) {
    ShapeValue truth = *value;
    for (MaybeInt& element : truth.elements)
      element = element && element->is_constant() ? MaybeInt(SymInt::constant(element->constant_value() != 0)) : std::nullopt;
    n.set_output_value(0, truth);
  } else if (to != DType::Undefined) {
    n.set_output_value(0, *value);  // integers survive a cast to any numeric type unchanged
  }
}

void infer_cast_like(NodeInference& n) {
  const Shape* shape = n.input_shape(0);
  n.set_output(0, n.input_dtype(1), shape ? std::optional<Shape>(*shape) : std::nullopt);
  if (const ShapeValue* value = n.input_value(0); value && n.input_dtype(1) != DType::Bool) n.set_output_value(0, *value);
}

void infer_dropout(NodeInference& n) {
  infer_same_as_input(n);
  const Shape* shape = n.input_shape(0);
  n.set_output(1, DType::Bool, shape ? std::optional<Shape>(*shape) : std::nullopt);
}

// ------------------------------------------------------------------------------------------
// Linear algebra.

void infer_matmul(NodeInference& n) {
  const Shape* a_shape = n.input_shape(0);
  const Shape* b_shape = n.input_shape(1);
  const DType dtype = first_known_dtype(n, {0, 1});
  if (!a_shape || !b_shape) return n.set_output(0, dtype, std::nullopt);
  if (a_shape->empty() || b_shape->empty())
    n.fail("MatMul does not take scalars: ", n.describe_input(0), ", ", n.describe_input(1));
  // Numpy semantics: a 1-D operand is a row (left) or column (right) vector that is dropped again.
  Shape a = *a_shape, b = *b_shape;
  const bool a_vector = a.size() == 1, b_vector = b.size() == 1;
  if (a_vector) a.insert(a.begin(), Dim::known(1));
  if (b_vector) b.push_back(Dim::known(1));
  const Dim& a_inner = a[a.size() - 1];
  const Dim& b_inner = b[b.size() - 2];
  if (!unify_dims(a_inner, b_inner))
    n.fail("MatMul inner dimensions differ: ", a_inner.to_string(), " in ", n.describe_input(0), " vs ",
           b_inner.to_string(), " in ", n.describe_input(1));
  // Batch dims broadcast.
  Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  const size_t batch_rank = std::max(a_batch.size(), b_batch.size());
  a_batch.insert(a_batch.begin(), batch_rank - a_batch.size(), Dim::known(1));
  b_batch.insert(b_batch.begin(), batch_rank - b_batch.size(), Dim::known(1));
  Shape out;
  for (size_t d = 0; d < batch_rank; ++d) {
    auto merged = NodeInference::broadcast_dim(a_batch[d], b_batch[d]);
    if (!merged) n.fail("MatMul batch dimensions do not broadcast: ", n.describe_input(0), " vs ", n.describe_input(1));
    out.push_back(*merged);
  }
  if (!a_vector) out.push_back(a[a.size() - 2]);
  if (!b_vector) out.push_back(b[b.size() - 1]);
  n.set_output(0, dtype, out);
}

void infer_gemm(NodeInference& n) {
  const Shape* a = n.input_shape(0);
  const Shape* b = n.input_shape(1);
  const DType dtype = first_known_dtype(n, {0, 1});
  if (!a || !b) return n.set_output(0, dtype, std::nullopt);
  if (a->size() != 2 || b->size() != 2)
    n.fail("Gemm takes 2-D inputs: ", n.describe_input(0), ", ", n.describe_input(1));
  const bool trans_a = n.node.attr_int("transA", 0) != 0, trans_b = n.node.attr_int("transB", 0) != 0;
  const Dim& m = (*a)[trans_a ? 1 : 0];
  const Dim& k_a = (*a)[trans_a ? 0 : 1];
  const Dim& k_b = (*b)[trans_b ? 1 : 0];
  const Dim& cols = (*b)[trans_b ? 0 : 1];
  if (!unify_dims(k_a, k_b))
    n.fail("Gemm inner dimensions differ: ", k_a.to_string(), " in ", n.describe_input(0), (trans_a ? " (transA)" : ""),
           " vs ", k_b.to_string(), " in ", n.describe_input(1), (trans_b ? " (transB)" : ""));
  Shape out{m, cols};
  // C must broadcast to [M, N] (unidirectionally: the output keeps [M, N]).
  if (const Shape* c = n.input_shape(2)) {
    if (c->size() > 2) n.fail("Gemm's C has rank ", c->size(), ", expected at most 2: ", n.describe_input(2));
    for (size_t d = 0; d < c->size(); ++d) {
      const Dim& cd = (*c)[c->size() - 1 - d];
      const Dim& od = out[1 - d];
      if (cd.is_known() && od.is_known() && cd.size != 1 && cd.size != od.size)
        n.fail("Gemm's C does not broadcast to [", m.to_string(), ", ", cols.to_string(), "]: ", n.describe_input(2));
    }
  }
  n.set_output(0, dtype, out);
}

// ------------------------------------------------------------------------------------------
// Indexing.

void infer_gather(NodeInference& n) {
  const Shape* data = n.input_shape(0);
  const Shape* indices = n.input_shape(1);
  const DType dtype = n.input_dtype(0);
  if (!data || !indices) {
    n.set_output(0, dtype, std::nullopt);
  } else {
    const int64_t rank = static_cast<int64_t>(data->size());
    if (rank == 0) n.fail("Gather needs data of rank >= 1: ", n.describe_input(0));
    const int64_t axis = n.normalize_axis(n.node.attr_int("axis", 0), rank);
    Shape out(data->begin(), data->begin() + axis);
    out.insert(out.end(), indices->begin(), indices->end());
    out.insert(out.end(), data->begin() + axis + 1, data->end());
    n.set_output(0, dtype, out);
  }
  // Picking elements of a shape value with constant indices (Shape(x)[0]).
  const ShapeValue* source = n.input_value(0);
  const ShapeValue* picks = n.input_value(1);
  if (!source || source->scalar || !picks) return;
  const auto constant_picks = picks->constants();
  if (!constant_picks) return;
  const int64_t length = static_cast<int64_t>(source->elements.size());
  ShapeValue result;
  result.scalar = picks->scalar;
  for (int64_t index : *constant_picks) {
    if (index < -length || index >= length)
      n.fail("index ", index, " is out of range for ", n.describe_input(0), " (", length, " elements)");
    result.elements.push_back(source->elements[static_cast<size_t>(index < 0 ? index + length : index)]);
  }
  n.set_output_value(0, result);
}

void infer_gather_elements(NodeInference& n) {
  const Shape* data = n.input_shape(0);
  const Shape* indices = n.input_shape(1);
  if (data && indices && data->size() != indices->size())
    n.fail("data and indices must have the same rank: ", n.describe_input(0), " vs ", n.describe_input(1));
  if (data) n.normalize_axis(n.node.attr_int("axis", 0), static_cast<int64_t>(data->size()));
  n.set_output(0, n.input_dtype(0), indices ? std::optional<Shape>(*indices) : std::nullopt);
}

void infer_gather_nd(NodeInference& n) {
  const Shape* data = n.input_shape(0);
  const Shape* indices = n.input_shape(1);
  const DType dtype = n.input_dtype(0);
  if (!data || !indices || indices->empty() || !indices->back().is_known()) return n.set_output(0, dtype, std::nullopt);
  const int64_t batch_dims = n.node.attr_int("batch_dims", 0);
  const int64_t index_depth = indices->back().size;
  const int64_t data_rank = static_cast<int64_t>(data->size());
  if (batch_dims < 0 || batch_dims > data_rank || index_depth > data_rank - batch_dims)
    n.fail("indices address ", index_depth, " dims after ", batch_dims, " batch dims, but ", n.describe_input(0), " has rank ",
           data_rank);
  Shape out(indices->begin(), indices->end() - 1);
  out.insert(out.end(), data->begin() + batch_dims + index_depth, data->end());
  n.set_output(0, dtype, out);
}

void infer_scatter(NodeInference& n) {  // ScatterElements, ScatterND, Scatter: the shape of data
  const Shape* data = n.input_shape(0);
  const Shape* indices = n.input_shape(1);
  const Shape* updates = n.input_shape(2);
  if (n.node.op_type != "ScatterND") {
    if (data && indices && data->size() != indices->size())
      n.fail("data and indices must have the same rank: ", n.describe_input(0), " vs ", n.describe_input(1));
    if (indices && updates && indices->size() != updates->size())
      n.fail("indices and updates must have the same rank: ", n.describe_input(1), " vs ", n.describe_input(2));
    if (data) n.normalize_axis(n.node.attr_int("axis", 0), static_cast<int64_t>(data->size()));
  }
  infer_same_as_input(n);
}

void infer_nonzero(NodeInference& n) {
  const Shape* shape = n.input_shape(0);
  // The count of non-zero elements depends on data: a fresh symbol.
  n.set_output(0, DType::Int64,
               Shape{shape ? Dim::known(static_cast<int64_t>(shape->size())) : Dim{}, Dim::named(n.fresh_symbol("nonzero"))});
}

// ------------------------------------------------------------------------------------------
// Shape manipulation.

void infer_shape(NodeInference& n) {
  const Shape* shape = n.input_shape(0);
  if (!shape) return n.set_output(0, DType::Int64, Shape{Dim{}});
  const int64_t rank = static_cast<int64_t>(shape->size());
  // Opset 15 start/end slice the dims, clamped.
  auto clamp_bound = [&](int64_t bound) { return std::clamp(bound < 0 ? bound + rank : bound, int64_t{0}, rank); };
  const int64_t start = clamp_bound(n.node.attr_int("start", 0));
  const int64_t end = clamp_bound(n.node.attr_int("end", rank));
  ShapeValue value;
  for (int64_t d = start; d < end; ++d) value.elements.push_back(SymInt::from_dim((*shape)[static_cast<size_t>(d)]));
  n.set_output(0, DType::Int64, Shape{Dim::known(static_cast<int64_t>(value.elements.size()))});
  n.set_output_value(0, value);
}

void infer_size(NodeInference& n) {
  n.set_output(0, DType::Int64, Shape{});
  const Shape* shape = n.input_shape(0);
  if (!shape) return;
  ShapeValue value;
  value.scalar = true;
  value.elements.push_back(SymInt::from_dim(dim_product(*shape)));
  n.set_output_value(0, value);
}

// The dims a shape value describes (ConstantOfShape, Expand); a negative constant is an error.
std::optional<Shape> dims_from_value(const NodeInference& n, size_t input) {
  if (const ShapeValue* value = n.input_value(input)) {
    Shape dims;
    for (const MaybeInt& element : value->elements) {
      auto dim = dim_of(element);
      if (!dim) n.fail("dimension ", element->to_string(), " in ", n.describe_input(input), " is negative");
      dims.push_back(*dim);
    }
    return dims;
  }
  if (auto length = n.input_length(input)) return Shape(static_cast<size_t>(*length), Dim{});
  return std::nullopt;
}

void infer_reshape(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  const bool allow_zero = n.node.attr_int("allowzero", 0) != 0;
  const ShapeValue* target = n.input_value(1);
  if (!target) {
    const auto length = n.input_length(1);
    return n.set_output(0, dtype, length ? std::optional<Shape>(Shape(static_cast<size_t>(*length), Dim{})) : std::nullopt);
  }
  Shape out;
  std::optional<size_t> inferred_axis;
  for (size_t i = 0; i < target->elements.size(); ++i) {
    const MaybeInt& element = target->elements[i];
    if (element && element->is_constant()) {
      const int64_t value = element->constant_value();
      if (value == 0 && !allow_zero) {  // 0 copies the input's dim at the same index
        if (input && i >= input->size())
          n.fail("target shape copies dim ", i, " (a 0) but ", n.describe_input(0), " has rank ", input->size());
        out.push_back(input ? (*input)[i] : Dim{});
        continue;
      }
      if (value == -1) {
        if (inferred_axis) n.fail("target shape has more than one -1: ", n.describe_input(1));
        inferred_axis = i;
        out.push_back(Dim{});
        continue;
      }
      if (value < -1) n.fail("target shape has a negative dim ", value, ": ", n.describe_input(1));
    }
    out.push_back(dim_of(element).value_or(Dim{}));
  }
  const std::optional<SymInt> total = input ? SymInt::from_dim(dim_product(*input)) : std::nullopt;
  Shape others = out;
  if (inferred_axis) others.erase(others.begin() + static_cast<std::ptrdiff_t>(*inferred_axis));
  const std::optional<SymInt> rest = SymInt::from_dim(dim_product(others));
  if (total && rest) {
    if (inferred_axis) {
      if (!(rest->is_constant() && rest->constant_value() == 0)) {
        const auto quotient = SymInt::divide_exact(*total, *rest);
        if (quotient) out[*inferred_axis] = quotient->to_dim().value_or(Dim{});
        else if (total->is_constant() && rest->is_constant())
          n.fail("cannot reshape ", n.describe_input(0), " (", total->constant_value(), " elements) into ",
                 shape_text(out), ": ", rest->constant_value(), " does not divide it");
      }
    } else if (total->is_constant() && rest->is_constant() && total->constant_value() != rest->constant_value()) {
      n.fail("cannot reshape ", n.describe_input(0), " (", total->constant_value(), " elements) into ", shape_text(out), " (",
             rest->constant_value(), " elements)");
    }
  }
  n.set_output(0, dtype, out);
  // Reshaping a shape value to [1], [] or [-1] keeps its elements.
  if (const ShapeValue* value = n.input_value(0); value && out.size() <= 1) {
    ShapeValue reshaped = *value;
    reshaped.scalar = out.empty();
    if (!(reshaped.scalar && reshaped.elements.size() != 1)) n.set_output_value(0, reshaped);
  }
}

void infer_flatten(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  if (!input) return n.set_output(0, n.input_dtype(0), Shape{Dim{}, Dim{}});
  const int64_t rank = static_cast<int64_t>(input->size());
  int64_t axis = n.node.attr_int("axis", 1);
  if (axis < -rank || axis > rank) n.fail("axis ", axis, " is out of range for rank ", rank, " (expected ", -rank, " to ", rank, ")");
  if (axis < 0) axis += rank;
  const Shape outer(input->begin(), input->begin() + axis), inner(input->begin() + axis, input->end());
  n.set_output(0, n.input_dtype(0), Shape{dim_product(outer), dim_product(inner)});
}

void infer_squeeze(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  const IntsArgument axes = ints_argument(n, 1, "axes");
  if (!input) return n.set_output(0, dtype, std::nullopt);
  const int64_t rank = static_cast<int64_t>(input->size());
  if (axes.present && !axes.values) {
    const auto count = n.input_length(1);
    if (count && *count <= rank) return n.set_output(0, dtype, Shape(static_cast<size_t>(rank - *count), Dim{}));
    return n.set_output(0, dtype, std::nullopt);
  }
  std::vector<bool> drop(input->size(), false);
  if (axes.present && !axes.values->empty()) {
    for (int64_t axis : *axes.values) {
      const int64_t a = n.normalize_axis(axis, rank);
      const Dim& dim = (*input)[static_cast<size_t>(a)];
      if (dim.is_known() && dim.size != 1) n.fail("cannot squeeze axis ", axis, " of size ", dim.size, ": ", n.describe_input(0));
      drop[static_cast<size_t>(a)] = true;
    }
  } else {  // no axes: every dim of size 1 goes; a dim that may or may not be 1 leaves the rank unknown
    for (size_t d = 0; d < input->size(); ++d) {
      if (!(*input)[d].is_known()) return n.set_output(0, dtype, std::nullopt);
      drop[d] = (*input)[d].size == 1;
    }
  }
  Shape out;
  for (size_t d = 0; d < input->size(); ++d)
    if (!drop[d]) out.push_back((*input)[d]);
  n.set_output(0, dtype, out);
  if (const ShapeValue* value = n.input_value(0); value && !value->scalar && value->elements.size() == 1 && out.empty()) {
    ShapeValue squeezed = *value;
    squeezed.scalar = true;
    n.set_output_value(0, squeezed);
  }
}

void infer_unsqueeze(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  const IntsArgument axes = ints_argument(n, 1, "axes");
  if (!axes.present || !axes.values) {
    const auto count = axes.present && n.input_length(1) ? n.input_length(1) : std::nullopt;
    if (input && count) return n.set_output(0, dtype, Shape(input->size() + static_cast<size_t>(*count), Dim{}));
    return n.set_output(0, dtype, std::nullopt);
  }
  if (!input) return n.set_output(0, dtype, std::nullopt);
  const int64_t out_rank = static_cast<int64_t>(input->size() + axes.values->size());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t axis : *axes.values) {
    const int64_t a = n.normalize_axis(axis, out_rank);
    if (inserted[static_cast<size_t>(a)]) n.fail("axis ", axis, " is given twice");
    inserted[static_cast<size_t>(a)] = true;
  }
  Shape out;
  size_t next = 0;
  for (int64_t d = 0; d < out_rank; ++d) out.push_back(inserted[static_cast<size_t>(d)] ? Dim::known(1) : (*input)[next++]);
  n.set_output(0, dtype, out);
  if (const ShapeValue* value = n.input_value(0); value && value->scalar && out.size() == 1) {
    ShapeValue vector = *value;
    vector.scalar = false;
    n.set_output_value(0, vector);
  }
}

void infer_concat(NodeInference& n) {
  const auto indices = all_inputs(n);
  const DType dtype = first_known_dtype(n, indices);
  const Shape* first = nullptr;
  size_t first_index = 0;
  for (size_t i : indices) {
    const Shape* shape = n.input_shape(i);
    if (!shape) continue;
    if (!first) {
      first = shape;
      first_index = i;
    } else if (shape->size() != first->size()) {
      n.fail("Concat of ranks ", first->size(), " and ", shape->size(), ": ", n.describe_input(first_index), " vs ",
             n.describe_input(i));
    }
  }
  if (!first) return n.set_output(0, dtype, std::nullopt);
  const int64_t rank = static_cast<int64_t>(first->size());
  if (rank == 0) n.fail("Concat does not take scalars: ", n.describe_input(first_index));
  const int64_t axis = n.normalize_axis(n.node.attr_int("axis", 0), rank);
  Shape out = *first;
  out[static_cast<size_t>(axis)] = Dim::known(0);
  for (size_t i : indices) {
    const Shape* shape = n.input_shape(i);
    if (!shape) {  // rank unknown: the concatenated axis is unknown
      out[static_cast<size_t>(axis)] = Dim{};
      continue;
    }
    for (int64_t d = 0; d < rank; ++d) {
      const Dim& dim = (*shape)[static_cast<size_t>(d)];
      Dim& merged = out[static_cast<size_t>(d)];
      if (d == axis) {
        merged = dim_add(merged, dim);
      } else if (auto unified = unify_dims(merged, dim)) {
        merged = *unified;
      } else {
        n.fail("Concat inputs differ in dim ", d, " (not the concat axis ", axis, "): ", n.describe_input(first_index), " vs ",
               n.describe_input(i));
      }
    }
  }
  n.set_output(0, dtype, out);
  // Concatenating shape values (building a shape vector).
  ShapeValue value;
  for (size_t i : indices) {
    const ShapeValue* part = n.input_value(i);
    if (!part || part->scalar) return;
    value.elements.insert(value.elements.end(), part->elements.begin(), part->elements.end());
  }
  if (rank == 1) n.set_output_value(0, value);
}

// ONNX Slice of one axis with constant bounds: the first index and the count taken.
struct SliceRange {
  int64_t start = 0;
  int64_t count = 0;
};
SliceRange slice_range(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  SliceRange range;
  uint64_t distance = 0;
  if (step > 0) {
    start = std::clamp(start, int64_t{0}, dim);
    end = std::clamp(end, int64_t{0}, dim);
    if (end > start) distance = static_cast<uint64_t>(end - start);
  } else {
    start = std::clamp(start, int64_t{-1}, dim - 1);
    end = std::clamp(end, int64_t{-1}, dim - 1);
    if (start > end) distance = static_cast<uint64_t>(start - end);
  }
  const uint64_t magnitude = step > 0 ? static_cast<uint64_t>(step) : uint64_t{0} - static_cast<uint64_t>(step);
  range.start = start;
  range.count = static_cast<int64_t>((distance + magnitude - 1) / magnitude);
  return range;
}

// Bounds this large mean "to the end" (torch writes INT64_MAX; some exporters INT32_MAX).
constexpr int64_t kSliceToEnd = std::numeric_limits<int32_t>::max();

// Slice of a symbolic dim with step 1; assumes the dim is at least as large as the constant
// bounds (see the header). nullopt when that does not give an answer.
std::optional<Dim> slice_symbolic_dim(const SymInt& dim, const MaybeInt& start, const MaybeInt& end) {
  auto bound = [&](const MaybeInt& b) -> MaybeInt {
    if (!b) return std::nullopt;
    if (!b->is_constant()) return *b == dim ? b : std::nullopt;
    const int64_t value = b->constant_value();
    if (value >= kSliceToEnd) return dim;
    if (value < 0) {
      if (value <= -kSliceToEnd) return SymInt::constant(0);
      return SymInt::add(dim, SymInt::constant(value));
    }
    return b;
  };
  const MaybeInt first = bound(start), last = bound(end);
  if (!first || !last) return std::nullopt;
  const auto length = SymInt::subtract(*last, *first);
  if (!length) return std::nullopt;
  if (length->is_constant()) return Dim::known(std::max<int64_t>(0, length->constant_value()));
  return length->to_dim();
}

void infer_slice(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  if (!input) return n.set_output(0, dtype, std::nullopt);
  const int64_t rank = static_cast<int64_t>(input->size());
  Shape out = *input;
  // Opset >= 10 takes starts/ends/axes/steps as inputs; opset 1 as attributes.
  const bool from_attributes = !n.has_input(1) && n.node.has_attribute("starts");
  std::vector<MaybeInt> starts, ends;
  std::optional<std::vector<int64_t>> axes, steps;
  if (from_attributes) {
    for (int64_t v : n.node.attr_ints("starts")) starts.push_back(SymInt::constant(v));
    for (int64_t v : n.node.attr_ints("ends")) ends.push_back(SymInt::constant(v));
    if (n.node.has_attribute("axes")) axes = n.node.attr_ints("axes");
  } else {
    const ShapeValue* start_value = n.input_value(1);
    const ShapeValue* end_value = n.input_value(2);
    const IntsArgument axes_argument = ints_argument(n, 3, "");
    const IntsArgument steps_argument = ints_argument(n, 4, "");
    if (!start_value || !end_value || (axes_argument.present && !axes_argument.values) ||
        (steps_argument.present && !steps_argument.values)) {
      // Bounds not known: the sliced axes get unknown sizes; when the axes are not known either,
      // every axis may be sliced.
      if (axes_argument.values) {
        for (int64_t axis : *axes_argument.values) out[static_cast<size_t>(n.normalize_axis(axis, rank))] = Dim{};
      } else if (!axes_argument.present && n.input_length(1)) {
        for (int64_t axis = 0; axis < std::min(rank, *n.input_length(1)); ++axis) out[static_cast<size_t>(axis)] = Dim{};
      } else {
        out.assign(out.size(), Dim{});
      }
      return n.set_output(0, dtype, out);
    }
    starts = start_value->elements;
    ends = end_value->elements;
    if (axes_argument.present) axes = axes_argument.values;
    if (steps_argument.present) steps = steps_argument.values;
  }
  if (starts.size() != ends.size())
    n.fail("starts has ", starts.size(), " elements but ends has ", ends.size());
  if (!axes) {
    axes.emplace();
    for (size_t i = 0; i < starts.size(); ++i) axes->push_back(static_cast<int64_t>(i));
  }
  if (axes->size() != starts.size()) n.fail("axes has ", axes->size(), " elements but starts has ", starts.size());
  if (steps && steps->size() != starts.size()) n.fail("steps has ", steps->size(), " elements but starts has ", starts.size());
  std::vector<bool> seen(out.size(), false);
  // For slicing a shape value: first index and step of the one axis.
  std::optional<std::pair<int64_t, int64_t>> value_slice;
  for (size_t i = 0; i < axes->size(); ++i) {
    const int64_t axis = n.normalize_axis((*axes)[i], rank);
    if (seen[static_cast<size_t>(axis)]) n.fail("axis ", (*axes)[i], " is sliced twice");
    seen[static_cast<size_t>(axis)] = true;
    const int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0) n.fail("slice step for axis ", (*axes)[i], " is 0");
    Dim& dim = out[static_cast<size_t>(axis)];
    const bool constant_bounds = starts[i] && starts[i]->is_constant() && ends[i] && ends[i]->is_constant();
    if (dim.is_known() && constant_bounds) {
      const SliceRange range = slice_range(dim.size, starts[i]->constant_value(), ends[i]->constant_value(), step);
      dim = Dim::known(range.count);
      if (rank == 1) value_slice.emplace(range.start, step);
    } else if (dim.is_symbolic() && step == 1) {
      dim = slice_symbolic_dim(*SymInt::from_dim(dim), starts[i], ends[i]).value_or(Dim{});
    } else {
      dim = Dim{};
    }
  }
  n.set_output(0, dtype, out);
  // Slicing a shape value (shape[:-1] and the like).
  const ShapeValue* value = n.input_value(0);
  if (!value || value->scalar || !value_slice || !out[0].is_known()) return;
  if (static_cast<int64_t>(value->elements.size()) != (*input)[0].size) return;
  ShapeValue sliced;
  for (int64_t k = 0; k < out[0].size; ++k)
    sliced.elements.push_back(value->elements[static_cast<size_t>(value_slice->first + k * value_slice->second)]);
  n.set_output_value(0, sliced);
}

void infer_split(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  const size_t outputs = n.node.outputs.size();
  if (!input) {
    for (size_t i = 0; i < outputs; ++i) n.set_output(i, dtype, std::nullopt);
    return;
  }
  const int64_t rank = static_cast<int64_t>(input->size());
  const size_t axis = static_cast<size_t>(n.normalize_axis(n.node.attr_int("axis", 0), rank));
  const Dim& dim = (*input)[axis];
  const IntsArgument split = ints_argument(n, 1, "split");
  std::vector<Dim> sizes(outputs, Dim{});
  if (split.present && split.values) {
    if (split.values->size() != outputs) n.fail("split has ", split.values->size(), " sizes for ", outputs, " outputs");
    int64_t sum = 0;
    for (size_t i = 0; i < outputs; ++i) {
      const int64_t size = (*split.values)[i];
      if (size < 0 || __builtin_add_overflow(sum, size, &sum)) n.fail("split size ", size, " is invalid");
      sizes[i] = Dim::known(size);
    }
    if (dim.is_known() && sum != dim.size)
      n.fail("split sizes add up to ", sum, " but axis ", axis, " of ", n.describe_input(0), " has ", dim.size);
  } else if (!split.present && outputs > 0) {
    const int64_t parts = static_cast<int64_t>(outputs);
    if (dim.is_known()) {
      // Opset 18 num_outputs: ceil-sized parts, the last one smaller; older opsets need even parts.
      const int64_t part = (dim.size + parts - 1) / parts;
      int64_t left = dim.size;
      for (size_t i = 0; i < outputs; ++i) {
        sizes[i] = Dim::known(std::min(part, left));
        left -= std::min(part, left);
      }
    } else if (auto whole = SymInt::from_dim(dim)) {
      if (auto part = SymInt::divide_exact(*whole, SymInt::constant(parts)))
        std::fill(sizes.begin(), sizes.end(), part->to_dim().value_or(Dim{}));
    }
  }
  for (size_t i = 0; i < outputs; ++i) {
    Shape out = *input;
    out[axis] = sizes[i];
    n.set_output(i, dtype, out);
  }
}

void infer_tile(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  if (!input) return n.set_output(0, dtype, std::nullopt);
  Shape out(input->size(), Dim{});
  if (const ShapeValue* repeats = n.input_value(1)) {
    if (repeats->elements.size() != input->size())
      n.fail("repeats has ", repeats->elements.size(), " elements but ", n.describe_input(0), " has rank ", input->size());
    for (size_t d = 0; d < out.size(); ++d) {
      const auto repeat = dim_of(repeats->elements[d]);
      if (!repeat) n.fail("repeat ", repeats->elements[d]->to_string(), " for axis ", d, " is negative");
      out[d] = dim_multiply((*input)[d], *repeat);
    }
  }
  n.set_output(0, dtype, out);
}

void infer_expand(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  const auto target = dims_from_value(n, 1);
  if (!input || !target) return n.set_output(0, dtype, std::nullopt);
  const size_t rank = std::max(input->size(), target->size());
  Shape a(rank - input->size(), Dim::known(1)), b(rank - target->size(), Dim::known(1));
  a.insert(a.end(), input->begin(), input->end());
  b.insert(b.end(), target->begin(), target->end());
  Shape out;
  for (size_t d = 0; d < rank; ++d) {
    auto merged = NodeInference::broadcast_dim(a[d], b[d]);
    if (!merged)
      n.fail("cannot expand ", n.describe_input(0), " to ", shape_text(*target), ": dim ", a[d].to_string(), " vs ",
             b[d].to_string());
    out.push_back(*merged);
  }
  n.set_output(0, dtype, out);
}

void infer_transpose(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  if (!input) return n.set_output(0, dtype, std::nullopt);
  const size_t rank = input->size();
  std::vector<int64_t> perm = n.node.attr_ints("perm");
  if (!n.node.has_attribute("perm"))
    for (size_t d = 0; d < rank; ++d) perm.push_back(static_cast<int64_t>(rank - 1 - d));
  if (perm.size() != rank) n.fail("perm has ", perm.size(), " entries but ", n.describe_input(0), " has rank ", rank);
  std::vector<bool> used(rank, false);
  Shape out;
  for (int64_t p : perm) {
    const size_t axis = static_cast<size_t>(n.normalize_axis(p, static_cast<int64_t>(rank)));
    if (used[axis]) n.fail("perm names axis ", p, " twice");
    used[axis] = true;
    out.push_back((*input)[axis]);
  }
  n.set_output(0, dtype, out);
}

void infer_constant_of_shape(NodeInference& n) {
  DType dtype = DType::Float32;  // ONNX default: a float32 zero
  const Tensor* fill = nullptr;
  if (n.node.has_attribute("value")) {
    fill = &n.node.attr("value").t;
    if (fill->defined()) dtype = fill->dtype();
  }
  const auto dims = dims_from_value(n, 0);
  n.set_output(0, dtype, dims);
  // A small int fill of a constant shape is itself a shape value (the exporter's ones/-1 masks).
  if (!dims || dims->size() > 1) return;
  const Dim length = dims->empty() ? Dim::known(1) : (*dims)[0];
  if (!length.is_known() || static_cast<size_t>(length.size) > kMaxShapeValueElements) return;
  if (!is_integer(dtype) && dtype != DType::Bool) return;
  const int64_t element = fill && fill->defined() && fill->numel() > 0 ? fill->scalar_as_int(0) : 0;
  ShapeValue value;
  value.scalar = dims->empty();
  value.elements.assign(static_cast<size_t>(length.size), SymInt::constant(element));
  n.set_output_value(0, value);
}

void infer_range(NodeInference& n) {
  const DType dtype = first_known_dtype(n, {0, 1, 2});
  auto scalar = [&](size_t i) -> MaybeInt {
    const ShapeValue* value = n.input_value(i);
    return value && value->elements.size() == 1 ? value->elements[0] : std::nullopt;
  };
  const MaybeInt start = scalar(0), limit = scalar(1), delta = scalar(2);
  Dim length;
  if (start && limit && delta && delta->is_constant()) {
    const int64_t step = delta->constant_value();
    if (step == 0) n.fail("Range delta is 0");
    if (start->is_constant() && limit->is_constant()) {
      const int64_t first = start->constant_value(), last = limit->constant_value();
      // ceil((limit - start) / delta), at least 0, computed without overflow
      const __int128 distance = static_cast<__int128>(last) - first;
      const __int128 count = distance / step + ((distance % step != 0 && (distance > 0) == (step > 0)) ? 1 : 0);
      length = Dim::known(count > 0 ? static_cast<int64_t>(std::min<__int128>(count, std::numeric_limits<int64_t>::max())) : 0);
      if (is_integer(dtype) && length.size <= static_cast<int64_t>(kMaxShapeValueElements)) {
        ShapeValue value;
        // Every element lies between start and limit, so it fits; the product alone might not.
        for (int64_t k = 0; k < length.size; ++k)
          value.elements.push_back(SymInt::constant(static_cast<int64_t>(first + static_cast<__int128>(k) * step)));
        n.set_output_value(0, value);
      }
    } else if (step == 1) {
      if (auto count = SymInt::subtract(*limit, *start); count && count->is_nonnegative()) length = count->to_dim().value_or(Dim{});
    }
  }
  // Bounds that come from data give a data-dependent length.
  if (!length.is_known() && !length.is_symbolic()) length = Dim::named(n.fresh_symbol("range"));
  n.set_output(0, dtype, Shape{length});
}

void infer_pad(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  if (!input) return n.set_output(0, dtype, std::nullopt);
  const int64_t rank = static_cast<int64_t>(input->size());
  Shape out = *input;
  const IntsArgument pads = ints_argument(n, 1, "pads");
  const IntsArgument axes_argument = ints_argument(n, 3, "");
  std::vector<int64_t> axes;
  if (axes_argument.present) {
    if (!axes_argument.values) return n.set_output(0, dtype, Shape(input->size(), Dim{}));
    for (int64_t axis : *axes_argument.values) axes.push_back(n.normalize_axis(axis, rank));
  } else {
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  const ShapeValue* pad_value = n.has_input(1) ? n.input_value(1) : nullptr;
  std::vector<MaybeInt> amounts;
  if (pad_value) amounts = pad_value->elements;
  else if (!n.has_input(1) && pads.present)
    for (int64_t v : *pads.values) amounts.push_back(SymInt::constant(v));
  else {
    for (int64_t axis : axes) out[static_cast<size_t>(axis)] = Dim{};
    return n.set_output(0, dtype, out);
  }
  if (amounts.size() != 2 * axes.size())
    n.fail("pads has ", amounts.size(), " values, expected ", 2 * axes.size(), " (begin and end for each padded axis)");
  for (size_t i = 0; i < axes.size(); ++i) {
    Dim& dim = out[static_cast<size_t>(axes[i])];
    const auto size = SymInt::from_dim(dim);
    const MaybeInt& begin = amounts[i];
    const MaybeInt& end = amounts[i + axes.size()];
    if (!size || !begin || !end) {
      dim = Dim{};
      continue;
    }
    const auto padded = SymInt::add(*size, *begin);
    const auto total = padded ? SymInt::add(*padded, *end) : std::nullopt;
    if (!total) {
      dim = Dim{};
    } else if (total->is_constant() && total->constant_value() < 0) {
      n.fail("padding makes axis ", axes[i], " of ", n.describe_input(0), " negative (", total->constant_value(), ")");
    } else {
      dim = total->to_dim().value_or(Dim{});
    }
  }
  n.set_output(0, dtype, out);
}

// ------------------------------------------------------------------------------------------
// Reductions and normalisations.

void infer_reduce(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  const DType dtype = n.input_dtype(0);
  const bool keep_dims = n.node.attr_int("keepdims", 1) != 0;
  // ReduceSum since opset 13 and the other Reduce ops since 18 take axes as an input.
  const IntsArgument axes = ints_argument(n, 1, "axes");
  if (!input) return n.set_output(0, dtype, std::nullopt);
  const int64_t rank = static_cast<int64_t>(input->size());
  if (axes.present && !axes.values) {
    // Which axes go is unknown: with keepdims the rank survives.
    return n.set_output(0, dtype, keep_dims ? std::optional<Shape>(Shape(input->size(), Dim{})) : std::nullopt);
  }
  std::vector<bool> reduced(input->size(), false);
  if (!axes.present || axes.values->empty()) {
    if (n.node.attr_int("noop_with_empty_axes", 0) != 0) return infer_same_as_input(n);
    reduced.assign(reduced.size(), true);
  } else {
    for (int64_t axis : *axes.values) reduced[static_cast<size_t>(n.normalize_axis(axis, rank))] = true;
  }
  Shape out;
  for (size_t d = 0; d < input->size(); ++d) {
    if (!reduced[d]) out.push_back((*input)[d]);
    else if (keep_dims) out.push_back(Dim::known(1));
  }
  n.set_output(0, dtype, out);
}

void infer_arg_reduce(NodeInference& n) {  // ArgMax, ArgMin
  const Shape* input = n.input_shape(0);
  if (!input) return n.set_output(0, DType::Int64, std::nullopt);
  const size_t axis = static_cast<size_t>(n.normalize_axis(n.node.attr_int("axis", 0), static_cast<int64_t>(input->size())));
  Shape out = *input;
  if (n.node.attr_int("keepdims", 1) != 0) out[axis] = Dim::known(1);
  else out.erase(out.begin() + static_cast<std::ptrdiff_t>(axis));
  n.set_output(0, DType::Int64, out);
}

void infer_axis_preserving(NodeInference& n) {  // Softmax, LogSoftmax, Hardmax, CumSum: check the axis
  infer_same_as_input(n);
  const Shape* input = n.input_shape(0);
  if (input && !input->empty() && n.node.op_type != "CumSum")
    n.normalize_axis(n.node.attr_int("axis", -1), static_cast<int64_t>(input->size()));
}

void infer_topk(NodeInference& n) {
  const Shape* input = n.input_shape(0);
  if (!input) {
    n.set_output(0, n.input_dtype(0), std::nullopt);
    n.set_output(1, DType::Int64, std::nullopt);
    return;
  }
  const size_t axis = static_cast<size_t>(n.normalize_axis(n.node.attr_int("axis", -1), static_cast<int64_t>(input->size())));
  Shape out = *input;
  const ShapeValue* k = n.input_value(1);
  out[axis] = k && k->elements.size() == 1 ? dim_of(k->elements[0]).value_or(Dim{}) : Dim{};
  n.set_output(0, n.input_dtype(0), out);
  n.set_output(1, DType::Int64, out);
}

void infer_batch_normalization(NodeInference& n) {
  infer_same_as_input(n);
  // Training-mode outputs: running mean and variance, shaped like the mean input.
  for (size_t i = 1; i < n.node.outputs.size() && i < 3; ++i) {
    const auto& type = n.input_type(i + 2);
    if (type) n.set_output(i, type->dtype, type->shape);
  }
}

void infer_layer_normalization(NodeInference& n) {
  infer_same_as_input(n);
  const Shape* input = n.input_shape(0);
  // Mean and InvStdDev: the input's shape with the normalised axes kept as 1, in stash_type.
  const DType stash = dtype_from_onnx(static_cast<int32_t>(n.node.attr_int("stash_type", 1)));
  if (!input) {
    for (size_t i = 1; i < n.node.outputs.size(); ++i) n.set_output(i, stash, std::nullopt);
    return;
  }
  const int64_t rank = static_cast<int64_t>(input->size());
  const int64_t axis = n.normalize_axis(n.node.attr_int("axis", -1), rank);
  Shape stats(input->begin(), input->begin() + axis);
  stats.insert(stats.end(), static_cast<size_t>(rank - axis), Dim::known(1));
  for (size_t i = 1; i < n.node.outputs.size(); ++i) n.set_output(i, stash, stats);
}

// ------------------------------------------------------------------------------------------
// Constants and control flow.

void infer_constant(NodeInference& n) {
  const Node& node = n.node;
  Tensor value;
  if (node.has_attribute("value")) {
    value = node.attr("value").t;
  } else if (node.has_attribute("value_int")) {
    value = Tensor(DType::Int64, {});
    value.data<int64_t>()[0] = node.attr_int("value_int", 0);
  } else if (node.has_attribute("value_ints")) {
    const auto ints = node.attr_ints("value_ints");
    value = Tensor(DType::Int64, {static_cast<int64_t>(ints.size())});
    std::copy(ints.begin(), ints.end(), value.data<int64_t>());
  } else if (node.has_attribute("value_float")) {
    value = Tensor(DType::Float32, {});
    value.data<float>()[0] = node.attr_float("value_float", 0.0f);
  } else if (node.has_attribute("value_floats")) {
    const auto& floats = node.attr("value_floats").floats;
    value = Tensor(DType::Float32, {static_cast<int64_t>(floats.size())});
    std::copy(floats.begin(), floats.end(), value.data<float>());
  }
  if (!value.defined()) return;
  Shape shape;
  for (int64_t d : value.shape()) shape.push_back(Dim::known(d));
  n.set_output(0, value.dtype(), shape);
  if (auto constant = shape_value_of_constant(value)) n.set_output_value(0, *constant);
}

// Merges the types two If branches give one output: what they agree on survives.
ValueType merge_branch_types(const NodeInference& n, size_t output, const std::optional<ValueType>& a,
                             const std::optional<ValueType>& b) {
  ValueType merged;
  if (!a || !b) return merged;
  if (a->dtype != DType::Undefined && b->dtype != DType::Undefined && a->dtype != b->dtype)
    n.fail("the branches give output ", output, " different dtypes: ", a->to_string(), " (then_branch) vs ", b->to_string(),
           " (else_branch)");
  merged.dtype = a->dtype != DType::Undefined ? a->dtype : b->dtype;
  if (a->shape && b->shape && a->shape->size() == b->shape->size()) {
    merged.shape.emplace();
    for (size_t d = 0; d < a->shape->size(); ++d)
      merged.shape->push_back((*a->shape)[d] == (*b->shape)[d] ? (*a->shape)[d] : Dim{});
  }
  return merged;
}

void infer_if(NodeInference& n) {
  std::shared_ptr<Graph> branches[2];
  const char* names[2] = {"then_branch", "else_branch"};
  for (int i = 0; i < 2; ++i) {
    if (!n.node.has_attribute(names[i]) || !n.node.attr(names[i]).g) return;  // the verifier reports it
    branches[i] = n.node.attr(names[i]).g;
  }
  Scope then_scope(*branches[0], &n.scope, n.scope.state), else_scope(*branches[1], &n.scope, n.scope.state);
  infer_graph(then_scope);
  infer_graph(else_scope);
  const size_t count = std::min({n.node.outputs.size(), branches[0]->outputs.size(), branches[1]->outputs.size()});
  // A condition known from shapes alone (the TorchScript exporter tests "rank == 0" with
  // Equal(Size(Shape(x)), 0)) runs one branch only: its types are the node's.
  const ShapeValue* condition = n.input_value(0);
  const auto taken = condition && condition->elements.size() == 1 ? condition->constants() : std::nullopt;
  for (size_t i = 0; i < count; ++i) {
    const std::string& then_name = branches[0]->outputs[i].name;
    const std::string& else_name = branches[1]->outputs[i].name;
    if (taken) {
      const Scope& branch_scope = (*taken)[0] != 0 ? then_scope : else_scope;
      const std::string& name = (*taken)[0] != 0 ? then_name : else_name;
      if (const auto type = branch_scope.type_of(name)) n.set_output(i, type->dtype, type->shape);
      if (const ShapeValue* value = branch_scope.shape_value(name)) n.set_output_value(i, *value);
      continue;
    }
    const ValueType merged = merge_branch_types(n, i, then_scope.type_of(then_name), else_scope.type_of(else_name));
    n.set_output(i, merged.dtype, merged.shape);
    const ShapeValue* then_value = then_scope.shape_value(then_name);
    const ShapeValue* else_value = else_scope.shape_value(else_name);
    if (then_value && else_value && then_value->scalar == else_value->scalar && then_value->elements == else_value->elements)
      n.set_output_value(i, *then_value);
  }
}

// ------------------------------------------------------------------------------------------

using InferFn = void (*)(NodeInference&);

const std::map<std::string, InferFn, std::less<>>& inference_table() {
  static const auto table = [] {
    std::map<std::string, InferFn, std::less<>> t;
    for (const char* op : {"Abs", "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
                           "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Erf", "Softplus",
                           "Softsign", "Gelu", "Mish", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
                           "Acosh", "Atanh", "ThresholdedRelu", "Shrink", "Clip", "Trilu", "LpNormalization",
                           "InstanceNormalization", "LRN", "BitwiseNot"})
      t[op] = infer_same_as_input;
    for (const char* op : {"Softmax", "LogSoftmax", "Hardmax", "CumSum"}) t[op] = infer_axis_preserving;
    t["Identity"] = infer_identity;
    t["Neg"] = infer_neg;
    t["Not"] = infer_not;
    t["IsNaN"] = infer_bool_of_input;
    t["IsInf"] = infer_bool_of_input;
    t["Dropout"] = infer_dropout;
    t["Cast"] = infer_cast;
    t["CastLike"] = infer_cast_like;
    t["Add"] = infer_arithmetic<combine_add>;
    t["Sub"] = infer_arithmetic<combine_sub>;
    t["Mul"] = infer_arithmetic<combine_mul>;
    t["Div"] = infer_arithmetic<combine_div>;
    for (const char* op : {"Pow", "PRelu", "Mod", "Sum", "Mean", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor"})
      t[op] = infer_broadcast_same_dtype;
    t["Max"] = infer_max;
    t["Min"] = infer_min;
    for (const char* op : {"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"}) t[op] = infer_comparison;
    for (const char* op : {"And", "Or", "Xor"}) t[op] = infer_logical;
    t["Where"] = infer_where;
    t["MatMul"] = infer_matmul;
    t["Gemm"] = infer_gemm;
    t["Gather"] = infer_gather;
    t["GatherElements"] = infer_gather_elements;
    t["GatherND"] = infer_gather_nd;
    for (const char* op : {"ScatterElements", "ScatterND", "Scatter"}) t[op] = infer_scatter;
    t["NonZero"] = infer_nonzero;
    t["Shape"] = infer_shape;
    t["Size"] = infer_size;
    t["Reshape"] = infer_reshape;
    t["Flatten"] = infer_flatten;
    t["Squeeze"] = infer_squeeze;
    t["Unsqueeze"] = infer_unsqueeze;
    t["Concat"] = infer_concat;
    t["Slice"] = infer_slice;
    t["Split"] = infer_split;
    t["Tile"] = infer_tile;
    t["Expand"] = infer_expand;
    t["Transpose"] = infer_transpose;
    t["ConstantOfShape"] = infer_constant_of_shape;
    t["Range"] = infer_range;
    t["Pad"] = infer_pad;
    for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                           "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"})
      t[op] = infer_reduce;
    t["ArgMax"] = infer_arg_reduce;
    t["ArgMin"] = infer_arg_reduce;
    t["TopK"] = infer_topk;
    t["BatchNormalization"] = infer_batch_normalization;
    t["LayerNormalization"] = infer_layer_normalization;
    t["Constant"] = infer_constant;
    t["If"] = infer_if;
    return t;
  }();
  return table;
}

// gnnrt's fused ops (semantics: backends/op_shapes/sparse.h and fused_linear.h).
void infer_csr_from_coo(NodeInference& n) {
  std::optional<Dim> rows;
  if (const auto dims = dims_from_value(n, 2); dims && !dims->empty()) rows = (*dims)[0];
  n.set_output(0, DType::Int32, rows ? std::optional<Shape>(Shape{dim_add(*rows, Dim::known(1))}) : std::nullopt);
  const Shape* src = n.input_shape(0);
  const std::optional<Shape> edges = src && src->size() == 1 ? std::optional<Shape>(*src) : std::nullopt;
  n.set_output(1, DType::Int32, edges);
  n.set_output(2, DType::Float32, edges);
}

void infer_spmm(NodeInference& n) {
  const Shape* x = n.input_shape(0);
  const Shape* row_ptr = n.input_shape(1);
  // An int8 X (INT8 engines) is dequantised inside: Y is float32.
  const DType y_dtype = n.input_dtype(0) == DType::Int8 ? DType::Float32 : n.input_dtype(0);
  if (!x || x->size() != 2 || !row_ptr || row_ptr->size() != 1) return n.set_output(0, y_dtype, std::nullopt);
  Dim rows;  // unknown unless row_ptr's length is
  if (auto length = SymInt::from_dim((*row_ptr)[0]))
    if (auto count = SymInt::subtract(*length, SymInt::constant(1)))
      if (auto dim = count->to_dim()) rows = *dim;
  n.set_output(0, y_dtype, Shape{rows, (*x)[1]});
}

void infer_quantize_int8(NodeInference& n) {
  const Shape* x = n.input_shape(0);
  n.set_output(0, DType::Int8, x ? std::optional<Shape>(*x) : std::nullopt);
  // per_row = 1: the row scales, one per row of X.
  n.set_output(1, DType::Float32, x && x->size() == 2 ? std::optional<Shape>(Shape{(*x)[0]}) : std::nullopt);
}

void infer_linear(NodeInference& n) {
  const Shape* x = n.input_shape(0);
  const Shape* w = n.input_shape(1);
  if (!x || x->size() != 2 || !w || w->size() != 2) return n.set_output(0, n.input_dtype(0), std::nullopt);
  n.set_output(0, n.input_dtype(0), Shape{(*x)[0], (*w)[1]});
}

const std::map<std::string, void (*)(NodeInference&)>& gnnrt_inference_table() {
  static const std::map<std::string, void (*)(NodeInference&)> table{
      {"CsrFromCoo", infer_csr_from_coo}, {"SpMM", infer_spmm}, {"Linear", infer_linear},
      {"QuantizeInt8", infer_quantize_int8}};
  return table;
}

// Fills what inference could not tell from a type the graph already declares for the value
// (graph outputs, the importer's value_info). Declared types are hints, never checks: the
// exporters' own shape inference is sometimes wrong (TorchScript types If outputs after the
// branch that does not run), so where inference knows something, inference wins.
ValueType fill_from_declared(const ValueType& inferred, const std::optional<ValueType>& declared) {
  if (!declared) return inferred;
  ValueType result = inferred;
  if (result.dtype == DType::Undefined) result.dtype = declared->dtype;
  if (!declared->shape) return result;
  if (!result.shape) {
    result.shape = declared->shape;
  } else if (result.shape->size() == declared->shape->size()) {
    for (size_t d = 0; d < result.shape->size(); ++d) {
      Dim& mine = (*result.shape)[d];
      if (!mine.is_known() && !mine.is_symbolic()) mine = (*declared->shape)[d];
    }
  }
  return result;
}

bool has_information(const ValueType& type) { return type.dtype != DType::Undefined || type.shape.has_value(); }

void infer_graph(Scope& scope) {
  Graph& graph = scope.graph;
  std::map<std::string, size_t> output_index;
  for (size_t i = 0; i < graph.outputs.size(); ++i) output_index.emplace(graph.outputs[i].name, i);
  const auto& table = inference_table();
  for (const Node& node : graph.nodes) {
    NodeInference n(node, scope);
    if (is_default_domain(node.domain)) {
      if (auto it = table.find(node.op_type); it != table.end()) it->second(n);
    } else if (node.domain == kGnnrtDomain) {
      if (auto it = gnnrt_inference_table().find(node.op_type); it != gnnrt_inference_table().end()) it->second(n);
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      const std::string& name = node.outputs[i];
      if (name.empty()) continue;
      std::optional<ValueType> declared;
      if (auto it = graph.value_types.find(name); it != graph.value_types.end()) declared = it->second;
      auto out_it = output_index.find(name);
      if (out_it != output_index.end()) {
        const ValueType& output_type = graph.outputs[out_it->second].type;
        declared = declared ? fill_from_declared(*declared, output_type) : output_type;
      }
      const ValueType type = fill_from_declared(n.outputs[i], declared);
      if (has_information(type)) {
        graph.value_types[name] = type;
        if (out_it != output_index.end()) graph.outputs[out_it->second].type = type;
      }
      if (n.output_values[i]) scope.shape_values[name] = *n.output_values[i];
      else scope.shape_values.erase(name);
      if (type.dtype != DType::Undefined && type.shape) ++scope.state.report.inferred;
      else ++scope.state.report.unknown;
    }
  }
}

}  // namespace

ShapeInferenceReport infer_shapes(Graph& graph) {
  InferenceState state;
  Scope scope(graph, nullptr, state);
  infer_graph(scope);
  return state.report;
}

}  // namespace gnnrt::ir

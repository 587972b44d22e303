// Integer arithmetic over symbolic dimension sizes, for shape inference.
//
// A symbolic dim of an IR shape is stored as a string (ir::Dim::symbol). Shape inference needs to
// add, multiply and divide such sizes (Concat of [num_edges] and [num_nodes] is
// [num_edges + num_nodes]; Reshape of [num_nodes, 16] to [-1] is [16*num_nodes]). SymInt is an
// integer polynomial over symbols with a canonical string form, so that two equal sizes are
// always spelled the same way and compare equal as Dim symbols.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace gnnrt::ir {

class SymInt {
 public:
  SymInt() = default;  // zero
  static SymInt constant(int64_t value);
  static SymInt symbol(const std::string& name);
  // Reads the canonical form that to_string() writes ("2*num_nodes - 1", "num_edges + num_nodes");
  // any other text is taken as one atomic symbol.
  static SymInt parse(const std::string& text);
  // The value of a dim; nullopt when the dim is unknown.
  static std::optional<SymInt> from_dim(const Dim& dim);
  // As a dim: known when constant and >= 0, symbolic (canonical string) when not constant;
  // nullopt for a negative constant, which is no valid size.
  std::optional<Dim> to_dim() const;

  bool is_constant() const;
  int64_t constant_value() const;  // 0 unless is_constant()
  // True when the value cannot be negative, whatever the symbols (sizes, so >= 0) stand for.
  bool is_nonnegative() const;
  std::string to_string() const;
  // The value with each symbol replaced by values.at(symbol), or by `missing` where values has no
  // entry; nullopt when the arithmetic overflows int64.
  std::optional<int64_t> evaluate(const std::map<std::string, int64_t>& values, int64_t missing) const;
  bool operator==(const SymInt& other) const = default;

  // Checked arithmetic: nullopt when a coefficient would overflow int64, or the result would
  // exceed 16 terms or degree 8 (a model squaring a shape value in a chain must not blow up).
  static std::optional<SymInt> add(const SymInt& a, const SymInt& b);
  static std::optional<SymInt> subtract(const SymInt& a, const SymInt& b);
  static std::optional<SymInt> multiply(const SymInt& a, const SymInt& b);
  // a / b when b is a non-zero single term (a constant or c*monomial) that divides every term of
  // a exactly; nullopt otherwise (shape inference then says "unknown", it never guesses).
  static std::optional<SymInt> divide_exact(const SymInt& a, const SymInt& b);

 private:
  // add (subtract = false) and subtract (true): b's terms added to or taken from a's.
  static std::optional<SymInt> add_terms(const SymInt& a, const SymInt& b, bool subtract);

  using Monomial = std::vector<std::string>;  // sorted symbol names; empty for the constant term
  std::map<Monomial, int64_t> terms_;         // never holds a zero coefficient
};

// Dim arithmetic: the result is unknown when an operand is unknown or the arithmetic overflows.
Dim dim_add(const Dim& a, const Dim& b);
Dim dim_multiply(const Dim& a, const Dim& b);
// Product of all dims (1 for an empty list): the element count of a shape.
Dim dim_product(const std::vector<Dim>& dims);

}  // namespace gnnrt::ir

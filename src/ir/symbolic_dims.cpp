#include "ir/symbolic_dims.h"

#include <algorithm>
#include <cctype>

namespace gnnrt::ir {

namespace {

// Limits on an expression's size: a model that squares a shape value in a loop must not make
// shape inference slow or huge. Beyond them the result is "unknown".
constexpr size_t kMaxTerms = 16;
constexpr size_t kMaxDegree = 8;

// Canonical order of terms in the text form: higher degree first, then by symbol names; the
// constant term last ("num_edges*num_nodes + 2*num_nodes - 1").
bool print_before(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return a.size() > b.size();
  return a < b;
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int64_t> parse_nonnegative(const std::string& text) {
  int64_t value = 0;
  for (char c : text) {
    if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, c - '0', &value)) return std::nullopt;
  }
  return value;
}

// One term of the text form ("16*num_nodes", "num_nodes", "3"); nullopt when it is not one.
std::optional<std::pair<std::vector<std::string>, int64_t>> parse_term(const std::string& text) {
  std::vector<std::string> factors;
  int64_t coefficient = 1;
  size_t begin = 0;
  while (true) {
    const size_t star = text.find('*', begin);
    const std::string factor = text.substr(begin, star == std::string::npos ? std::string::npos : star - begin);
    if (factor.empty() || factor.find(' ') != std::string::npos) return std::nullopt;
    if (all_digits(factor)) {
      const auto value = parse_nonnegative(factor);
      if (!value || __builtin_mul_overflow(coefficient, *value, &coefficient)) return std::nullopt;
    } else {
      factors.push_back(factor);
    }
    if (star == std::string::npos) break;
    begin = star + 1;
  }
  std::sort(factors.begin(), factors.end());
  return std::make_pair(std::move(factors), coefficient);
}

}  // namespace

SymInt SymInt::constant(int64_t value) {
  SymInt result;
  if (value != 0) result.terms_[{}] = value;
  return result;
}

SymInt SymInt::symbol(const std::string& name) {
  SymInt result;
  result.terms_[{name}] = 1;
  return result;
}

SymInt SymInt::parse(const std::string& text) {
  // Split at " + " and " - " separators; a leading '-' negates the first term.
  SymInt result;
  size_t position = 0;
  bool negative = false;
  if (text.size() > 1 && text[0] == '-') {
    negative = true;
    position = 1;
  }
  while (true) {
    size_t plus = text.find(" + ", position);
    size_t minus = text.find(" - ", position);
    const size_t end = std::min(plus, minus);
    const auto term = parse_term(text.substr(position, end == std::string::npos ? std::string::npos : end - position));
    if (!term) return symbol(text);
    const SymInt part = [&] {
      SymInt one;
      one.terms_[term->first] = term->second;
      return one;
    }();
    const auto sum = negative ? subtract(result, part) : add(result, part);
    if (!sum) return symbol(text);
    result = *sum;
    if (end == std::string::npos) break;
    negative = end == minus;
    position = end + 3;
  }
  return result;
}

std::optional<SymInt> SymInt::from_dim(const Dim& dim) {
  if (dim.is_known()) return constant(dim.size);
  if (dim.is_symbolic()) return parse(dim.symbol);
  return std::nullopt;
}

std::optional<Dim> SymInt::to_dim() const {
  if (is_constant()) {
    const int64_t value = constant_value();
    if (value < 0) return std::nullopt;
    return Dim::known(value);
  }
  return Dim::named(to_string());
}

bool SymInt::is_constant() const { return terms_.empty() || (terms_.size() == 1 && terms_.begin()->first.empty()); }

int64_t SymInt::constant_value() const {
  auto it = terms_.find({});
  return it == terms_.end() ? 0 : it->second;
}

bool SymInt::is_nonnegative() const {
  return std::all_of(terms_.begin(), terms_.end(), [](const auto& term) { return term.second >= 0; });
}

std::optional<int64_t> SymInt::evaluate(const std::map<std::string, int64_t>& values, int64_t missing) const {
  int64_t total = 0;
  for (const auto& [monomial, coefficient] : terms_) {
    int64_t term = coefficient;
    for (const std::string& name : monomial) {
      const auto it = values.find(name);
      if (__builtin_mul_overflow(term, it == values.end() ? missing : it->second, &term)) return std::nullopt;
    }
    if (__builtin_add_overflow(total, term, &total)) return std::nullopt;
  }
  return total;
}

std::string SymInt::to_string() const {
  if (terms_.empty()) return "0";
  std::vector<const std::pair<const Monomial, int64_t>*> ordered;
  for (const auto& term : terms_) ordered.push_back(&term);
  std::sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return print_before(a->first, b->first); });
  std::string text;
  for (size_t i = 0; i < ordered.size(); ++i) {
    const auto& [monomial, coefficient] = *ordered[i];
    const bool negative = coefficient < 0;
    // Magnitude as unsigned so that INT64_MIN prints correctly.
    const uint64_t magnitude = negative ? uint64_t{0} - static_cast<uint64_t>(coefficient) : static_cast<uint64_t>(coefficient);
    if (i == 0) {
      if (negative) text += "-";
    } else {
      text += negative ? " - " : " + ";
    }
    std::string factors;
    for (size_t f = 0; f < monomial.size(); ++f) factors += (f ? "*" : "") + monomial[f];
    if (monomial.empty()) text += std::to_string(magnitude);
    else if (magnitude == 1) text += factors;
    else text += std::to_string(magnitude) + "*" + factors;
  }
  return text;
}

std::optional<SymInt> SymInt::add_terms(const SymInt& a, const SymInt& b, bool subtract) {
  SymInt result = a;
  for (const auto& [monomial, coefficient] : b.terms_) {
    int64_t& slot = result.terms_[monomial];
    const bool overflow = subtract ? __builtin_sub_overflow(slot, coefficient, &slot)
                                   : __builtin_add_overflow(slot, coefficient, &slot);
    if (overflow) return std::nullopt;
    if (slot == 0) result.terms_.erase(monomial);
  }
  if (result.terms_.size() > kMaxTerms) return std::nullopt;
  return result;
}

std::optional<SymInt> SymInt::add(const SymInt& a, const SymInt& b) { return add_terms(a, b, false); }

std::optional<SymInt> SymInt::subtract(const SymInt& a, const SymInt& b) { return add_terms(a, b, true); }

std::optional<SymInt> SymInt::multiply(const SymInt& a, const SymInt& b) {
  SymInt result;
  for (const auto& [monomial_a, coefficient_a] : a.terms_) {
    for (const auto& [monomial_b, coefficient_b] : b.terms_) {
      if (monomial_a.size() + monomial_b.size() > kMaxDegree) return std::nullopt;
      Monomial monomial = monomial_a;
      monomial.insert(monomial.end(), monomial_b.begin(), monomial_b.end());
      std::sort(monomial.begin(), monomial.end());
      int64_t product = 0;
      if (__builtin_mul_overflow(coefficient_a, coefficient_b, &product)) return std::nullopt;
      int64_t& slot = result.terms_[monomial];
      if (__builtin_add_overflow(slot, product, &slot)) return std::nullopt;
      if (slot == 0) result.terms_.erase(monomial);
      if (result.terms_.size() > kMaxTerms) return std::nullopt;
    }
  }
  return result;
}

std::optional<SymInt> SymInt::divide_exact(const SymInt& a, const SymInt& b) {
  if (b.terms_.size() != 1) return std::nullopt;  // zero, or a sum: not a single term
  const auto& [divisor_monomial, divisor_coefficient] = *b.terms_.begin();
  SymInt result;
  for (const auto& [monomial, coefficient] : a.terms_) {
    // Remove the divisor's symbols (a multiset) from this term; each must be there.
    Monomial remaining = monomial;
    for (const std::string& factor : divisor_monomial) {
      auto it = std::find(remaining.begin(), remaining.end(), factor);
      if (it == remaining.end()) return std::nullopt;
      remaining.erase(it);
    }
    if (divisor_coefficient == -1 && coefficient == INT64_MIN) return std::nullopt;
    if (coefficient % divisor_coefficient != 0) return std::nullopt;
    result.terms_[remaining] = coefficient / divisor_coefficient;
  }
  return result;
}

Dim dim_add(const Dim& a, const Dim& b) {
  const auto x = SymInt::from_dim(a), y = SymInt::from_dim(b);
  if (!x || !y) return Dim{};
  const auto sum = SymInt::add(*x, *y);
  if (!sum) return Dim{};
  return sum->to_dim().value_or(Dim{});
}

Dim dim_multiply(const Dim& a, const Dim& b) {
  const auto x = SymInt::from_dim(a), y = SymInt::from_dim(b);
  // Zero times anything is zero, even an unknown size.
  if ((x && x->is_constant() && x->constant_value() == 0) || (y && y->is_constant() && y->constant_value() == 0))
    return Dim::known(0);
  if (!x || !y) return Dim{};
  const auto product = SymInt::multiply(*x, *y);
  if (!product) return Dim{};
  return product->to_dim().value_or(Dim{});
}

Dim dim_product(const std::vector<Dim>& dims) {
  Dim product = Dim::known(1);
  for (const Dim& dim : dims) product = dim_multiply(product, dim);
  return product;
}

}  // namespace gnnrt::ir

// gnnrt's one exception type. Its code says whose fault an error is, and the
// command-line tool turns it into the process exit code.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace gnnrt {

enum class ErrorCode : int {
  Internal = 1,      // a bug in gnnrt, or an environment failure (exit 1)
  InvalidInput = 2,  // the user's file, tensor, option or model is wrong (exit 2)
  Mismatch = 3,      // a --compare found outputs outside tolerance (exit 3)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }
  int exit_code() const { return static_cast<int>(code_); }

 private:
  ErrorCode code_;
};

// Concatenates anything streamable into one string: cat("node ", name, ": ", 3).
template <typename... Parts>
std::string cat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

// The user gave something wrong: say what, where, expected versus actual, and what to do.
template <typename... Parts>
[[noreturn]] void fail_input(Parts&&... parts) {
  throw Error(ErrorCode::InvalidInput, cat(std::forward<Parts>(parts)...));
}

// An invariant of gnnrt itself broke.
template <typename... Parts>
[[noreturn]] void fail_internal(Parts&&... parts) {
  throw Error(ErrorCode::Internal, cat(std::forward<Parts>(parts)...));
}

}  // namespace gnnrt

// Internal invariant check; a failure is a gnnrt bug, not the user's fault.
#define GNNRT_CHECK(cond, ...)                                                                   \
  do {                                                                                           \
    if (!(cond)) ::gnnrt::fail_internal("internal check failed (" #cond ") at ", __FILE__, ":", \
                                        __LINE__, ": ", ##__VA_ARGS__);                           \
  } while (0)

// What every fuzz target shares: the rule that decides what counts as a finding, and a private
// scratch folder for loaders that read files.
//
// A malformed input may only end in gnnrt::Error with code InvalidInput (exit code 2 in the CLI,
// a message for the user). Anything else is a finding and aborts, so libFuzzer saves the input:
// an Internal error (a check inside gnnrt fired: a validator let the input through), any other
// exception (std::out_of_range from an .at(), std::bad_alloc), and of course every sanitizer report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "gnnrt/error.h"

namespace gnnrt::fuzz {

template <typename Body>
void expect_only_user_errors(Body&& body) {
  try {
    body();
  } catch (const Error& error) {
    if (error.code() == ErrorCode::InvalidInput) return;
    std::fprintf(stderr, "FINDING: gnnrt::Error with code %d (not InvalidInput): %s\n", error.exit_code(), error.what());
    std::abort();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "FINDING: exception that is not a gnnrt::Error: %s\n", error.what());
    std::abort();
  }
}

// A folder of this process's own (made once, under $TMPDIR or /tmp), for targets that must hand
// a loader a file.
const std::string& scratch_dir();

// Replaces the file at `path` with `size` bytes of `data`; aborts when it cannot (not a finding
// about gnnrt, but the run would mean nothing).
void write_scratch_file(const std::string& path, const uint8_t* data, size_t size);

// What one tensor of a fuzzed model may take. A crafted model can ask for any size; past this it
// gets gnnrt's "out of host memory" error (InvalidInput) instead of running the fuzzer out of its
// memory limit, which would report a legitimately large model as a finding.
constexpr size_t kMaxFuzzAllocation = size_t{256} << 20;
void limit_host_allocations();

// The little-endian integer at `data` (the fuzz inputs' own framing).
uint32_t read_u32(const uint8_t* data);
uint16_t read_u16(const uint8_t* data);

}  // namespace gnnrt::fuzz

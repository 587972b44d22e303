// Fuzz target: engine file loading (src/engine/): header, FlatBuffers metadata, weights, and the
// semantic checks, then what loading an engine into a context does (the executor's set-up) and a
// run on zero-filled inputs of the declared shapes.
//
// Each input is decoded twice: as it is, and with its size and both CRC-32 checksums fixed up.
// Without the fix-up almost every mutation would stop at the checksum and the metadata decoder
// would never be reached; with it, the decoder sees the mutated bytes as a valid file's.
#include <cstring>
#include <optional>
#include <vector>

#include "builder/engine_builder.h"
#include "engine/checksum.h"
#include "engine/engine_reader.h"
#include "fuzz_support.h"
#include "runtime/executor.h"
#include "runtime/inference.h"

namespace {

using namespace gnnrt;

constexpr size_t kHeaderSize = 64;
constexpr size_t kFileSizeAt = 16, kPayloadChecksumAt = 56, kHeaderChecksumAt = 60;

void put_u32(uint8_t* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

void put_u64(uint8_t* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

// Zero-filled inputs of the declared types: symbolic and unknown dimensions get 3, so node
// indices (all 0) are valid and a run reaches the kernels. Nullopt when a type is not known.
std::optional<runtime::TensorMap> zero_inputs(const ir::Graph& graph) {
  runtime::TensorMap inputs;
  for (const ir::ValueInfo& input : graph.inputs) {
    if (input.type.dtype == DType::Undefined || !input.type.shape) return std::nullopt;
    Dims shape;
    int64_t elements = 1;
    for (const ir::Dim& dim : *input.type.shape) {
      shape.push_back(dim.is_known() ? dim.size : 3);
      if (shape.back() > 4096 || (elements *= shape.back()) > 65536) return std::nullopt;
    }
    inputs[input.name] = Tensor(input.type.dtype, shape);
  }
  return inputs;
}

void load(const uint8_t* data, size_t size) {
  const engine::EngineContents contents = engine::deserialize_engine(data, size, "fuzz.engine");
  builder::check_engine_runs_here(contents, contents.target.device, "fuzz.engine");
  runtime::Executor executor(contents.model.graph, nullptr);
  // A loaded engine is one a user runs: whatever its graph holds, a run fails cleanly or works.
  if (const auto inputs = zero_inputs(contents.model.graph)) runtime::run_engine(contents, executor, *inputs);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gnnrt::fuzz::limit_host_allocations();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_only_user_errors([&] { load(data, size); });
  if (size < kHeaderSize) return 0;
  // 8-byte aligned, as a mapped file is (the reader copies unaligned metadata, but a copy here
  // keeps the fix-up off the fuzzer's own buffer).
  std::vector<uint64_t> aligned((size + 7) / 8);
  auto* bytes = reinterpret_cast<uint8_t*>(aligned.data());
  std::memcpy(bytes, data, size);
  put_u64(bytes + kFileSizeAt, size);
  put_u32(bytes + kPayloadChecksumAt, engine::crc32_of(bytes + kHeaderSize, size - kHeaderSize));
  put_u32(bytes + kHeaderChecksumAt, engine::crc32_of(bytes, kHeaderChecksumAt));
  fuzz::expect_only_user_errors([&] { load(bytes, size); });
  return 0;
}

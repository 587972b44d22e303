// Fuzz target: ONNX loading and import, external data included (src/onnx/), then the build that
// `gnnrt build` and `gnnrt run --onnx` make of the imported model (verifier, shape inference,
// passes with constant folding, profile) and the engine's serialisation round trip.
//
// Input framing (tests/fuzz/make_seed_corpus.py writes it): a 4-byte little-endian length L, the
// first L bytes after it are model.onnx, the rest is the external data file model.onnx.data that
// sits beside it (the name torch's dynamo exporter gives it).
#include <algorithm>
#include <sstream>

#include "builder/engine_builder.h"
#include "engine/engine_reader.h"
#include "engine/engine_writer.h"
#include "fuzz_support.h"
#include "onnx/importer.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gnnrt::fuzz::limit_host_allocations();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gnnrt;
  if (size < 4) return 0;
  const size_t model_size = std::min<size_t>(fuzz::read_u32(data), size - 4);
  const std::string model_bytes(reinterpret_cast<const char*>(data + 4), model_size);
  const std::string& folder = fuzz::scratch_dir();
  fuzz::write_scratch_file(folder + "/model.onnx.data", data + 4 + model_size, size - 4 - model_size);

  fuzz::expect_only_user_errors([&] {
    ir::Model model = onnx_import::import_onnx_bytes(model_bytes, folder, "fuzz.onnx");
    builder::BuildOptions options;  // the CPU, with the default profile
    const engine::EngineContents engine = builder::build_engine(std::move(model), options);
    // What the builder made must be an engine gnnrt writes and reads back (a failure there is
    // Internal: gnnrt wrote something it cannot load).
    const std::string bytes = engine::serialize_engine(engine);
    try {
      engine::deserialize_engine(bytes.data(), bytes.size(), "built.engine");
    } catch (const Error& error) {
      std::fprintf(stderr, "FINDING: a built engine does not load: %s\n", error.what());
      std::abort();
    }
  });
  return 0;
}

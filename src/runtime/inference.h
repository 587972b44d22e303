// One inference on the CPU reference backend: validate the inputs against the model, run it, and
// check what can only be checked afterwards. The command-line tool and the fixture tests both go
// through here, so they test the same path users take.
#pragma once

#include <string>
#include <vector>

#include "engine/engine_contents.h"
#include "ir/graph.h"
#include "runtime/backend.h"
#include "runtime/executor.h"
#include "runtime/input_binding.h"

namespace gnnrt::runtime {

struct InferenceResult {
  TensorMap outputs;
  RunStats stats;
  std::vector<std::string> notes;  // conversions made while binding inputs, for the user
};

// `device`: nullptr for the CPU, else a backend from create_device_backend().
InferenceResult run_inference(const ir::Model& model, const TensorMap& inputs, const BindOptions& options = {},
                              DeviceBackend* device = nullptr, const RunOptions& run_options = {});

// The same for a built engine with an executor the caller keeps across calls (an execution context:
// the executor's structure split, liveness and uploaded weights are made once, not per call).
// The inputs must also lie inside the engine's profile.
InferenceResult run_engine(const engine::EngineContents& engine, Executor& executor, const TensorMap& inputs,
                           const BindOptions& options = {}, const RunOptions& run_options = {});

// The same for a built engine, with an executor made for this one call.
InferenceResult run_engine(const engine::EngineContents& engine, const TensorMap& inputs,
                           const BindOptions& options = {}, DeviceBackend* device = nullptr,
                           const RunOptions& run_options = {});

}  // namespace gnnrt::runtime

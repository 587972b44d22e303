#include "runtime/inference.h"

#include "runtime/profile_check.h"

namespace gnnrt::runtime {

InferenceResult run_inference(const ir::Model& model, const TensorMap& inputs, const BindOptions& options,
                              DeviceBackend* device, const RunOptions& run_options) {
  BoundInputs bound = bind_inputs(model.graph, inputs, options);
  Executor executor(model.graph, device);
  InferenceResult result;
  result.outputs = executor.run(bound.tensors, {}, run_options, &result.stats);
  result.notes = std::move(bound.notes);
  return result;
}

InferenceResult run_engine(const engine::EngineContents& engine, Executor& executor, const TensorMap& inputs,
                           const BindOptions& options, const RunOptions& run_options) {
  BoundInputs bound = bind_inputs(engine.model.graph, inputs, options);
  check_inputs_in_profile(engine.profile, engine.model.graph, bound.tensors);
  InferenceResult result;
  result.outputs = executor.run(bound.tensors, {}, run_options, &result.stats);
  result.notes = std::move(bound.notes);
  return result;
}

InferenceResult run_engine(const engine::EngineContents& engine, const TensorMap& inputs, const BindOptions& options,
                           DeviceBackend* device, const RunOptions& run_options) {
  Executor executor(engine.model.graph, device);
  return run_engine(engine, executor, inputs, options, run_options);
}

}  // namespace gnnrt::runtime

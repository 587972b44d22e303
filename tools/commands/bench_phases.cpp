#include "commands/bench_phases.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>

#include "runtime/inference.h"

namespace gnnrt::cli {
namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Times calls on the device's own clock (CUDA events on the backend's stream) or the host's.
class CallTimer {
 public:
  explicit CallTimer(runtime::DeviceBackend* backend) : backend_(backend) {}

  double time_ms(const std::function<void()>& work) const {
    if (backend_) return backend_->time_call_ms(work);
    const Clock::time_point start = Clock::now();
    work();
    return milliseconds_since(start);
  }

  // Waits for the device and fails on a device-side error (a bad index...) of the calls so far.
  void check_device() const {
    if (!backend_) return;
    const runtime::DeviceBackend::DeviceError error = backend_->finish();
    if (error.site >= 0) fail_input("a device error while benchmarking (node #", error.site, "): ", error.message);
  }

 private:
  runtime::DeviceBackend* backend_;
};

// Calls `timed_call` (which returns one sample) until there are `count` samples and
// `duration_s` seconds have passed.
std::vector<double> repeat(const std::function<double()>& timed_call, int64_t count, double duration_s) {
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(std::max<int64_t>(count, 0)));
  const Clock::time_point start = Clock::now();
  while (static_cast<int64_t>(samples.size()) < count || milliseconds_since(start) < duration_s * 1000.0)
    samples.push_back(timed_call());
  return samples;
}

PhaseResult make_phase(std::string key, std::string title, std::string scope, std::vector<double> samples) {
  PhaseResult phase;
  phase.key = std::move(key);
  phase.title = std::move(title);
  phase.scope = std::move(scope);
  phase.summary = summarize_latencies(samples);
  phase.samples_ms = std::move(samples);
  return phase;
}

// The backend's peak since its last reset, less the inputs it holds for us.
size_t peak_beyond(const runtime::DeviceBackend& backend, size_t input_bytes) {
  const size_t peak = backend.memory_stats().peak_bytes;
  return peak > input_bytes ? peak - input_bytes : 0;
}

size_t total_bytes(const runtime::TensorMap& tensors) {
  size_t bytes = 0;
  for (const auto& [name, tensor] : tensors) bytes += tensor.nbytes();
  return bytes;
}

// The median per node over several profiled calls of the same plan (same nodes, same order).
std::vector<runtime::NodeTiming> median_profile(const std::vector<std::vector<runtime::NodeTiming>>& calls) {
  if (calls.empty()) return {};
  std::vector<runtime::NodeTiming> median = calls.front();
  for (size_t node = 0; node < median.size(); ++node) {
    std::vector<double> times;
    for (const auto& call : calls) {
      GNNRT_CHECK(call.size() == median.size() && call[node].node == median[node].node,
                  "profiled calls ran different nodes");
      times.push_back(call[node].milliseconds);
    }
    median[node].milliseconds = summarize_latencies(times).median;
  }
  return median;
}

}  // namespace

const PhaseResult* find_phase(const Measurements& measurements, const std::string& key) {
  for (const PhaseResult& phase : measurements.phases)
    if (phase.key == key) return &phase;
  return nullptr;
}

Measurements measure_phases(const engine::EngineContents& engine, const runtime::TensorMap& bound_inputs,
                            const runtime::TensorMap& user_inputs, const runtime::BindOptions& bind_options,
                            runtime::DeviceBackend* backend, const PhaseSettings& settings) {
  const ir::Graph& graph = engine.model.graph;
  const CallTimer timer(backend);
  const bool on_device = backend != nullptr;
  const std::string compute = on_device ? "GPU compute" : "compute";
  Measurements result;
  result.total_nodes = graph.nodes.size();

  // Inputs where the kernels read them: on the device once, outside every timed region.
  runtime::TensorMap inputs;
  for (const auto& [name, tensor] : bound_inputs) inputs[name] = on_device ? backend->to_device(tensor) : tensor;
  if (on_device) {
    timer.check_device();
    result.memory.measured = true;
    result.memory.input_bytes = backend->memory_stats().in_use_bytes;
  }
  runtime::Executor executor(graph, backend);
  result.structure_nodes = executor.structure().structure_node_count;

  runtime::RunOptions device_outputs;
  device_outputs.outputs_on_device = true;

  // The first call is cold and the memory probe: weights uploaded, structure part built and cached.
  {
    runtime::StructureCache fresh;
    runtime::RunOptions options = device_outputs;
    options.cache = &fresh;
    if (on_device) backend->reset_peak_memory();
    executor.run(inputs, {}, options);
    timer.check_device();
    if (on_device) result.memory.cold_peak_bytes = peak_beyond(*backend, result.memory.input_bytes);
  }

  // (a) Warm, graph bound.
  std::shared_ptr<const runtime::StructureEntry> binding = executor.run_structure(inputs);
  runtime::RunOptions bound = device_outputs;
  bound.binding = binding;
  bound.check_device_errors = false;
  runtime::TensorMap outputs;
  const auto bound_call = [&] { outputs = executor.run(inputs, {}, bound); };
  for (int64_t i = 0; i < settings.warmup; ++i) {
    outputs.clear();
    bound_call();
    timer.check_device();
  }
  outputs.clear();
  if (on_device) backend->reset_peak_memory();
  bound_call();
  timer.check_device();
  if (on_device) result.memory.warm_peak_bytes = peak_beyond(*backend, result.memory.input_bytes);
  std::vector<double> samples = repeat(
      [&] {
        outputs.clear();  // freed outside the timed region
        const double ms = timer.time_ms(bound_call);
        timer.check_device();
        return ms;
      },
      settings.iterations, settings.duration_s);
  result.phases.push_back(make_phase("compute_bound", compute + " (warm, graph bound)",
                                     std::string("one call with the inputs already ") +
                                         (on_device ? "on the device" : "checked") +
                                         ", the graph's structure part bound once (no comparison), the outputs left "
                                         "where they were computed; device errors checked after the timed region",
                                     std::move(samples)));

  for (const auto& [name, tensor] : outputs) result.outputs[name] = executor.to_host(tensor);

  // (a') The bound call replayed as a CUDA graph: one call runs as usual, one records, then replays.
  if (settings.cuda_graph && on_device) {
    runtime::RunOptions replayed = bound;
    replayed.cuda_graph = true;
    runtime::RunStats stats;
    runtime::TensorMap replayed_outputs;  // its own: `outputs` stays the bound call's, for D2H below
    const auto replayed_call = [&] { replayed_outputs = executor.run(inputs, {}, replayed, &stats); };
    for (int64_t i = 0; i < std::max<int64_t>(settings.warmup, 3); ++i) {
      replayed_outputs.clear();
      // The second call on these inputs records the graph: capture, instantiation and its first
      // launch, what a new input shape costs once (the host's clock, the device waited for).
      const Clock::time_point start = Clock::now();
      replayed_call();
      timer.check_device();
      if (i == 1) result.graph_record_ms = milliseconds_since(start);
    }
    result.graph_replayed = stats.graph_replayed;
    result.graph_note = stats.graph_note;
    if (stats.graph_replayed) {
      result.graph_outputs_identical = true;
      for (const auto& [name, tensor] : replayed_outputs) {
        const Tensor host = executor.to_host(tensor);
        const Tensor& eager = result.outputs.at(name);
        result.graph_outputs_identical = result.graph_outputs_identical && host.nbytes() == eager.nbytes() &&
                                         std::memcmp(host.raw(), eager.raw(), host.nbytes()) == 0;
      }
      samples = repeat(
          [&] {
            replayed_outputs.clear();
            const double ms = timer.time_ms(replayed_call);
            timer.check_device();
            return ms;
          },
          settings.iterations, settings.duration_s);
      result.phases.push_back(make_phase("compute_bound_graph", compute + " (warm, graph bound, CUDA graph)",
                                         "the bound call replayed as one CUDA graph launch (recorded once), the "
                                         "outputs copied out of the recording's buffers on the device",
                                         std::move(samples)));
    }
  }

  // Per-node times: the median of a few profiled bound calls.
  if (settings.profile_calls > 0) {
    std::vector<std::vector<runtime::NodeTiming>> calls(static_cast<size_t>(settings.profile_calls));
    for (auto& call : calls) {
      runtime::RunOptions profiled = bound;
      profiled.profile = &call;
      executor.run(inputs, {}, profiled);
      timer.check_device();
    }
    result.profile_calls = settings.profile_calls;
    result.warm_profile = median_profile(calls);
  }

  // (e) Device to host: the outputs of the last bound call.
  if (on_device) {
    runtime::TensorMap device_results = outputs;
    const auto copy_back = [&] {
      for (const auto& [name, tensor] : device_results) backend->to_host(tensor);
    };
    copy_back();
    PhaseResult phase = make_phase("d2h", "D2H outputs",
                                   "copying every output from the device to (pageable) host memory",
                                   repeat([&] { return timer.time_ms(copy_back); }, settings.cold_iterations, 0));
    phase.bytes = total_bytes(device_results);
    result.phases.push_back(std::move(phase));
  }
  outputs.clear();
  binding.reset();
  bound.binding.reset();

  // (b) Warm, structure cache: the graph's content compared with the cached one each call.
  {
    runtime::StructureCache cache;
    runtime::RunOptions cached = device_outputs;
    cached.cache = &cache;
    cached.check_device_errors = false;
    executor.run(inputs, {}, cached);  // fills the cache
    timer.check_device();
    bool every_call_hit = true;
    const auto cached_call = [&] {
      runtime::RunStats stats;
      outputs = executor.run(inputs, {}, cached, &stats);
      every_call_hit = every_call_hit && stats.structure_reused;
    };
    cached_call();
    timer.check_device();
    samples = repeat(
        [&] {
          outputs.clear();
          const double ms = timer.time_ms(cached_call);
          timer.check_device();
          return ms;
        },
        settings.iterations, settings.duration_s);
    outputs.clear();
    result.cache_hit_every_call = every_call_hit && result.structure_nodes > 0;
    result.phases.push_back(make_phase("compute_cached", compute + " (warm, structure cache)",
                                       "as the bound call, with the structure cache instead of a binding: the "
                                       "structure inputs compared with the cached ones in full each call",
                                       std::move(samples)));
  }

  // (c) Cold: the structure part runs each call, into a fresh cache.
  samples = repeat(
      [&] {
        runtime::StructureCache fresh;
        runtime::RunOptions options = device_outputs;
        options.cache = &fresh;
        const double ms = timer.time_ms([&] { executor.run(inputs, {}, options); });
        timer.check_device();
        return ms;
      },
      settings.cold_iterations, 0);
  result.phases.push_back(make_phase("cold", "cold (structure part included)",
                                     std::string("one call on a graph not seen before: the structure part (degrees, "
                                                 "normalisation, CSR) computed and cached, inputs already ") +
                                         (on_device ? "on the device" : "checked"),
                                     std::move(samples)));
  if (settings.profile_calls > 0) {
    std::vector<runtime::NodeTiming> all_nodes;
    runtime::RunOptions profiled = device_outputs;
    profiled.profile = &all_nodes;
    executor.run(inputs, {}, profiled);
    timer.check_device();
    // A call without cache or binding runs every top-level node, in graph order.
    GNNRT_CHECK(all_nodes.size() == graph.nodes.size(), "a cold profiled call timed ", all_nodes.size(), " of ",
                graph.nodes.size(), " nodes");
    for (size_t i = 0; i < all_nodes.size(); ++i)
      if (executor.structure().is_structure_node[i]) result.cold_structure_profile.push_back(all_nodes[i]);
  }

  // (d) Host to device: the inputs, as end_to_end copies them.
  if (on_device) {
    std::vector<Tensor> copies;
    const auto upload = [&] {
      for (const auto& [name, tensor] : bound_inputs) copies.push_back(backend->to_device(tensor));
    };
    upload();
    copies.clear();
    PhaseResult phase = make_phase("h2d", "H2D inputs", "copying every input from (pageable) host memory to the device",
                                   repeat(
                                       [&] {
                                         const double ms = timer.time_ms(upload);
                                         copies.clear();
                                         return ms;
                                       },
                                       settings.cold_iterations, 0));
    phase.bytes = total_bytes(bound_inputs);
    result.phases.push_back(std::move(phase));
  }
  inputs.clear();

  // (f) End to end, as `gnnrt run` makes a call.
  const auto end_to_end_call = [&] { runtime::run_engine(engine, user_inputs, bind_options, backend); };
  if (settings.warmup > 0) end_to_end_call();
  result.phases.push_back(make_phase(
      "end_to_end", "end-to-end (host in, host out)",
      std::string("one full inference call as `gnnrt run` makes it: checking the inputs on the host (names, shapes, "
                  "edge indices in range, the profile), every kernel including the structure part") +
          (on_device ? ", copying the host inputs to the device, copying the outputs back to the host, and the "
                       "device error check"
                     : ""),
      repeat([&] { return timer.time_ms(end_to_end_call); }, settings.cold_iterations, 0)));

  // (g) End to end on a context that stays: a server's call on a graph it has not seen (a new
  // molecule per request). As (f), but the executor (the context) is made once; nothing is cached,
  // so the structure part runs every call, on the host where the graph is small.
  const auto serving_call = [&] { runtime::run_engine(engine, executor, user_inputs, bind_options, {}); };
  if (settings.warmup > 0) serving_call();
  result.phases.push_back(make_phase(
      "end_to_end_new_graph", "end-to-end, new graph (context held)",
      "one call on an execution context made once, as a server makes it for a graph it has not seen: host inputs "
      "checked, the structure part and every kernel run (no cache, no binding), outputs copied to the host",
      repeat([&] { return timer.time_ms(serving_call); }, settings.cold_iterations, 0)));
  return result;
}

}  // namespace gnnrt::cli

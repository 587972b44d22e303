#include "commands/bench_streams.h"

#include <atomic>
#include <barrier>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "gnnrt/error.h"
#include "runtime/backend.h"
#include "runtime/executor.h"

namespace gnnrt::cli {
namespace {

using Clock = std::chrono::steady_clock;

// One stream's context: its own backend (stream, pool, weights) and executor, the graph bound.
class StreamWorker {
 public:
  StreamWorker(const ir::Graph& graph, const runtime::TensorMap& host_inputs, const std::string& device,
               bool cuda_graph)
      : backend_(runtime::create_device_backend(device)), executor_(graph, backend_.get()), host_inputs_(host_inputs) {
    for (const auto& [name, tensor] : host_inputs) device_inputs_[name] = backend_->to_device(tensor);
    options_.binding = executor_.run_structure(device_inputs_);
    options_.check_device_errors = false;
    options_.cuda_graph = cuda_graph;
  }

  // One call of `loop`: "compute" leaves its outputs on the device and does not wait for them;
  // "end_to_end" takes host inputs and returns host outputs (so it waits).
  void call(const std::string& loop) {
    if (loop == "compute") {
      runtime::RunOptions options = options_;
      options.outputs_on_device = true;
      executor_.run(device_inputs_, {}, options);
    } else {
      executor_.run(host_inputs_, {}, options_);
    }
  }

  // Waits for the stream; a device error (a bad index) is the user's input error.
  void finish() {
    const runtime::DeviceBackend::DeviceError error = backend_->finish();
    if (error.site >= 0) fail_input("a device error while benchmarking streams (node #", error.site, "): ", error.message);
  }

 private:
  std::unique_ptr<runtime::DeviceBackend> backend_;
  runtime::Executor executor_;
  runtime::TensorMap host_inputs_, device_inputs_;
  runtime::RunOptions options_;
};

// `streams` workers on their own threads, each `warmup` calls, then all start together and each
// makes `calls` calls; the wall time runs from the common start to the last finish.
StreamsResult run_loop(const engine::EngineContents& engine, const runtime::TensorMap& inputs, const std::string& device,
                       const StreamsSettings& settings, const std::string& loop, int streams) {
  std::vector<std::unique_ptr<StreamWorker>> workers;
  for (int s = 0; s < streams; ++s)
    workers.push_back(std::make_unique<StreamWorker>(engine.model.graph, inputs, device, settings.cuda_graph));
  std::barrier ready(streams + 1);
  std::mutex failure_mutex;
  std::exception_ptr failure;         // the first worker's error, under failure_mutex
  std::atomic<bool> failed{false};    // read by the others' loops without the lock
  Clock::time_point start;
  std::vector<Clock::time_point> finished(static_cast<size_t>(streams));
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      StreamWorker& worker = *workers[static_cast<size_t>(s)];
      try {
        for (int64_t i = 0; i < settings.warmup; ++i) worker.call(loop);
        worker.finish();
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        failed = true;
      }
      ready.arrive_and_wait();  // everyone warm
      ready.arrive_and_wait();  // the clock started
      try {
        for (int64_t i = 0; i < settings.calls_per_stream && !failed; ++i) worker.call(loop);
        worker.finish();
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        failed = true;
      }
      finished[static_cast<size_t>(s)] = Clock::now();
    });
  }
  ready.arrive_and_wait();
  start = Clock::now();
  ready.arrive_and_wait();
  for (std::thread& thread : threads) thread.join();
  if (failure) std::rethrow_exception(failure);
  StreamsResult result;
  result.loop = loop;
  result.streams = streams;
  result.calls = settings.calls_per_stream * streams;
  Clock::time_point last = start;
  for (const Clock::time_point& t : finished) last = std::max(last, t);
  result.wall_ms = std::chrono::duration<double, std::milli>(last - start).count();
  return result;
}

}  // namespace

std::vector<StreamsResult> measure_streams(const engine::EngineContents& engine, const runtime::TensorMap& bound_inputs,
                                           const std::string& device, const StreamsSettings& settings) {
  std::vector<StreamsResult> results;
  if (settings.streams <= 0) return results;
  for (const char* loop : {"compute", "end_to_end"}) {
    results.push_back(run_loop(engine, bound_inputs, device, settings, loop, 1));
    if (settings.streams > 1) results.push_back(run_loop(engine, bound_inputs, device, settings, loop, settings.streams));
  }
  return results;
}

}  // namespace gnnrt::cli

// What gnnrt bench prints and writes: the trtexec-style summary on stdout, the per-node profile
// table (--dump-profile), and every number as JSON (--json, written atomically).
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "commands/bench_phases.h"
#include "commands/bench_streams.h"
#include "commands/bench_workload.h"
#include "io/synthetic_graphs.h"

namespace gnnrt::cli {

struct BenchReport {
  std::string model_path, model_kind;  // empty without a model
  std::string precision = "fp32";
  size_t engine_nodes = 0;
  std::string device;       // "cuda" or "cpu"
  std::string device_name;  // the card, or the CPU and its thread count
  std::string timer;        // "cuda_events" or "steady_clock"
  const BenchWorkload* workload = nullptr;
  std::optional<io::DegreeSummary> in_degrees, out_degrees;
  double generation_s = 0;  // making or reading the graph
  PhaseSettings settings;
  std::optional<Measurements> measurements;  // absent with --iterations 0
  std::vector<StreamsResult> streams;         // --streams N: one stream, then N, per loop
};

// The summary after the timing: one line per phase, throughput, memory.
void print_summary(std::ostream& out, const BenchReport& report);
// The per-node table, sorted by time, like trtexec --dumpProfile.
void print_profile(std::ostream& out, const Measurements& measurements);
void write_json_report(const std::string& path, const BenchReport& report);

}  // namespace gnnrt::cli

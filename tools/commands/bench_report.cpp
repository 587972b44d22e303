#include "commands/bench_report.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "io/atomic_file.h"

namespace gnnrt::cli {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

// Rates per second at a per-call time in milliseconds (0 when there is none).
struct Throughput {
  double graphs = 0, nodes = 0, edges = 0;
};
Throughput throughput_at(const BenchWorkload& workload, double milliseconds) {
  Throughput rate;
  if (milliseconds <= 0) return rate;
  rate.graphs = static_cast<double>(workload.num_graphs) * 1000.0 / milliseconds;
  rate.nodes = static_cast<double>(workload.num_nodes) * 1000.0 / milliseconds;
  rate.edges = static_cast<double>(workload.num_edges) * 1000.0 / milliseconds;
  return rate;
}

std::string describe_rate(const Throughput& rate) {
  std::ostringstream out;
  out << std::setprecision(4) << rate.graphs << " graphs/s, " << rate.nodes << " nodes/s, " << rate.edges
      << " edges/s";
  return out.str();
}

void print_profile_table(std::ostream& out, std::vector<runtime::NodeTiming> rows) {
  double total = 0;
  for (const runtime::NodeTiming& row : rows) total += row.milliseconds;
  std::stable_sort(rows.begin(), rows.end(),
                   [](const runtime::NodeTiming& a, const runtime::NodeTiming& b) { return a.milliseconds > b.milliseconds; });
  size_t op_width = 2;
  for (const runtime::NodeTiming& row : rows) op_width = std::max(op_width, row.op_type.size());
  out << std::setw(12) << "ms" << std::setw(9) << "%" << "  " << std::left << std::setw(7) << "device"
      << std::setw(static_cast<int>(op_width) + 2) << "op" << "node" << std::right << "\n";
  for (const runtime::NodeTiming& row : rows) {
    const double percent = total > 0 ? 100.0 * row.milliseconds / total : 0.0;
    out << std::setw(12) << fixed(row.milliseconds, 4) << std::setw(8) << fixed(percent, 1) << "%  " << std::left
        << std::setw(7) << row.device << std::setw(static_cast<int>(op_width) + 2) << row.op_type
        << (row.node.empty() ? "(unnamed)" : row.node) << std::right << "\n";
  }
  out << std::setw(12) << fixed(total, 4) << std::setw(8) << "100.0" << "%  " << "total of " << rows.size()
      << " node(s)\n";
}

void json_summary(std::ostream& json, const LatencySummary& s) {
  json << "\"count\": " << s.count << ", \"min\": " << json_number(s.min) << ", \"mean\": " << json_number(s.mean)
       << ", \"median\": " << json_number(s.median) << ", \"p90\": " << json_number(s.p90)
       << ", \"p95\": " << json_number(s.p95) << ", \"p99\": " << json_number(s.p99)
       << ", \"max\": " << json_number(s.max);
}

void json_samples(std::ostream& json, const std::vector<double>& samples) {
  json << "[";
  for (size_t i = 0; i < samples.size(); ++i) json << (i ? ", " : "") << json_number(samples[i]);
  json << "]";
}

void json_throughput(std::ostream& json, const Throughput& rate) {
  json << "{\"graphs_per_s\": " << json_number(rate.graphs) << ", \"nodes_per_s\": " << json_number(rate.nodes)
       << ", \"edges_per_s\": " << json_number(rate.edges) << "}";
}

void json_profile(std::ostream& json, const std::vector<runtime::NodeTiming>& rows) {
  double total = 0;
  for (const runtime::NodeTiming& row : rows) total += row.milliseconds;
  json << "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const runtime::NodeTiming& row = rows[i];
    json << (i ? ",\n      " : "\n      ") << "{\"node\": " << json_string(row.node)
         << ", \"op\": " << json_string(row.op_type) << ", \"device\": " << json_string(row.device)
         << ", \"ms\": " << json_number(row.milliseconds)
         << ", \"percent\": " << json_number(total > 0 ? 100.0 * row.milliseconds / total : 0.0) << "}";
  }
  json << (rows.empty() ? "]" : "\n    ]");
}

void json_degrees(std::ostream& json, const char* key, const std::optional<io::DegreeSummary>& degrees) {
  json << "\"" << key << "\": ";
  if (!degrees) {
    json << "null";
    return;
  }
  json << "{\"max\": " << degrees->max << ", \"mean\": " << json_number(degrees->mean) << "}";
}

std::string mib(size_t bytes) { return fixed(static_cast<double>(bytes) / kMiB, 1); }

}  // namespace

void print_summary(std::ostream& out, const BenchReport& report) {
  const Measurements& m = *report.measurements;
  const PhaseSettings& s = report.settings;
  out << "timing: " << s.warmup << " warm-up call(s); warm phases " << s.iterations << " call(s)";
  if (s.duration_s > 0) out << " and at least " << s.duration_s << " s each";
  out << "; cold, copies and end-to-end " << s.cold_iterations << " call(s); "
      << (report.timer == "cuda_events" ? "CUDA events on the backend's stream" : "the host's steady clock") << "\n";
  size_t title_width = 5;
  for (const PhaseResult& phase : m.phases) title_width = std::max(title_width, phase.title.size());
  out << std::left << std::setw(static_cast<int>(title_width)) << "phase" << std::right << std::setw(7) << "calls";
  for (const char* column : {"min", "mean", "median", "p90", "p95", "p99"}) out << std::setw(11) << column;
  out << "   (ms)\n";
  for (const PhaseResult& phase : m.phases) {
    const LatencySummary& l = phase.summary;
    out << std::left << std::setw(static_cast<int>(title_width)) << phase.title << std::right << std::setw(7)
        << l.count;
    for (double value : {l.min, l.mean, l.median, l.p90, l.p95, l.p99}) out << std::setw(11) << fixed(value, 4);
    if (phase.bytes > 0 && l.median > 0)
      out << "   " << mib(phase.bytes) << " MiB, " << fixed(static_cast<double>(phase.bytes) / 1e6 / l.median, 2)
          << " GB/s";
    out << "\n";
  }
  const BenchWorkload& workload = *report.workload;
  if (const PhaseResult* bound = find_phase(m, "compute_bound"))
    out << "throughput (" << bound->title << ", median): " << describe_rate(throughput_at(workload, bound->summary.median))
        << "\n";
  if (const PhaseResult* end_to_end = find_phase(m, "end_to_end"))
    out << "throughput (end-to-end, median): " << describe_rate(throughput_at(workload, end_to_end->summary.median))
        << "\n";
  if (m.memory.measured)
    out << "peak device memory beyond the inputs: " << mib(m.memory.cold_peak_bytes)
        << " MiB in a cold call (weights + structure cache + intermediates), " << mib(m.memory.warm_peak_bytes)
        << " MiB in a bound call (weights + binding + intermediates); the inputs: " << mib(m.memory.input_bytes)
        << " MiB\n";
  if (report.settings.cuda_graph) {
    if (m.graph_replayed)
      out << "CUDA graph: the bound call replayed as one launch; outputs "
          << (m.graph_outputs_identical ? "identical to" : "DIFFERENT from")
          << " the node-by-node call's; recording it (a new input shape re-records) took " << fixed(m.graph_record_ms, 3)
          << " ms once\n";
    else
      out << "CUDA graph: not used: " << (m.graph_note.empty() ? "the call was not replayed" : m.graph_note) << "\n";
  }
  for (const StreamsResult& r : report.streams) {
    const Throughput rate = throughput_at(workload, r.calls_per_s() > 0 ? 1e3 / r.calls_per_s() : 0);
    out << "streams: " << r.streams << " context(s) x " << r.calls / std::max(r.streams, 1) << " " << r.loop
        << " call(s) in " << fixed(r.wall_ms, 2) << " ms: " << fixed(r.calls_per_s(), 1) << " calls/s, "
        << describe_rate(rate) << "\n";
  }
  out << "structure part: " << m.structure_nodes << " of " << m.total_nodes << " top-level node(s)";
  if (m.structure_nodes == 0) out << " (nothing to cache: warm and cold calls run the same nodes)";
  else out << (m.cache_hit_every_call ? "; every cached call reused it" : "; a cached call did NOT reuse it");
  out << "\n";
}

void print_profile(std::ostream& out, const Measurements& m) {
  out << "profile: median per node of " << m.profile_calls
      << " profiled warm call(s), graph bound; each node timed alone and synchronously, so the total exceeds an "
         "unprofiled call\n";
  print_profile_table(out, m.warm_profile);
  if (m.cold_structure_profile.empty()) {
    out << "profile of the structure part: the model has none\n";
    return;
  }
  out << "profile of the structure part (one cold call; skipped by warm calls):\n";
  print_profile_table(out, m.cold_structure_profile);
}

void write_json_report(const std::string& path, const BenchReport& report) {
  const BenchWorkload& workload = *report.workload;
  std::ostringstream json;
  json << "{\n";
  json << "  \"format\": \"gnnrt-bench/2\",\n";
  json << "  \"model\": " << (report.model_path.empty() ? "null" : json_string(report.model_path)) << ",\n";
  json << "  \"model_kind\": " << (report.model_kind.empty() ? "null" : json_string(report.model_kind)) << ",\n";
  json << "  \"precision\": " << json_string(report.precision) << ",\n";
  json << "  \"engine_nodes\": " << report.engine_nodes << ",\n";
  json << "  \"device\": " << json_string(report.device) << ",\n";
  json << "  \"device_name\": " << json_string(report.device_name) << ",\n";
  json << "  \"timer\": " << json_string(report.timer) << ",\n";
  json << "  \"workload\": {\n";
  json << "    \"name\": " << json_string(workload.name) << ",\n";
  json << "    \"source\": " << json_string(workload.source) << ",\n";
  json << "    \"description\": " << json_string(workload.description) << ",\n";
  json << "    \"seed\": " << (workload.seed ? std::to_string(*workload.seed) : "null") << ",\n";
  json << "    \"pareto_shape\": " << (workload.pareto_shape ? json_number(*workload.pareto_shape) : "null") << ",\n";
  json << "    \"num_nodes\": " << workload.num_nodes << ",\n";
  json << "    \"num_edges\": " << workload.num_edges << ",\n";
  json << "    \"num_graphs\": " << workload.num_graphs << ",\n";
  json << "    \"feature_width\": " << workload.feature_width << ",\n";
  json << "    \"generation_s\": " << json_number(report.generation_s) << ",\n";
  json << "    ";
  json_degrees(json, "in_degree", report.in_degrees);
  json << ",\n    ";
  json_degrees(json, "out_degree", report.out_degrees);
  json << ",\n";
  if (report.in_degrees && report.out_degrees) {  // the names of format 1
    json << "    \"max_out_degree\": " << report.out_degrees->max << ",\n";
    json << "    \"max_in_degree\": " << report.in_degrees->max << ",\n";
    json << "    \"mean_degree\": " << json_number(report.out_degrees->mean) << ",\n";
  }
  json << "    \"inputs\": {";
  bool first = true;
  for (const std::string& name : workload.input_order) {
    auto it = workload.inputs.find(name);
    if (it == workload.inputs.end()) continue;
    json << (first ? "" : ", ") << json_string(name) << ": " << json_string(it->second.describe());
    first = false;
  }
  json << "}\n  },\n";
  const PhaseSettings& s = report.settings;
  json << "  \"warmup\": " << s.warmup << ",\n";
  json << "  \"iterations\": " << s.iterations << ",\n";
  json << "  \"duration_s\": " << json_number(s.duration_s) << ",\n";
  json << "  \"cold_iterations\": " << s.cold_iterations << ",\n";
  if (!report.measurements) {
    json << "  \"phases\": null\n}\n";
    const std::string text = json.str();
    io::write_file_atomically(path, text.data(), text.size());
    return;
  }
  const Measurements& m = *report.measurements;
  json << "  \"phases\": {";
  for (size_t i = 0; i < m.phases.size(); ++i) {
    const PhaseResult& phase = m.phases[i];
    json << (i ? "," : "") << "\n    " << json_string(phase.key) << ": {\"title\": " << json_string(phase.title)
         << ", \"timed\": " << json_string(phase.scope) << ",\n      \"ms\": {";
    json_summary(json, phase.summary);
    json << "},\n      \"bytes\": " << phase.bytes << ",\n      \"samples_ms\": ";
    json_samples(json, phase.samples_ms);
    json << "}";
  }
  json << "\n  },\n";
  const PhaseResult* bound = find_phase(m, "compute_bound");
  const PhaseResult* end_to_end = find_phase(m, "end_to_end");
  json << "  \"throughput\": ";
  json_throughput(json, throughput_at(workload, bound ? bound->summary.median : 0));
  json << ",\n  \"throughput_end_to_end\": ";
  json_throughput(json, throughput_at(workload, end_to_end ? end_to_end->summary.median : 0));
  json << ",\n";
  json << "  \"memory\": ";
  if (m.memory.measured)
    json << "{\"input_bytes\": " << m.memory.input_bytes << ", \"cold_peak_bytes\": " << m.memory.cold_peak_bytes
         << ", \"warm_peak_bytes\": " << m.memory.warm_peak_bytes
         << ", \"peak_mib\": " << json_number(static_cast<double>(m.memory.cold_peak_bytes) / kMiB)
         << ", \"warm_peak_mib\": " << json_number(static_cast<double>(m.memory.warm_peak_bytes) / kMiB)
         << ", \"counts\": \"device memory beyond the inputs: weights, structure cache (or binding) and "
            "intermediates; peak_mib is the cold call's\"}";
  else
    json << "null";
  json << ",\n";
  json << "  \"structure\": {\"nodes\": " << m.structure_nodes << ", \"total_nodes\": " << m.total_nodes
       << ", \"cache_hit_every_call\": " << (m.cache_hit_every_call ? "true" : "false") << "},\n";
  json << "  \"streams\": [";
  for (size_t i = 0; i < report.streams.size(); ++i) {
    const StreamsResult& r = report.streams[i];
    json << (i ? ", " : "") << "{\"loop\": " << json_string(r.loop) << ", \"streams\": " << r.streams
         << ", \"calls\": " << r.calls << ", \"wall_ms\": " << json_number(r.wall_ms)
         << ", \"calls_per_s\": " << json_number(r.calls_per_s())
         << ", \"graphs_per_s\": " << json_number(r.calls_per_s() * static_cast<double>(workload.num_graphs)) << "}";
  }
  json << "],\n";
  json << "  \"cuda_graph\": ";
  if (report.settings.cuda_graph)
    json << "{\"replayed\": " << (m.graph_replayed ? "true" : "false") << ", \"note\": " << json_string(m.graph_note)
         << ", \"record_ms\": " << json_number(m.graph_record_ms)
         << ", \"outputs_identical\": " << (m.graph_outputs_identical ? "true" : "false") << "}";
  else
    json << "null";
  json << ",\n";
  // Format 1's fields: the end-to-end latency, as gnnrt bench timed before the phases existed.
  if (end_to_end) {
    json << "  \"timed\": " << json_string(end_to_end->scope) << ",\n";
    json << "  \"latency_ms_phase\": \"end_to_end\",\n";
    json << "  \"latency_ms\": {";
    json_summary(json, end_to_end->summary);
    json << "},\n  \"samples_ms\": ";
    json_samples(json, end_to_end->samples_ms);
    json << ",\n";
  }
  json << "  \"profile\": ";
  if (m.profile_calls > 0) {
    json << "{\"warm_calls\": " << m.profile_calls << ",\n    \"warm\": ";
    json_profile(json, m.warm_profile);
    json << ",\n    \"cold_structure\": ";
    json_profile(json, m.cold_structure_profile);
    json << "}";
  } else {
    json << "null";
  }
  json << "\n";
  json << "}\n";
  const std::string text = json.str();
  io::write_file_atomically(path, text.data(), text.size());
}

}  // namespace gnnrt::cli

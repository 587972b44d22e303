#include "backends/cuda/spmm_tactics.h"

#include <algorithm>

#include "backends/cuda/cuda_check.h"
#include "gnnrt/error.h"

namespace gnnrt::cuda {

namespace {

// H100 SXM: used when the SM count cannot be read (no device at build time).
constexpr int kDefaultSmCount = 132;
// Warps one SM keeps resident in the SpMM kernels (about 40 to 64 registers a thread).
constexpr int64_t kResidentWarpsPerSm = 40;
// Below this many edges a call is launch-bound: WarpPerRow's single launch wins.
constexpr int64_t kSmallGraphEdges = int64_t{1} << 16;
// A warp may take a row this many times longer than an even split before the split pays off;
// rows this short are never worth splitting.
constexpr int64_t kImbalanceFactor = 4;
constexpr int64_t kShortRow = 256;

int current_sm_count() {
  int device = 0, sm_count = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || sm_count <= 0) {
    cudaGetLastError();  // not sticky: clear it for the next checked call
    return kDefaultSmCount;
  }
  return sm_count;
}

class Event {
 public:
  Event() { GNNRT_CUDA_CHECK(cudaEventCreate(&event_)); }
  ~Event() { cudaEventDestroy(event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// Device memory for one tactic's scratch; empty when the allocation failed.
class ScratchBuffer {
 public:
  explicit ScratchBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes == 0) return;
    if (cudaMalloc(&data_, bytes) != cudaSuccess) {
      cudaGetLastError();
      data_ = nullptr;
    }
  }
  ~ScratchBuffer() {
    if (data_) cudaFree(data_);
  }
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  bool ok() const { return bytes_ == 0 || data_ != nullptr; }
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

std::string_view spmm_tactic_name(SpmmTactic tactic) {
  switch (tactic) {
    case SpmmTactic::WarpPerRow: return "warp_per_row";
    case SpmmTactic::RowBalanced: return "row_balanced";
    case SpmmTactic::CuSparse: return "cusparse";
    case SpmmTactic::RowsPerWarp: return "rows_per_warp";
  }
  return "unknown";
}

std::optional<SpmmTactic> parse_spmm_tactic(std::string_view name) {
  for (SpmmTactic tactic : kSpmmTactics)
    if (spmm_tactic_name(tactic) == name) return tactic;
  return std::nullopt;
}

std::string spmm_tactic_names() {
  std::string names;
  for (SpmmTactic tactic : kSpmmTactics) {
    if (!names.empty()) names += ", ";
    names += spmm_tactic_name(tactic);
  }
  return names;
}

std::string spmm_config_name(SpmmConfig config) {
  std::string name(spmm_tactic_name(config.tactic));
  if (config.slab_bytes > 0) name += ":slab=" + std::to_string(config.slab_bytes);
  return name;
}

std::optional<SpmmConfig> parse_spmm_config(std::string_view name) {
  constexpr std::string_view kSlab = ":slab=";
  const size_t colon = name.find(':');
  const std::optional<SpmmTactic> tactic = parse_spmm_tactic(name.substr(0, colon));
  if (!tactic) return std::nullopt;
  SpmmConfig config{*tactic, 0};
  if (colon == std::string_view::npos) return config;
  const std::string_view suffix = name.substr(colon);
  if (suffix.substr(0, kSlab.size()) != kSlab || *tactic == SpmmTactic::CuSparse) return std::nullopt;
  const std::string_view digits = suffix.substr(kSlab.size());
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  int32_t bytes = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    bytes = bytes * 10 + (c - '0');
  }
  if (bytes < 16 || bytes > 65536) return std::nullopt;
  config.slab_bytes = bytes;
  return config;
}

SpmmTactic choose_spmm_tactic(int64_t num_rows, int64_t num_edges, int64_t width, int64_t max_row_length) {
  if (num_rows <= 0 || num_edges <= 0 || width <= 0) return SpmmTactic::WarpPerRow;
  const int64_t resident_warps = current_sm_count() * kResidentWarpsPerSm;
  const int64_t even_share = std::max<int64_t>(1, num_edges / resident_warps);
  if (max_row_length >= 0)
    return max_row_length <= kImbalanceFactor * std::max(even_share, kShortRow) ? SpmmTactic::WarpPerRow
                                                                                : SpmmTactic::RowBalanced;
  return num_edges < kSmallGraphEdges ? SpmmTactic::WarpPerRow : SpmmTactic::RowBalanced;
}

namespace {

// The configurations worth timing for `problem`: each gathering tactic at every distinct slab
// width of 128, 256 and 512 bytes (narrower rows collapse to one), rows_per_warp also at 64 and 32
// (fewer lanes a row, more rows a warp: for the short rows of batched small graphs), and cuSPARSE.
std::vector<SpmmConfig> candidate_configs(const SpmmProblem& problem) {
  std::vector<SpmmConfig> configs;
  for (SpmmTactic tactic : kSpmmTactics) {
    if (!spmm_tactic_applies(tactic, problem)) continue;
    if (tactic == SpmmTactic::CuSparse) {
      configs.push_back({tactic, 0});
      continue;
    }
    std::vector<int64_t> widths_seen;
    for (int32_t slab : {512, 256, 128, 64, 32}) {
      if (slab < 128 && tactic != SpmmTactic::RowsPerWarp) break;
      SpmmProblem sliced = problem;
      sliced.slab_bytes = slab;
      const int64_t used = spmm_slab_bytes_used(sliced);
      if (std::find(widths_seen.begin(), widths_seen.end(), used) != widths_seen.end()) continue;
      widths_seen.push_back(used);
      configs.push_back({tactic, slab});
    }
  }
  return configs;
}

// Runs longer than this are timed fewer times: the build of a 100 M-edge graph stays in seconds.
constexpr double kSlowRunMs = 10.0;
constexpr int kSlowRunRepeats = 5;

}  // namespace

SpmmTacticChoice time_spmm_tactics(const SpmmProblem& problem, cudaStream_t stream, DeviceErrorSink errors,
                                   SpmmTimingOptions options) {
  GNNRT_CHECK(options.repeats >= 1 && options.warmup >= 0, "SpMM tactic timing with ", options.repeats, " repeats");
  SpmmTacticChoice choice;
  const Event start, stop;
  auto timed = [&](auto&& run) {
    GNNRT_CUDA_CHECK(cudaEventRecord(start.get(), stream));
    run();
    GNNRT_CUDA_CHECK(cudaEventRecord(stop.get(), stream));
    GNNRT_CUDA_CHECK(cudaEventSynchronize(stop.get()));
    float milliseconds = 0.0f;
    GNNRT_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start.get(), stop.get()));
    return static_cast<double>(milliseconds);
  };
  for (const SpmmConfig& config : candidate_configs(problem)) {
    SpmmProblem configured = problem;
    configured.slab_bytes = config.slab_bytes;
    ScratchBuffer scratch(spmm_scratch_bytes(config.tactic, configured));
    if (!scratch.ok()) continue;
    auto run = [&] {
      launch_spmm(config.tactic, configured, scratch.data(), scratch.bytes(), errors, stream);
    };
    for (int i = 0; i < options.warmup; ++i) run();
    std::vector<double> times{timed(run)};
    const int repeats = times.front() > kSlowRunMs ? std::min(options.repeats, kSlowRunRepeats) : options.repeats;
    while (static_cast<int>(times.size()) < repeats) times.push_back(timed(run));
    choice.times.push_back({config, median(std::move(times))});
  }
  GNNRT_CHECK(!choice.times.empty(), "no SpMM tactic runs X of dtype ", dtype_name(problem.dtype));
  std::stable_sort(choice.times.begin(), choice.times.end(),
                   [](const SpmmTacticTime& a, const SpmmTacticTime& b) { return a.median_ms < b.median_ms; });
  choice.best = choice.times.front().config;
  return choice;
}

}  // namespace gnnrt::cuda

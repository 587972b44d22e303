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

SpmmTactic choose_spmm_tactic(int64_t num_rows, int64_t num_edges, int64_t width, int64_t max_row_length) {
  if (num_rows <= 0 || num_edges <= 0 || width <= 0) return SpmmTactic::WarpPerRow;
  const int64_t resident_warps = current_sm_count() * kResidentWarpsPerSm;
  const int64_t even_share = std::max<int64_t>(1, num_edges / resident_warps);
  if (max_row_length >= 0)
    return max_row_length <= kImbalanceFactor * std::max(even_share, kShortRow) ? SpmmTactic::WarpPerRow
                                                                                : SpmmTactic::RowBalanced;
  return num_edges < kSmallGraphEdges ? SpmmTactic::WarpPerRow : SpmmTactic::RowBalanced;
}

SpmmTacticChoice time_spmm_tactics(const SpmmProblem& problem, cudaStream_t stream, DeviceErrorSink errors,
                                   SpmmTimingOptions options) {
  GNNRT_CHECK(options.repeats >= 1 && options.warmup >= 0, "SpMM tactic timing with ", options.repeats, " repeats");
  SpmmTacticChoice choice;
  for (SpmmTactic tactic : kSpmmTactics) {
    if (!spmm_tactic_applies(tactic, problem)) continue;
    ScratchBuffer scratch(spmm_scratch_bytes(tactic, problem));
    if (!scratch.ok()) continue;
    auto run = [&] { launch_spmm(tactic, problem, scratch.data(), scratch.bytes(), errors, stream); };
    for (int i = 0; i < options.warmup; ++i) run();
    const Event start, stop;
    std::vector<double> times;
    for (int i = 0; i < options.repeats; ++i) {
      GNNRT_CUDA_CHECK(cudaEventRecord(start.get(), stream));
      run();
      GNNRT_CUDA_CHECK(cudaEventRecord(stop.get(), stream));
      GNNRT_CUDA_CHECK(cudaEventSynchronize(stop.get()));
      float milliseconds = 0.0f;
      GNNRT_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start.get(), stop.get()));
      times.push_back(milliseconds);
    }
    choice.times.push_back({tactic, median(std::move(times))});
  }
  GNNRT_CHECK(!choice.times.empty(), "no SpMM tactic runs X of dtype ", dtype_name(problem.dtype));
  std::stable_sort(choice.times.begin(), choice.times.end(),
                   [](const SpmmTacticTime& a, const SpmmTacticTime& b) { return a.median_ms < b.median_ms; });
  choice.best = choice.times.front().tactic;
  return choice;
}

}  // namespace gnnrt::cuda

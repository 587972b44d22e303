// The builder: imported model -> checked, shape-inferred, optimised IR (src/passes/),
// kernel choices for the target device, the optimisation profile -> engine contents, ready to
// save (`gnnrt build`) or to run at once (`gnnrt run --onnx` builds the same engine in memory).
#pragma once

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "builder/profile.h"
#include "engine/engine_contents.h"
#include "ir/graph.h"

namespace gnnrt::builder {

struct BuildOptions {
  std::string device = "cpu";  // "cpu" or "cuda" (then a CUDA device must be present)
  ProfileRequest profile;
  std::vector<std::string> disabled_passes;  // pass names to skip (--disable-pass); unknown names fail
  bool verbose_passes = false;               // log what each pass did (to the build log)
  // "fp32", or "fp16"/"bf16" (trtexec's --fp16/--bf16): node features are stored in 16 bits between
  // the first linear layer and the outputs, with fp32 accumulation in every SpMM and GEMM.
  // "int8" (--int8): SpMM feature inputs and Linear weights in int8
  // (passes/int8_lowering.h), with the scales below from calibration (quantization/calibration.h).
  std::string precision = "fp32";
  std::map<std::string, float> int8_scales;   // SpMM feature input -> scale
  std::string int8_scales_source;             // where they came from, for messages
  std::set<std::string> int8_float_layers;    // layers kept in fp32 (--layer-precision NAME:fp32)
  std::set<std::string> int8_fp16_layers;     // layers kept in fp16 (NAME:fp16, or past the tolerance)
  bool int8_per_row = false;                  // per-row feature scales (--int8-scales row)
  // CUDA engines: the SpMM tactics are timed at the profile's opt shape; a timing cache file
  // (trtexec's --timingCacheFile) keeps the measurements for later builds on the same card.
  bool time_tactics = true;
  // CUDA engines: pad odd feature widths between a Linear and its SpMMs to a multiple of 8, so
  // that rows are gathered in 16-byte units (passes/feature_width_padding.h).
  bool pad_feature_width = true;
  // A CPU engine that stands in for a CUDA one (INT8 calibration and per-layer measurement of a
  // CUDA build): the CUDA layout passes run too, so its values have the CUDA engine's names.
  bool layout_for_cuda = false;
  std::string timing_cache_path;  // empty: measurements are not kept
};

// `log`: where progress goes (nullptr for none).
engine::EngineContents build_engine(ir::Model model, const BuildOptions& options, std::ostream* log = nullptr);

// Whether the graph holds int8 values (an engine built with --int8).
bool holds_int8(const ir::Graph& graph);

// Fails (InvalidInput) unless the engine can run on `device` here: a CUDA engine needs a GPU of
// the compute capability it was built for; a CPU engine runs on the CPU.
void check_engine_runs_here(const engine::EngineContents& engine, const std::string& device, const std::string& what);

}  // namespace gnnrt::builder

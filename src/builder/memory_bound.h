// Whether an engine's optimisation profile can fit the card, checked at build time (as TensorRT
// refuses a profile it cannot serve). The bound is a floor, not an estimate of the peak: at the
// profile's maximum shapes, the graph inputs and the weights stay resident for the whole call,
// and while any one device node runs, its inputs and outputs must all exist at once. Whatever the
// execution order and the memory pool do, a call at the maximum needs at least that much; a
// profile whose floor exceeds the card's memory can never run at its maximum, so the build refuses
// it rather than failing at run time on the largest graphs.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "engine/engine_contents.h"
#include "ir/graph.h"

namespace gnnrt::builder {

struct DeviceMemoryFloor {
  uint64_t inputs_bytes = 0;   // graph inputs at their maximum shapes
  uint64_t weights_bytes = 0;  // initializers that device nodes read
  // The device node whose inputs and outputs (beyond the graph inputs and weights) take the most.
  std::string largest_node;
  uint64_t largest_node_bytes = 0;
  uint64_t total() const;  // saturates at UINT64_MAX
};

// The floor for the nodes `kernel_choices` puts on the device ("cuda:..."). Dimensions are taken at
// the profile's maximum; a dimension left unbounded, and a size only known at run time (the count
// of a NonZero), count at their minimum, so the result stays a floor.
DeviceMemoryFloor device_memory_floor(const ir::Graph& graph, const engine::OptimizationProfile& profile,
                                      const std::map<std::string, std::string>& kernel_choices);

// Fails (InvalidInput) when the floor exceeds `device_bytes`, naming the card, the floor's parts
// and which profile bounds to lower.
void check_profile_fits_device(const DeviceMemoryFloor& floor, uint64_t device_bytes, const std::string& device_name);

}  // namespace gnnrt::builder

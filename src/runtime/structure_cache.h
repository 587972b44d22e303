// The structure cache: the results of a graph's structure-only part (runtime/structure_split.h),
// kept from one call to the next. A call on the same graph - the same structure inputs, byte for
// byte, and every input of the same shape - skips that part and reuses them.
//
// Keys cannot collide: an entry holds its own copy of the structure inputs and a hit needs a full
// comparison with them (on the device for device inputs: one pass over the edge list, a small
// fraction of an SpMM's traffic). Callers that know the graph has not changed skip even that with
// an explicit binding (GraphBinding in gnnrt/runtime.h), which holds an entry of its own.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "gnnrt/tensor.h"
#include "runtime/backend.h"
#include "runtime/structure_split.h"

namespace gnnrt::runtime {

using TensorMap = std::map<std::string, Tensor>;

struct StructureEntry {
  std::map<std::string, Dims> input_shapes;  // every graph input's shape
  TensorMap structure_inputs;                 // private copies for the cache's full comparison (shared for a binding)
  TensorMap values;                           // the split's boundary values
};

// What a lookup found: an entry (a hit), or nullptr (a miss). `deferred`: the device inputs'
// comparison is queued on the device, not done: the caller runs the call as a hit, then asks
// DeviceBackend::finish() whether the comparison found a difference and, if it did, calls
// StructureCache::reject_deferred() and runs the call again as a miss.
struct StructureLookup {
  std::shared_ptr<const StructureEntry> entry;
  bool deferred = false;
};

// One cache serves one caller at a time (an ExecutionContext's): lookups and the verdicts on
// deferred ones are not synchronised.
class StructureCache {
 public:
  // The entry for these inputs, or nullptr. Compares shapes first, then the structure inputs' bytes
  // (with `device` for device tensors).
  std::shared_ptr<const StructureEntry> find(const StructureSplit& split, const TensorMap& inputs,
                                             DeviceBackend* device) {
    return lookup(split, inputs, device, false).entry;
  }
  // As find, but with `may_defer` (the caller waits for the device at the end of the call anyway)
  // the device comparison is only queued when the previous lookup was a hit: a run of calls on one
  // graph then waits once per call, and a run of new graphs never runs a call twice.
  StructureLookup lookup(const StructureSplit& split, const TensorMap& inputs, DeviceBackend* device,
                         bool may_defer);
  // The deferred comparison of the last lookup found a difference: it was a miss after all.
  void reject_deferred();
  // Keeps `values` for these inputs (one entry: a new graph replaces the old one).
  void store(const StructureSplit& split, const TensorMap& inputs, TensorMap values, DeviceBackend* device);
  void clear() { entry_.reset(); }

  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }
  size_t deferred_hits() const { return deferred_hits_; }  // hits whose device comparison was deferred

 private:
  std::shared_ptr<const StructureEntry> entry_;
  size_t hits_ = 0, misses_ = 0, deferred_hits_ = 0;
  bool last_was_hit_ = false;
};

// An entry for `inputs`. With `private_copies` (the cache) the structure inputs are copied (with
// `device` when they are on it), so that a caller changing its tensors in place cannot make a stale
// entry look current; without (a binding, which the caller vouches for) the entry only shares them.
std::shared_ptr<StructureEntry> make_structure_entry(const StructureSplit& split, const TensorMap& inputs,
                                                     TensorMap values, DeviceBackend* device, bool private_copies);
// Whether every input has the shape recorded in `entry`.
bool shapes_match(const StructureEntry& entry, const TensorMap& inputs);

}  // namespace gnnrt::runtime

#include "runtime/structure_cache.h"

#include <cstring>

namespace gnnrt::runtime {
namespace {

bool same_bytes(const Tensor& a, const Tensor& b, DeviceBackend* device) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.nbytes() == 0) return true;
  if (a.on_host() && b.on_host()) return std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
  if (!a.on_host() && !b.on_host() && device) return device->bytes_equal(a, b);
  return false;  // one on each side: treated as a different graph (a miss, never a wrong hit)
}

}  // namespace

bool shapes_match(const StructureEntry& entry, const TensorMap& inputs) {
  if (entry.input_shapes.size() != inputs.size()) return false;
  for (const auto& [name, tensor] : inputs) {
    auto it = entry.input_shapes.find(name);
    if (it == entry.input_shapes.end() || it->second != tensor.shape()) return false;
  }
  return true;
}

std::shared_ptr<StructureEntry> make_structure_entry(const StructureSplit& split, const TensorMap& inputs,
                                                     TensorMap values, DeviceBackend* device, bool private_copies) {
  auto entry = std::make_shared<StructureEntry>();
  for (const auto& [name, tensor] : inputs) entry->input_shapes[name] = tensor.shape();
  for (const std::string& name : split.structure_inputs) {
    auto it = inputs.find(name);
    if (it == inputs.end()) continue;
    const Tensor& tensor = it->second;
    if (!private_copies) entry->structure_inputs[name] = tensor;
    else entry->structure_inputs[name] = tensor.on_host() || !device ? tensor.clone() : device->copy_on_device(tensor);
  }
  entry->values = std::move(values);
  return entry;
}

StructureLookup StructureCache::lookup(const StructureSplit& split, const TensorMap& inputs, DeviceBackend* device,
                                       bool may_defer) {
  const auto miss = [&] {
    ++misses_;
    last_was_hit_ = false;
    return StructureLookup{};
  };
  if (!entry_ || !shapes_match(*entry_, inputs)) return miss();
  const bool defer = may_defer && last_was_hit_ && device;
  StructureLookup found{entry_, false};
  for (const std::string& name : split.structure_inputs) {
    auto given = inputs.find(name);
    auto kept = entry_->structure_inputs.find(name);
    if (given == inputs.end() || kept == entry_->structure_inputs.end()) return miss();
    const Tensor& a = given->second;
    const Tensor& b = kept->second;
    if (defer && device->queue_bytes_compare(a, b)) {  // the backend says which pairs it can queue
      found.deferred = true;
      continue;
    }
    if (!same_bytes(a, b, device)) return miss();
  }
  ++hits_;
  deferred_hits_ += found.deferred;
  last_was_hit_ = true;
  return found;
}

void StructureCache::reject_deferred() {
  GNNRT_CHECK(deferred_hits_ > 0 && last_was_hit_, "reject_deferred without a deferred hit");
  --hits_;
  --deferred_hits_;
  last_was_hit_ = false;
  entry_.reset();  // the caller runs the call again: its lookup counts the miss, and it stores the new graph
}

void StructureCache::store(const StructureSplit& split, const TensorMap& inputs, TensorMap values,
                           DeviceBackend* device) {
  entry_ = make_structure_entry(split, inputs, std::move(values), device, /*private_copies=*/true);
}

}  // namespace gnnrt::runtime

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

std::shared_ptr<const StructureEntry> StructureCache::find(const StructureSplit& split, const TensorMap& inputs,
                                                           DeviceBackend* device) {
  if (!entry_ || !shapes_match(*entry_, inputs)) {
    ++misses_;
    return nullptr;
  }
  for (const std::string& name : split.structure_inputs) {
    auto given = inputs.find(name);
    auto kept = entry_->structure_inputs.find(name);
    if (given == inputs.end() || kept == entry_->structure_inputs.end() ||
        !same_bytes(given->second, kept->second, device)) {
      ++misses_;
      return nullptr;
    }
  }
  ++hits_;
  return entry_;
}

void StructureCache::store(const StructureSplit& split, const TensorMap& inputs, TensorMap values,
                           DeviceBackend* device) {
  entry_ = make_structure_entry(split, inputs, std::move(values), device, /*private_copies=*/true);
}

}  // namespace gnnrt::runtime

// IR <-> FlatBuffers tables of the engine metadata (schema: engine.fbs). Tensor bytes never go
// into the flatbuffer: the writer places them in the weights section (WeightsLayout) and the
// metadata records dtype, shape, offset and size; the reader checks those and makes tensors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine_generated.h"
#include "gnnrt/tensor.h"
#include "ir/graph.h"

namespace gnnrt::engine {

// The tensors of the weights section, in file order, each at a 64-byte-aligned offset.
class WeightsLayout {
 public:
  struct Placed {
    Tensor tensor;    // shares the IR tensor's storage
    uint64_t offset;  // from the start of the weights section
  };
  // Reserves room for `tensor` (a defined host tensor) and returns its offset.
  uint64_t place(const Tensor& tensor);
  const std::vector<Placed>& placed() const { return placed_; }
  uint64_t size() const { return size_; }  // end of the last tensor

 private:
  std::vector<Placed> placed_;
  uint64_t size_ = 0;
};

flatbuffers::Offset<fb::Model> write_model(flatbuffers::FlatBufferBuilder& builder, const ir::Model& model,
                                           WeightsLayout& weights);
flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> write_strings(
    flatbuffers::FlatBufferBuilder& builder, const std::vector<std::string>& strings);

// The weights section of a loaded file.
struct WeightsSection {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  // Set: tensors are views into `data` (which must stay alive and be 64-byte aligned) that keep
  // `owner` alive. Null: tensors get their own copies.
  std::shared_ptr<void> owner;
};

// Converts verified metadata into IR, checking what FlatBuffers' verifier cannot: enum values,
// shapes, tensor sizes and their places in the weights section. Every failure is fail_input
// naming the engine (`what`) and the table. It also bounds the memory that conversion may
// allocate by the metadata's size, so that a crafted file whose tables share data many times
// cannot expand into an allocation storm.
class MetadataReader {
 public:
  MetadataReader(const WeightsSection& weights, uint64_t metadata_size, std::string what);

  ir::Model model(const fb::Model& model);
  std::string string(const flatbuffers::String* text);  // null reads as ""
  std::vector<std::string> strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list);
  std::vector<int64_t> longs(const flatbuffers::Vector<int64_t>* list);
  // Charges one table visit against the budget.
  void visit_table();
  // Call after the last tensor: checks that no two tensors share bytes of the weights section.
  void check_tensors_disjoint();

  template <typename... Parts>
  [[noreturn]] void invalid(const std::string& where, Parts&&... parts) const {
    fail_input("engine '", what_, "': ", where, ": ", std::forward<Parts>(parts)...,
               ": the engine is invalid; rebuild it with `gnnrt build`");
  }

 private:
  void charge(uint64_t bytes);
  DType dtype(uint8_t value, bool allow_undefined, const std::string& where) const;
  ir::Graph graph(const fb::Graph* graph, const std::string& where);
  ir::ValueType value_type(const fb::ValueType* type, const std::string& where);
  Tensor tensor(const fb::TensorRef* ref, const std::string& where);
  ir::Attribute attribute(const fb::Attribute& attribute, const std::string& where);
  ir::Node node(const fb::Node& node, const std::string& where);

  WeightsSection weights_;
  uint64_t budget_;
  std::string what_;
  struct Range {
    uint64_t offset, size;
    std::string where;
  };
  std::vector<Range> tensor_ranges_;
};

}  // namespace gnnrt::engine

#include "engine/engine_writer.h"

#include <bit>
#include <ostream>

#include "engine/checksum.h"
#include "engine/engine_checks.h"
#include "engine/engine_header.h"
#include "engine/ir_serialization.h"
#include "io/atomic_file.h"

namespace gnnrt::engine {

static_assert(std::endian::native == std::endian::little,
              "the engine's weights section holds little-endian bytes copied straight from memory");

namespace {

namespace fbs = ::flatbuffers;

// Everything the file will hold, laid out, before a byte is written.
struct EngineImage {
  std::array<uint8_t, kEngineHeaderSize> header{};
  fbs::DetachedBuffer metadata;
  uint64_t weights_offset = 0;
  WeightsLayout weights;
};

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

fbs::Offset<fb::Engine> write_engine_table(fbs::FlatBufferBuilder& builder, const EngineContents& engine,
                                           WeightsLayout& weights) {
  const auto model = write_model(builder, engine.model, weights);

  std::vector<fbs::Offset<fb::InputRange>> ranges;
  for (const InputRange& range : engine.profile.inputs) {
    const auto name = builder.CreateString(range.name);
    const auto min = builder.CreateVector(range.min);
    const auto opt = builder.CreateVector(range.opt);
    const auto max = builder.CreateVector(range.max);
    ranges.push_back(fb::CreateInputRange(builder, name, min, opt, max));
  }
  const auto range_list = builder.CreateVector(ranges);
  const auto profile = fb::CreateOptimizationProfile(builder, range_list, engine.profile.max_graphs, engine.profile.opt_graphs);

  const auto device = builder.CreateString(engine.target.device);
  const auto device_name = builder.CreateString(engine.target.device_name);
  const auto target = fb::CreateEngineTarget(builder, device, engine.target.compute_capability, device_name);

  std::vector<fbs::Offset<fb::KernelChoice>> choices;
  for (const auto& [node, kernel] : engine.kernel_choices) {
    const auto node_name = builder.CreateString(node);
    const auto kernel_name = builder.CreateString(kernel);
    choices.push_back(fb::CreateKernelChoice(builder, node_name, kernel_name));
  }
  const auto choice_list = builder.CreateVector(choices);
  const auto passes = write_strings(builder, engine.applied_passes);
  const auto builder_version = builder.CreateString(engine.builder_version);
  return fb::CreateEngine(builder, builder_version, model, profile, target, choice_list, passes);
}

// Calls sink(bytes, size) for everything after the header, in file order: metadata, padding,
// then each tensor after the padding that aligns it.
template <typename Sink>
void emit_payload(const EngineImage& image, Sink&& sink) {
  static const uint8_t kZeros[kWeightAlignment] = {};
  uint64_t position = kEngineHeaderSize;
  sink(image.metadata.data(), image.metadata.size());
  position += image.metadata.size();
  auto pad_to = [&](uint64_t target) {
    GNNRT_CHECK(target >= position && target - position < kWeightAlignment, "padding from ", position, " to ", target);
    if (target > position) sink(kZeros, target - position);
    position = target;
  };
  pad_to(image.weights_offset);
  for (const WeightsLayout::Placed& placed : image.weights.placed()) {
    if (placed.tensor.nbytes() == 0) continue;
    pad_to(image.weights_offset + placed.offset);
    sink(static_cast<const uint8_t*>(placed.tensor.raw()), placed.tensor.nbytes());
    position += placed.tensor.nbytes();
  }
  GNNRT_CHECK(position == image.weights_offset + image.weights.size(), "engine payload ends at ", position);
}

EngineImage plan_engine(const EngineContents& engine, const std::string& what) {
  check_engine_contents(engine, what, ErrorCode::Internal);
  EngineImage image;
  fbs::FlatBufferBuilder builder(1 << 16);
  // Write every field, defaults too: the file then shows every value explicitly and -0.0f
  // survives (a default-valued field would be left out and read back as +0.0f).
  builder.ForceDefaults(true);
  const auto root = write_engine_table(builder, engine, image.weights);
  fb::FinishEngineBuffer(builder, root);
  image.metadata = builder.Release();

  EngineHeader header;
  header.format_version = kEngineFormatVersion;
  header.metadata_offset = kEngineHeaderSize;
  header.metadata_size = image.metadata.size();
  header.weights_offset = align_up(kEngineHeaderSize + image.metadata.size(), kWeightAlignment);
  header.weights_size = image.weights.size();
  header.file_size = header.weights_offset + header.weights_size;
  image.weights_offset = header.weights_offset;
  uint32_t crc = 0;
  emit_payload(image, [&](const uint8_t* bytes, uint64_t size) { crc = crc32_update(crc, bytes, size); });
  header.payload_checksum = crc;
  image.header = encode_engine_header(header);
  return image;
}

}  // namespace

std::string serialize_engine(const EngineContents& engine) {
  const EngineImage image = plan_engine(engine, "<in memory>");
  std::string bytes;
  bytes.reserve(image.weights_offset + image.weights.size());
  bytes.append(reinterpret_cast<const char*>(image.header.data()), image.header.size());
  emit_payload(image, [&](const uint8_t* data, uint64_t size) { bytes.append(reinterpret_cast<const char*>(data), size); });
  return bytes;
}

void write_engine_file(const std::string& path, const EngineContents& engine) {
  // Planning happens inside the callback, so a failure at any point leaves no file behind.
  io::write_file_atomically(path, [&](std::ostream& out) {
    const EngineImage image = plan_engine(engine, path);
    out.write(reinterpret_cast<const char*>(image.header.data()), static_cast<std::streamsize>(image.header.size()));
    emit_payload(image, [&](const uint8_t* data, uint64_t size) {
      out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    });
  });
}

}  // namespace gnnrt::engine

#include "engine/engine_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <new>
#include <set>

#include "engine/engine_checks.h"
#include "engine/engine_header.h"
#include "engine/ir_serialization.h"
#include "gnnrt/error.h"

namespace gnnrt::engine {

static_assert(std::endian::native == std::endian::little,
              "the engine's weights section holds little-endian bytes used in place");

namespace {

namespace fbs = ::flatbuffers;

EngineContents convert_engine(const fb::Engine& root, MetadataReader& reader) {
  EngineContents engine;
  reader.visit_table();
  engine.builder_version = reader.string(root.builder_version());
  engine.model = reader.model(*root.model());  // required: the verifier checked it is present
  if (const fb::OptimizationProfile* profile = root.profile()) {
    reader.visit_table();
    engine.profile.max_graphs = profile->max_graphs();
    engine.profile.opt_graphs = profile->opt_graphs();
    if (const auto* ranges = profile->inputs()) {
      for (const fb::InputRange* range : *ranges) {
        reader.visit_table();
        engine.profile.inputs.push_back(InputRange{reader.string(range->name()), reader.longs(range->min()),
                                                   reader.longs(range->opt()), reader.longs(range->max())});
      }
    }
  }
  if (const fb::EngineTarget* target = root.target()) {
    reader.visit_table();
    engine.target.device = reader.string(target->device());
    engine.target.compute_capability = target->compute_capability();
    engine.target.device_name = reader.string(target->device_name());
  }
  if (const auto* choices = root.kernel_choices()) {
    for (const fb::KernelChoice* choice : *choices) {
      reader.visit_table();
      std::string node = reader.string(choice->node());
      if (engine.kernel_choices.count(node)) reader.invalid("kernel choices", "node '", node, "' is listed twice");
      engine.kernel_choices.emplace(std::move(node), reader.string(choice->kernel()));
    }
  }
  engine.applied_passes = reader.strings(root.applied_passes());
  reader.check_tensors_disjoint();
  return engine;
}

// `owner` set: the tensors view the weights in place (`data` must be 64-byte aligned and stay
// alive as long as owner does); null: they are copied.
EngineContents decode_engine(const uint8_t* data, size_t size, const std::string& what, std::shared_ptr<void> owner) {
  const EngineHeader header = validate_engine_header(data, size, what);
  try {
    // FlatBuffers reads scalars in place; give it an 8-byte-aligned copy when the caller's
    // buffer is not aligned (the section's offset in the file always is).
    const uint8_t* metadata = data + header.metadata_offset;
    std::vector<uint64_t> aligned_copy;
    if (reinterpret_cast<uintptr_t>(metadata) % 8 != 0) {
      aligned_copy.resize((header.metadata_size + 7) / 8);
      std::memcpy(aligned_copy.data(), metadata, header.metadata_size);
      metadata = reinterpret_cast<const uint8_t*>(aligned_copy.data());
    }
    fbs::Verifier::Options options;
    options.max_depth = 64;  // about 20 levels of nested subgraphs
    // Verification visits each table reference once; a well-formed file has at most one table
    // per 8 bytes of metadata, so this bound only stops crafted files with heavily shared tables.
    options.max_tables = static_cast<fbs::uoffset_t>(std::max<uint64_t>(1000000, header.metadata_size / 4));
    fbs::Verifier verifier(metadata, header.metadata_size, options);
    if (!fb::VerifyEngineBuffer(verifier))
      fail_input("engine '", what, "': the metadata section fails FlatBuffers verification (",
                 header.metadata_size, " bytes at offset ", header.metadata_offset,
                 "): the engine is invalid; rebuild it with `gnnrt build`");

    WeightsSection weights{data + header.weights_offset, header.weights_size, owner};
    if (owner && reinterpret_cast<uintptr_t>(weights.data) % kWeightAlignment != 0) weights.owner = nullptr;
    MetadataReader reader(weights, header.metadata_size, what);
    EngineContents engine = convert_engine(*fb::GetEngine(metadata), reader);
    check_engine_contents(engine, what, ErrorCode::InvalidInput);
    return engine;
  } catch (const std::bad_alloc&) {
    fail_input("engine '", what, "': out of host memory while loading it (", size, " bytes)");
  } catch (const std::length_error&) {
    fail_input("engine '", what, "': out of host memory while loading it (", size, " bytes)");
  }
}

std::string errno_text(int error_number) { return std::strerror(error_number); }

// Closes the descriptor on every path out.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

EngineContents deserialize_engine(const void* data, size_t size, const std::string& what) {
  if (data == nullptr && size != 0) fail_internal("deserialize_engine of '", what, "': null data of ", size, " bytes");
  static const uint8_t kNothing = 0;
  return decode_engine(data ? static_cast<const uint8_t*>(data) : &kNothing, size, what, nullptr);
}

EngineContents read_engine_file(const std::string& path) {
  FileDescriptor file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) {
    const int error_number = errno;
    fail_input("cannot open engine '", path, "': ", errno_text(error_number));
  }
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) {
    const int error_number = errno;
    fail_input("cannot read engine '", path, "': ", errno_text(error_number));
  }
  if (S_ISDIR(info.st_mode)) fail_input("cannot read engine '", path, "': it is a folder, not an engine file");
  if (!S_ISREG(info.st_mode)) fail_input("cannot read engine '", path, "': not a regular file");
  const size_t size = static_cast<size_t>(info.st_size);
  if (size == 0) return deserialize_engine(nullptr, 0, path);

  // Private and writable: the weights become tensors a kernel may write to without touching
  // the file; pages stay shared with the page cache until written.
  void* mapping = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0);
  if (mapping == MAP_FAILED) {
    const int error_number = errno;
    fail_input("cannot map engine '", path, "' (", size, " bytes) into memory: ", errno_text(error_number));
  }
  std::shared_ptr<void> owner(mapping, [size](void* address) { ::munmap(address, size); });
  return decode_engine(static_cast<const uint8_t*>(mapping), size, path, owner);
}

}  // namespace gnnrt::engine

#include "onnx/external_data.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>

namespace gnnrt::onnx_import {

namespace fs = std::filesystem;

namespace {

struct ExternalLocation {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

uint64_t parse_byte_count(const std::string& key, const std::string& text, const std::string& label,
                          const TensorContext& context) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end ||
      value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    fail_input(context.what, ": ", label, " has external data ", key, " '", text,
               "', expected a non-negative byte count");
  return value;
}

ExternalLocation parse_external_entries(const ::onnx::TensorProto& proto, const std::string& label,
                                        const TensorContext& context) {
  ExternalLocation result;
  bool has_location = false;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") {
      result.location = entry.value();
      has_location = true;
    } else if (entry.key() == "offset") {
      result.offset = parse_byte_count("offset", entry.value(), label, context);
    } else if (entry.key() == "length") {
      result.length = parse_byte_count("length", entry.value(), label, context);
    }
    // "checksum" and unknown keys are informational.
  }
  if (!has_location || result.location.empty())
    fail_input(context.what, ": ", label, " is marked as external data but has no 'location' entry");
  return result;
}

bool is_inside(const fs::path& folder, const fs::path& candidate) {
  auto [folder_end, candidate_at] = std::mismatch(folder.begin(), folder.end(), candidate.begin(), candidate.end());
  return folder_end == folder.end();
}

// The file's path, refusing anything that could read outside the model's folder.
fs::path resolve_location(const std::string& location, const std::string& label, const TensorContext& context) {
  const fs::path relative(location);
  if (relative.is_absolute() || relative.has_root_name() || relative.has_root_directory())
    fail_input(context.what, ": ", label, " refers to external data at the absolute path '", location,
               "'; refused: external data must be a relative path inside the model's folder");
  if (context.base_dir.empty())
    fail_input(context.what, ": ", label, " refers to external data file '", location,
               "', but the model was not loaded from a folder; load it from its file instead");
  std::error_code ec;
  const fs::path folder = fs::weakly_canonical(fs::absolute(context.base_dir), ec);
  if (ec) fail_input(context.what, ": cannot resolve the model's folder '", context.base_dir, "': ", ec.message());
  // weakly_canonical resolves the symlinks of every part that exists, so a link out of the folder
  // is caught as well as '..'.
  const fs::path resolved = fs::weakly_canonical(folder / relative, ec);
  if (ec) fail_input(context.what, ": ", label, ": cannot resolve external data path '", location, "': ", ec.message());
  if (!is_inside(folder, resolved) || resolved == folder)
    fail_input(context.what, ": ", label, " refers to external data at '", location, "', which resolves to '",
               resolved.string(), "' outside the model's folder '", folder.string(),
               "'; refused: external data must stay inside the model's folder");
  return resolved;
}

}  // namespace

Tensor read_external_data(const ::onnx::TensorProto& proto, DType dtype, const Dims& dims, const std::string& label,
                          const TensorContext& context) {
  const ExternalLocation where = parse_external_entries(proto, label, context);
  const fs::path file_path = resolve_location(where.location, label, context);
  const uint64_t needed = static_cast<uint64_t>(element_count(dims)) * dtype_size(dtype);
  const std::string described = cat(dtype_name(dtype), shape_to_string(dims));
  const std::string file_text = file_path.string();

  if (where.length && *where.length != needed)
    fail_input(context.what, ": ", label, " (", described, ") has external data length ", *where.length,
               " bytes in '", where.location, "', expected ", needed, " bytes for its shape and dtype");

  std::error_code ec;
  if (!fs::exists(file_path, ec))
    fail_input(context.what, ": ", label, " needs ", needed, " bytes at offset ", where.offset,
               " of external data file '", file_text, "', which does not exist (keep '", where.location,
               "' beside the model)");
  if (!fs::is_regular_file(file_path, ec))
    fail_input(context.what, ": ", label, ": external data path '", file_text, "' is not a regular file");
  const uint64_t file_size = fs::file_size(file_path, ec);
  if (ec) fail_input(context.what, ": ", label, ": cannot get the size of '", file_text, "': ", ec.message());
  if (where.offset > file_size || needed > file_size - where.offset)
    fail_input(context.what, ": ", label, " (", described, ") needs bytes ", where.offset, "..",
               where.offset + needed, " of external data file '", file_text, "' (offset ", where.offset,
               " + ", needed, " bytes), but the file has only ", file_size, " bytes (truncated?)");
  Tensor tensor(dtype, dims);
  if (needed == 0) return tensor;

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(file_text.c_str(), "rb"), &std::fclose);
  if (!file) fail_input(context.what, ": ", label, ": cannot open external data file '", file_text, "': ", std::strerror(errno));
  if (fseeko(file.get(), static_cast<off_t>(where.offset), SEEK_SET) != 0)
    fail_input(context.what, ": ", label, ": cannot seek to offset ", where.offset, " in '", file_text, "': ", std::strerror(errno));
  const size_t got = std::fread(tensor.raw(), 1, needed, file.get());
  if (got != needed)
    fail_input(context.what, ": ", label, ": read ", got, " of ", needed, " bytes from '", file_text,
               "' at offset ", where.offset, " (file changed while reading?)");
  return tensor;
}

}  // namespace gnnrt::onnx_import

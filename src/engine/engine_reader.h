// Loading engine files (layout and the checks made on load: docs/ENGINE_FORMAT.md).
#pragma once

#include <cstddef>
#include <string>

#include "engine/engine_contents.h"

namespace gnnrt::engine {

// Decodes an engine held in memory; the weights are copied into tensors of their own, so `data`
// may be freed afterwards. `what` names the source in messages (usually the file name).
// Any defect of the bytes is fail_input (InvalidInput) naming `what`, never a crash.
EngineContents deserialize_engine(const void* data, size_t size, const std::string& what);

// Maps the file into memory (private, copy-on-write) and makes the weights tensor views into the
// mapping, which they keep alive: loading a large engine neither copies its weights nor needs
// room for them twice. Writing to a weight changes the process's copy, never the file.
// The file must not be truncated or rewritten in place while loaded (gnnrt's writer replaces
// files atomically, which is safe).
EngineContents read_engine_file(const std::string& path);

}  // namespace gnnrt::engine

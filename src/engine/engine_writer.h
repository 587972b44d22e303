// Writing engine files (layout: docs/ENGINE_FORMAT.md).
#pragma once

#include <string>

#include "engine/engine_contents.h"

namespace gnnrt::engine {

// The complete engine file as bytes. Checks the contents first (engine_checks.h) and fails with
// Internal when gnnrt could not load what it would write (an undefined value, a device tensor).
std::string serialize_engine(const EngineContents& engine);

// Writes the engine to `path` atomically (io/atomic_file.h): a reader sees the old file or the
// complete new one, never a partial file. Streams the weights straight from the IR's tensors,
// so the engine is never held twice in memory.
void write_engine_file(const std::string& path, const EngineContents& engine);

}  // namespace gnnrt::engine

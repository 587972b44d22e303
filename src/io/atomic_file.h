// Atomic file replacement: the data goes to a temporary file in the target's folder, is
// fsynced, and is renamed over the target. A reader sees either the old file or the complete new
// one, never a half-written file; a failure (an exception from the writer, a full disk) removes
// the temporary and leaves the target as it was.
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>

namespace gnnrt::io {

// `write` streams the content; an exception it throws is rethrown after the temporary is removed.
// Errors: fail_input when the file cannot be created (no such folder, no permission, the path is a
// folder), fail_internal when writing, syncing or renaming fails midway (disk full, I/O error).
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_file_atomically(const std::string& path, const void* data, size_t size);

}  // namespace gnnrt::io

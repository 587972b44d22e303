// gnnrt::Error as Python exceptions: InvalidInput (the caller's file, tensor, option or model)
// raises gnnrt.InvalidInputError, a ValueError; Internal (a gnnrt bug or an environment failure)
// raises gnnrt.InternalError, a RuntimeError. The message is the engine's, unchanged.
#pragma once

#include <nanobind/nanobind.h>

namespace gnnrt::python {

// Adds InvalidInputError and InternalError to `module` and registers the translation.
void register_error_translation(nanobind::module_& module);

}  // namespace gnnrt::python

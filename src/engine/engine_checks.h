// Semantic checks of an engine's contents: every value a node reads is defined before it (in its
// graph or an enclosing one), nothing is defined twice, shapes and tensors are well formed, and
// the profile and target make sense. The reader runs them on what it loaded (a failure is the
// file's fault: InvalidInput); the writer runs them before writing, so that gnnrt never writes
// an engine it would refuse to load (a failure there is a gnnrt bug: Internal).
#pragma once

#include <string>

#include "engine/engine_contents.h"
#include "gnnrt/error.h"

namespace gnnrt::engine {

// `what` names the engine in messages; `fault` is the ErrorCode thrown on a failure.
void check_engine_contents(const EngineContents& engine, const std::string& what, ErrorCode fault);

}  // namespace gnnrt::engine

#include "backends/cpu/kernel_registry.h"

namespace gnnrt::cpu {

void register_linear_algebra_kernels(KernelRegistry& registry) {}

}  // namespace gnnrt::cpu

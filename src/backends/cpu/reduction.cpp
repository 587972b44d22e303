#include "backends/cpu/kernel_registry.h"

namespace gnnrt::cpu {

void register_reduction_kernels(KernelRegistry& registry) {}

}  // namespace gnnrt::cpu

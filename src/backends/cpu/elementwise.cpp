#include "backends/cpu/kernel_registry.h"

namespace gnnrt::cpu {

void register_elementwise_kernels(KernelRegistry& registry) {}

}  // namespace gnnrt::cpu

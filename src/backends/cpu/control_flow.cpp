#include "backends/cpu/kernel_registry.h"

namespace gnnrt::cpu {

void register_control_flow_kernels(KernelRegistry& registry) {}

}  // namespace gnnrt::cpu

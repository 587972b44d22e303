// OpenMP's runtime functions, or their one-thread equivalents in a build without OpenMP
// (GNNRT_OPENMP=OFF, the ThreadSanitizer build: libgomp is not instrumented, so TSan would take
// its barriers for races). The `#pragma omp` lines are ignored there and every loop runs serially.
#pragma once

#if defined(_OPENMP)
#include <omp.h>
#else
inline int omp_get_max_threads() { return 1; }
inline int omp_get_num_threads() { return 1; }
inline int omp_get_thread_num() { return 0; }
inline void omp_set_num_threads(int) {}
#endif

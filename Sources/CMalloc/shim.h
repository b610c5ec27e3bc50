#ifndef LIKENESS_CMALLOC_SHIM_H
#define LIKENESS_CMALLOC_SHIM_H
// glibc's allocator tuning (mallopt), which Swift's Glibc module does not export.
#ifdef __linux__
#include <malloc.h>

static inline int lk_set_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}
#endif
#endif

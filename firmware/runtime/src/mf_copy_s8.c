/* Moteforge runtime: copy int8 bytes between non-overlapping buffers (row-by-row in-place layers
 * move finished output rows out of their ring with it). */
#include "mf_kernels.h"

mf_status mf_copy_s8(const int8_t *src, int8_t *dst, int32_t bytes)
{
    int32_t k;
    if (src == 0 || dst == 0) {
        return MF_ERR_NULL;
    }
    if (bytes < 0) {
        return MF_ERR_PARAM;
    }
    for (k = 0; k < bytes; ++k) {
        dst[k] = src[k];
    }
    return MF_OK;
}

/* Moteforge runtime: drop the first rows of a band buffer used by band-by-band fused layers.
 * A function of its own (not a loop in model.c) so that compilers see no fixed array bounds to
 * second-guess: the band's size is a compile-time plan fact they cannot derive. */
#include "mf_kernels.h"

mf_status mf_band_shift_s8(int8_t *band, int32_t drop_bytes, int32_t keep_bytes)
{
    int32_t k;
    if (band == 0) {
        return MF_ERR_NULL;
    }
    if (drop_bytes < 0 || keep_bytes < 0) {
        return MF_ERR_PARAM;
    }
    /* Forward copy: the source lies after the destination, so overlap is harmless. */
    for (k = 0; k < keep_bytes; ++k) {
        band[k] = band[k + drop_bytes];
    }
    return MF_OK;
}

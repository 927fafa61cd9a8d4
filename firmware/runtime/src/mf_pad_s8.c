/* Moteforge runtime: PAD int8 with a constant (the zero point) over 4 dimensions. */
#include "mf_kernels.h"

mf_status mf_pad_s8(const mf_pad_params *params, const int8_t *input, int8_t *output)
{
    int32_t i0, i1, i2, i3;
    int32_t out_dims[4], d;
    if (params == 0 || input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    for (d = 0; d < 4; ++d) {
        if (params->before[d] < 0 || params->after[d] < 0) {
            return MF_ERR_PARAM;
        }
        out_dims[d] = params->before[d] + params->in_dims[d] + params->after[d];
    }
    for (i0 = 0; i0 < out_dims[0]; ++i0) {
        const int32_t x0 = i0 - params->before[0];
        for (i1 = 0; i1 < out_dims[1]; ++i1) {
            const int32_t x1 = i1 - params->before[1];
            for (i2 = 0; i2 < out_dims[2]; ++i2) {
                const int32_t x2 = i2 - params->before[2];
                const int inside = x0 >= 0 && x0 < params->in_dims[0] && x1 >= 0 && x1 < params->in_dims[1] &&
                                   x2 >= 0 && x2 < params->in_dims[2];
                for (i3 = 0; i3 < out_dims[3]; ++i3) {
                    const int32_t x3 = i3 - params->before[3];
                    if (inside && x3 >= 0 && x3 < params->in_dims[3]) {
                        *output++ = input[((x0 * params->in_dims[1] + x1) * params->in_dims[2] + x2) *
                                              params->in_dims[3] + x3];
                    } else {
                        *output++ = (int8_t)params->pad_value;
                    }
                }
            }
        }
    }
    return MF_OK;
}

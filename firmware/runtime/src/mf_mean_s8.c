/* Moteforge runtime: MEAN int8 over any set of (up to 4) dimensions: an exact integer sum and one
 * requantization whose multiplier the compiler derived with the division by the count folded in. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

mf_status mf_mean_s8(const mf_mean_params *params, const int8_t *input, int8_t *output)
{
    int32_t o[4], k[4], d;
    int32_t out_dims[4], red_dims[4], stride[4];
    if (params == 0 || input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    stride[3] = 1;
    for (d = 2; d >= 0; --d) {
        stride[d] = stride[d + 1] * params->in_dims[d + 1];
    }
    for (d = 0; d < 4; ++d) {
        out_dims[d] = params->reduce[d] ? 1 : params->in_dims[d];
        red_dims[d] = params->reduce[d] ? params->in_dims[d] : 1;
    }
    for (o[0] = 0; o[0] < out_dims[0]; ++o[0]) {
        for (o[1] = 0; o[1] < out_dims[1]; ++o[1]) {
            for (o[2] = 0; o[2] < out_dims[2]; ++o[2]) {
                for (o[3] = 0; o[3] < out_dims[3]; ++o[3]) {
                    int32_t sum = 0; /* |sum| <= count * 128 */
                    for (k[0] = 0; k[0] < red_dims[0]; ++k[0]) {
                        for (k[1] = 0; k[1] < red_dims[1]; ++k[1]) {
                            for (k[2] = 0; k[2] < red_dims[2]; ++k[2]) {
                                for (k[3] = 0; k[3] < red_dims[3]; ++k[3]) {
                                    sum += input[(o[0] + k[0]) * stride[0] + (o[1] + k[1]) * stride[1] +
                                                 (o[2] + k[2]) * stride[2] + (o[3] + k[3]) * stride[3]];
                                }
                            }
                        }
                    }
                    sum -= params->input_zero_point * params->count;
                    sum = mf_multiply_by_quantized_multiplier(sum, params->multiplier, params->shift) +
                          params->output_zero_point;
                    *output++ = (int8_t)mf_clamp(sum, -128, 127);
                }
            }
        }
    }
    return MF_OK;
}

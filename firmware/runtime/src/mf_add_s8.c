/* Moteforge runtime: ADD int8 with 4-D broadcasting. Both inputs are brought to a common scale
 * with 20 bits of headroom, summed, then requantized to the output. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

static int8_t *mf_add_row(const mf_elementwise_params *params, const int8_t *a, const int8_t *b, int8_t *output)
{
    int32_t i;
    for (i = 0; i < params->out_dims[3]; ++i) {
        /* (x - zp) * 2^20 fits int32: |x - zp| <= 255. */
        const int32_t x1 =
            (a[i * params->in1_stride[3]] + params->input1_offset) * ((int32_t)1 << params->left_shift);
        const int32_t x2 =
            (b[i * params->in2_stride[3]] + params->input2_offset) * ((int32_t)1 << params->left_shift);
        const int32_t s1 = mf_multiply_by_quantized_multiplier(x1, params->input1_multiplier, params->input1_shift);
        const int32_t s2 = mf_multiply_by_quantized_multiplier(x2, params->input2_multiplier, params->input2_shift);
        const int32_t sum =
            mf_multiply_by_quantized_multiplier(s1 + s2, params->output_multiplier, params->output_shift) +
            params->output_offset;
        *output++ = (int8_t)mf_clamp(sum, params->act_min, params->act_max);
    }
    return output;
}

mf_status mf_add_s8(const mf_elementwise_params *params, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    if (params == 0 || input1 == 0 || input2 == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    mf_broadcast_s8(params, input1, input2, output, mf_add_row);
    return MF_OK;
}

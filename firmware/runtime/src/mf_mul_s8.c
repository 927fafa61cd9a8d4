/* Moteforge runtime: MUL int8 with 4-D broadcasting: one requantization of the integer product. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

static int8_t *mf_mul_row(const mf_elementwise_params *params, const int8_t *a, const int8_t *b, int8_t *output)
{
    int32_t i;
    for (i = 0; i < params->out_dims[3]; ++i) {
        const int32_t x1 = a[i * params->in1_stride[3]] + params->input1_offset;
        const int32_t x2 = b[i * params->in2_stride[3]] + params->input2_offset;
        /* |x1 * x2| <= 255 * 255 */
        const int32_t y =
            mf_multiply_by_quantized_multiplier(x1 * x2, params->output_multiplier, params->output_shift) +
            params->output_offset;
        *output++ = (int8_t)mf_clamp(y, params->act_min, params->act_max);
    }
    return output;
}

mf_status mf_mul_s8(const mf_elementwise_params *params, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    if (params == 0 || input1 == 0 || input2 == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    mf_broadcast_s8(params, input1, input2, output, mf_mul_row);
    return MF_OK;
}

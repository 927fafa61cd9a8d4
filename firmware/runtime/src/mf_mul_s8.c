/* Moteforge runtime: MUL int8 with 4-D broadcasting: one requantization of the integer product. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

mf_status mf_mul_s8(const mf_elementwise_params *params, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    int32_t i0, i1, i2, i3;
    if (params == 0 || input1 == 0 || input2 == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    for (i0 = 0; i0 < params->out_dims[0]; ++i0) {
        for (i1 = 0; i1 < params->out_dims[1]; ++i1) {
            for (i2 = 0; i2 < params->out_dims[2]; ++i2) {
                const int8_t *a = input1 + i0 * params->in1_stride[0] + i1 * params->in1_stride[1] +
                                  i2 * params->in1_stride[2];
                const int8_t *b = input2 + i0 * params->in2_stride[0] + i1 * params->in2_stride[1] +
                                  i2 * params->in2_stride[2];
                for (i3 = 0; i3 < params->out_dims[3]; ++i3) {
                    const int32_t x1 = a[i3 * params->in1_stride[3]] + params->input1_offset;
                    const int32_t x2 = b[i3 * params->in2_stride[3]] + params->input2_offset;
                    /* |x1 * x2| <= 255 * 255 */
                    const int32_t y = mf_multiply_by_quantized_multiplier(x1 * x2, params->output_multiplier,
                                                                          params->output_shift) +
                                      params->output_offset;
                    *output++ = (int8_t)mf_clamp(y, params->act_min, params->act_max);
                }
            }
        }
    }
    return MF_OK;
}

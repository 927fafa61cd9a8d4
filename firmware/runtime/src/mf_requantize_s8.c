/* Moteforge runtime: int8 to int8 requantization (QUANTIZE, standalone RELU / RELU_N1_TO_1 / RELU6). */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

mf_status mf_requantize_s8(const mf_requantize_params *params, const int8_t *input, int8_t *output)
{
    int32_t i;
    if (params == 0 || input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    for (i = 0; i < params->size; ++i) {
        const int32_t y = mf_multiply_by_quantized_multiplier(input[i] - params->input_zero_point,
                                                              params->multiplier, params->shift) +
                          params->output_zero_point;
        output[i] = (int8_t)mf_clamp(y, params->act_min, params->act_max);
    }
    return MF_OK;
}

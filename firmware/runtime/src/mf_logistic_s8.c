/* Moteforge runtime: LOGISTIC int8 (output scale 1/256, zero point -128), Q4.27 fixed point. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

mf_status mf_logistic_s8(const mf_activation_params *params, const int8_t *input, int8_t *output)
{
    int32_t i;
    if (params == 0 || input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    for (i = 0; i < params->size; ++i) {
        const int32_t x = input[i] - params->input_zero_point;
        if (x <= -params->input_range_radius) {
            output[i] = -128;
        } else if (x >= params->input_range_radius) {
            output[i] = 127;
        } else {
            const int32_t a = mf_multiply_by_quantized_multiplier(x, params->input_multiplier,
                                                                  params->input_left_shift); /* Q4.27 */
            int32_t y;                                                                        /* Q0.31 */
            if (a == 0) {
                y = (int32_t)1 << 30; /* 0.5 */
            } else {
                const int32_t magnitude = a > 0 ? a : -a;
                const int32_t positive = mf_one_over_one_plus_x(mf_exp_on_negative_values(-magnitude, 4));
                y = a > 0 ? positive : INT32_MAX - positive;
            }
            output[i] = (int8_t)mf_clamp(mf_rounding_divide_by_pot(y, 23) - 128, -128, 127);
        }
    }
    return MF_OK;
}

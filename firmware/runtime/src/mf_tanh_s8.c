/* Moteforge runtime: TANH int8 (output scale 1/128, zero point 0), Q4.27 fixed point. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

mf_status mf_tanh_s8(const mf_activation_params *params, const int8_t *input, int8_t *output)
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
            int32_t y = 0;                                                                    /* Q0.31 */
            if (a != 0) {
                const int32_t negative = a < 0 ? a : -a;
                /* exp(2 * negative): the same raw value read as Q5.26 */
                const int32_t t = mf_one_minus_x_over_one_plus_x(mf_exp_on_negative_values(negative, 5));
                y = a < 0 ? -t : t;
            }
            output[i] = (int8_t)mf_clamp(mf_rounding_divide_by_pot(y, 24), -128, 127);
        }
    }
    return MF_OK;
}

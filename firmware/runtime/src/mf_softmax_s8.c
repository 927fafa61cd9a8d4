/* Moteforge runtime: SOFTMAX int8 over the last dimension, in gemmlowp fixed point as TFLM does:
 * exp of (x - max) in Q0.31, the sum in Q12.19, one reciprocal per row. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

#define MF_SOFTMAX_DIFF_INTEGER_BITS 5
#define MF_SOFTMAX_ACCUM_INTEGER_BITS 12

static int32_t count_leading_zeros(uint32_t x)
{
    int32_t n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

mf_status mf_softmax_s8(const mf_softmax_params *params, const int8_t *input, int8_t *output)
{
    int32_t r, c;
    if (params == 0 || input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    for (r = 0; r < params->rows; ++r) {
        const int8_t *in = input + (int64_t)r * params->depth;
        int8_t *out = output + (int64_t)r * params->depth;
        int32_t max_in_row = -128;
        int32_t sum_of_exps = 0; /* Q12.19: up to 4096 terms of at most 1.0 */
        int32_t headroom_plus_one, bits_over_unit, reciprocal;
        for (c = 0; c < params->depth; ++c) {
            max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
        }
        for (c = 0; c < params->depth; ++c) {
            const int32_t diff = in[c] - max_in_row;
            if (diff >= params->diff_min) {
                const int32_t scaled =
                    mf_multiply_by_quantized_multiplier(diff, params->input_multiplier, params->input_left_shift);
                sum_of_exps += mf_rounding_divide_by_pot(
                    mf_exp_on_negative_values(scaled, MF_SOFTMAX_DIFF_INTEGER_BITS), MF_SOFTMAX_ACCUM_INTEGER_BITS);
            }
        }
        /* 1 / sum as a Q0.31 mantissa and a power of two. */
        headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
        bits_over_unit = MF_SOFTMAX_ACCUM_INTEGER_BITS - headroom_plus_one;
        reciprocal = mf_one_over_one_plus_x(
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31)));
        for (c = 0; c < params->depth; ++c) {
            const int32_t diff = in[c] - max_in_row;
            if (diff >= params->diff_min) {
                const int32_t scaled =
                    mf_multiply_by_quantized_multiplier(diff, params->input_multiplier, params->input_left_shift);
                const int32_t e = mf_exp_on_negative_values(scaled, MF_SOFTMAX_DIFF_INTEGER_BITS);
                const int32_t unsat = mf_rounding_divide_by_pot(mf_sat_rounding_doubling_high_mul(reciprocal, e),
                                                                bits_over_unit + 31 - 8);
                out[c] = (int8_t)mf_clamp(unsat - 128, -128, 127);
            } else {
                out[c] = -128;
            }
        }
    }
    return MF_OK;
}

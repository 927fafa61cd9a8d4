/* Moteforge runtime: fixed-point exp and reciprocal used by softmax, logistic and tanh.
 * The polynomial, the Newton-Raphson steps and their constants follow gemmlowp's fixed-point
 * functions, which TFLite Micro's reference kernels use; any deviation breaks bit-exactness. */
#include "mf_fixedpoint.h"

#define MF_Q0_ONE INT32_MAX /* 1.0 is not representable in Q0.31; gemmlowp uses the max value */

/* exp(a) for a in [-1/4, 0) in Q0.31: Taylor expansion around -1/8. */
static int32_t exp_on_interval_minus_quarter_to_zero(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
    const int32_t one_third = 715827883;             /* 1/3 in Q0.31 */
    const int32_t x = a + ((int32_t)1 << 28);         /* a + 1/8 */
    const int32_t x2 = mf_sat_rounding_doubling_high_mul(x, x);
    const int32_t x3 = mf_sat_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = mf_sat_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = mf_rounding_divide_by_pot(x4, 2);
    /* x^4/24 + x^3/6 + x^2/2 */
    const int32_t tail = mf_rounding_divide_by_pot(
        mf_sat_rounding_doubling_high_mul(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + mf_sat_rounding_doubling_high_mul(exp_minus_one_eighth, x + tail);
}

int32_t mf_exp_on_negative_values(int32_t a, int32_t integer_bits)
{
    /* exp(-2^k) in Q0.31 for k = -2 .. 4, applied for each set bit of the integer part. */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    int32_t result = exp_on_interval_minus_quarter_to_zero(
        mf_saturating_shift_left(a_mod_quarter_minus_quarter, integer_bits));
    int32_t exponent;
    for (exponent = -2; exponent <= 4; ++exponent) {
        if (integer_bits > exponent) {
            const int32_t bit = (int32_t)1 << (fractional_bits + exponent);
            if (remainder & bit) {
                result = mf_sat_rounding_doubling_high_mul(result, barrel[exponent + 2]);
            }
        }
    }
    if (integer_bits > 5) {
        const int32_t clamp = -((int32_t)1 << (36 - integer_bits)); /* -32.0 */
        if (a < clamp) {
            result = 0;
        }
    }
    return a == 0 ? MF_Q0_ONE : result;
}

/* Newton-Raphson for 1 / (1 + x) on half the denominator; returns x in Q2.29. */
static int32_t reciprocal_half_denominator_q2(int32_t half_denominator)
{
    const int32_t c48_over_17 = 1515870810;      /* 48/17 in Q2.29 */
    const int32_t neg_c32_over_17 = -1010580540; /* -32/17 in Q2.29 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t x = c48_over_17 + mf_sat_rounding_doubling_high_mul(half_denominator, neg_c32_over_17);
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = mf_sat_rounding_doubling_high_mul(half_denominator, x);
        const int32_t one_minus = one_q2 - half_denominator_times_x;
        x = x + mf_saturating_shift_left(mf_sat_rounding_doubling_high_mul(x, one_minus), 2);
    }
    return x;
}

/* (a + b) / 2 rounded half away from zero, without intermediate overflow. */
static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

int32_t mf_one_over_one_plus_x(int32_t x)
{
    const int32_t r = reciprocal_half_denominator_q2(rounding_half_sum(x, MF_Q0_ONE));
    return mf_saturating_shift_left(r, 1); /* halve (Q2 -> Q1 reinterpretation), then Q1 -> Q0 */
}

int32_t mf_one_minus_x_over_one_plus_x(int32_t x)
{
    const int32_t r = reciprocal_half_denominator_q2(rounding_half_sum(x, MF_Q0_ONE));
    return mf_saturating_shift_left(r - ((int32_t)1 << 29), 2);
}

/* Moteforge runtime: integer fixed-point primitives shared by the kernels, and the index loops that
 * several kernels share (pooling windows, broadcasting). The arithmetic reproduces TFLite Micro's
 * reference integer arithmetic bit for bit; signed right shifts are arithmetic on every compiler we
 * target (gcc, clang). */
#ifndef MF_FIXEDPOINT_H
#define MF_FIXEDPOINT_H

#include <stdint.h>

#include "mf_types.h"

/* round(a * b / 2^31), saturating the single overflow case a == b == INT32_MIN. */
static inline int32_t mf_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* Division, not a shift: it truncates toward zero, which the nudge above relies on. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31]. */
static inline int32_t mf_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^(shift - 31), with the left part of the shift applied before the multiply. */
static inline int32_t mf_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* Wraps like the reference when x << left overflows (only for out-of-range models). */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return mf_rounding_divide_by_pot(mf_sat_rounding_doubling_high_mul(shifted, multiplier), right);
}

static inline int32_t mf_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Index loops shared by kernels. Static inline so that each kernel compiles to the loop it had on its own:
 * the row function a kernel passes to mf_broadcast_s8 is a constant and is inlined into it. */

/* The cells [*start, *end) of an input axis of `size` cells that pooling window `index` covers: the
 * window begins at index * stride - pad and spans `filter` cells; cells in the padding are left out, so
 * the range is empty (*start >= *end) when the window lies entirely in the padding. */
static inline void mf_pool_window(int32_t index, int32_t stride, int32_t pad, int32_t filter, int32_t size,
                                  int32_t *start, int32_t *end)
{
    const int32_t first = index * stride - pad;
    *start = first < 0 ? 0 : first;
    *end = first + filter < size ? first + filter : size;
}

/* One row of a two-input elementwise op: out_dims[3] output elements from inputs a and b, which step by
 * in1_stride[3] and in2_stride[3] elements along the row. Returns the output position after the row. */
typedef int8_t *(*mf_elementwise_row)(const mf_elementwise_params *params, const int8_t *a, const int8_t *b,
                                      int8_t *output);

/* Writes the output in order, row by row; an input whose stride is 0 along a dimension is repeated along
 * it (broadcasting). */
static inline void mf_broadcast_s8(const mf_elementwise_params *params, const int8_t *input1,
                                   const int8_t *input2, int8_t *output, mf_elementwise_row row)
{
    int32_t i0, i1, i2;
    for (i0 = 0; i0 < params->out_dims[0]; ++i0) {
        for (i1 = 0; i1 < params->out_dims[1]; ++i1) {
            for (i2 = 0; i2 < params->out_dims[2]; ++i2) {
                const int8_t *a = input1 + i0 * params->in1_stride[0] + i1 * params->in1_stride[1] +
                                  i2 * params->in1_stride[2];
                const int8_t *b = input2 + i0 * params->in2_stride[0] + i1 * params->in2_stride[1] +
                                  i2 * params->in2_stride[2];
                output = row(params, a, b, output);
            }
        }
    }
}

/* Q-format helpers for softmax, logistic and tanh (raw int32 values; Qm.n with m integer bits). */

/* x * 2^exponent with saturation, exponent in [1, 30]. */
static inline int32_t mf_saturating_shift_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a <= 0 given in Q(integer_bits).(31 - integer_bits); result in Q0.31. */
int32_t mf_exp_on_negative_values(int32_t a, int32_t integer_bits);

/* 1 / (1 + x) for x in [0, 1) in Q0.31; result in Q0.31. */
int32_t mf_one_over_one_plus_x(int32_t x);

/* (1 - x) / (1 + x) for x in [0, 1) in Q0.31; result in Q0.31. */
int32_t mf_one_minus_x_over_one_plus_x(int32_t x);

#endif /* MF_FIXEDPOINT_H */

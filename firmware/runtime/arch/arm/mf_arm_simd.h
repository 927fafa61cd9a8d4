/* Moteforge Arm DSP-extension helpers shared by the optimized kernels in this directory (Cortex-M4, M7,
 * M33/M35P with DSP, M55): 32-bit loads of four int8 values and their widening into two int16 pairs.
 *
 * Pair layout used throughout: for four int8 values b0 b1 b2 b3 loaded as one word, "even" holds
 * (b0, b2) and "odd" holds (b1, b3) as int16 lanes. SMLAD on two such pairs from the input and the filter
 * gives b0*f0 + b2*f2 (+ b1*f1 + b3*f3 for the odd pair): the same products the portable kernels sum,
 * added in a different order. Integer addition is exact, so results are identical bit for bit. */
#ifndef MF_ARM_SIMD_H
#define MF_ARM_SIMD_H

#include <stdint.h>
#include <string.h>

#if !defined(__ARM_FEATURE_DSP) || __ARM_FEATURE_DSP != 1
#error "runtime/arch/arm needs the Arm DSP extension (Cortex-M4/M7/M33/M55): build the portable kernels"
#endif

#include <arm_acle.h>

#include "mf_fixedpoint.h" /* mf_clamp */

/* Four int8 values as one word. memcpy keeps this defined for unaligned addresses; on Armv7E-M and
 * Armv8-M mainline the compiler emits a single LDR, which tolerates misalignment. */
static inline uint32_t mf_arm_load4(const int8_t *p)
{
    uint32_t word;
    memcpy(&word, p, sizeof word);
    return word;
}

/* The rotations are written as SXTB16/SXTAB16's own ROR #8 operand: GCC 12 emits a separate rotate for
 * __sxtb16(__ror(x, 8)), an extra instruction in every inner loop. */

/* (b0 + offset, b2 + offset) as int16 lanes; with offsets in [-127, 128] every lane stays in [-255, 255]. */
static inline int32_t mf_arm_even_plus(uint32_t word, int32_t offset_pair)
{
    return __sxtab16(offset_pair, (int32_t)word);
}

/* (b1 + offset, b3 + offset). */
static inline int32_t mf_arm_odd_plus(uint32_t word, int32_t offset_pair)
{
    int32_t pair;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(pair) : "r"(offset_pair), "r"(word));
    return pair;
}

static inline int32_t mf_arm_even(uint32_t word)
{
    return __sxtb16((int32_t)word);
}

static inline int32_t mf_arm_odd(uint32_t word)
{
    int32_t pair;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(pair) : "r"(word));
    return pair;
}

/* Two int16 values stored next to each other, as one SMLAD operand. */
static inline int32_t mf_arm_load_pair(const int16_t *p)
{
    int32_t pair;
    memcpy(&pair, p, sizeof pair);
    return pair;
}

/* acc0 += x . f0 and acc1 += x . f1 over n4 elements (a positive multiple of 4), x being int16 values
 * stored in (e0, e2, e1, e3) groups at a 4-byte aligned address and f0, f1 plain int8 rows. This is the
 * innermost loop of convolution; written with intrinsics, GCC at -Os spills a register and reloads operands
 * (about 23 instructions per 8 multiply-accumulates), so the loop body is spelled out: 13 instructions. */
static inline void mf_arm_dot2_s16_s8(const int16_t *x, const int8_t *f0, const int8_t *f1, int32_t n4,
                                      int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0;
    int32_t a1 = *acc1;
    const int16_t *const end = x + n4;
    int32_t x_even, x_odd, word, pair;
    do {
        __asm__("ldrd %[xe], %[xo], [%[x]], #8\n\t"
                "ldr %[w], [%[f0]], #4\n\t"
                "sxtb16 %[p], %[w]\n\t"
                "smlad %[a0], %[xe], %[p], %[a0]\n\t"
                "sxtb16 %[p], %[w], ror #8\n\t"
                "smlad %[a0], %[xo], %[p], %[a0]\n\t"
                "ldr %[w], [%[f1]], #4\n\t"
                "sxtb16 %[p], %[w]\n\t"
                "smlad %[a1], %[xe], %[p], %[a1]\n\t"
                "sxtb16 %[p], %[w], ror #8\n\t"
                "smlad %[a1], %[xo], %[p], %[a1]"
                : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [f0] "+r"(f0), [f1] "+r"(f1), [xe] "=&r"(x_even),
                  [xo] "=&r"(x_odd), [w] "=&r"(word), [p] "=&r"(pair)
                :
                : "memory");
    } while (x < end);
    *acc0 = a0;
    *acc1 = a1;
}

/* A window of depthwise taps for four channels: acc_k = sum (x_k + offset) * w_k over `rows` rows of
 * `cols` >= 1 taps. Input and filter advance by `step` bytes per tap (depth multiplier 1, no horizontal
 * dilation) and by in_row_step / f_row_step per row. The tap loop is spelled out for the same reason as
 * mf_arm_dot2_s16_s8: in C, GCC spills the loop pointers at -Os and a tap costs 36 instructions. Register
 * pressure is what limits it, so the filter is addressed relative to the input pointer and each word is
 * loaded twice (once per pair) instead of being kept: 16 instructions per tap in 11 registers. Out of line:
 * inlined into the kernel, no core has enough registers left for it. */
static __attribute__((noinline, unused)) void mf_arm_depthwise4_window(const int8_t *in, const int8_t *filter,
                                                                       int32_t rows, int32_t cols,
                                                                       int32_t in_row_step, int32_t f_row_step,
                                                                       int32_t step, int32_t offset_pair,
                                                                       int32_t acc[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t row;
    for (row = 0; row < rows; ++row) {
        /* Integer difference: the two pointers address different arrays. */
        const int32_t filter_minus_in = (int32_t)((uintptr_t)filter - (uintptr_t)in);
        const int8_t *tap = in;
        const int8_t *const end = in + cols * step;
        int32_t x, w;
        __asm__("1:\n\t"
                "ldr %[x], [%[in]]\n\t"
                "ldr %[w], [%[in], %[fd]]\n\t"
                "sxtab16 %[x], %[off], %[x]\n\t"
                "sxtb16 %[w], %[w]\n\t"
                "smlabb %[a0], %[x], %[w], %[a0]\n\t"
                "smlatt %[a2], %[x], %[w], %[a2]\n\t"
                "ldr %[x], [%[in]]\n\t"
                "ldr %[w], [%[in], %[fd]]\n\t"
                "sxtab16 %[x], %[off], %[x], ror #8\n\t"
                "sxtb16 %[w], %[w], ror #8\n\t"
                "smlabb %[a1], %[x], %[w], %[a1]\n\t"
                "smlatt %[a3], %[x], %[w], %[a3]\n\t"
                "add %[in], %[in], %[step]\n\t"
                "cmp %[in], %[end]\n\t"
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [in] "+r"(tap), [x] "=&r"(x),
                  [w] "=&r"(w)
                : [fd] "r"(filter_minus_in), [step] "r"(step), [end] "r"(end), [off] "r"(offset_pair)
                : "cc", "memory");
        in += in_row_step;
        filter += f_row_step;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* An int16 offset repeated in both lanes, the first operand of SXTAB16. */
static inline int32_t mf_arm_offset_pair(int32_t offset)
{
    return (int32_t)(((uint32_t)offset & 0xFFFFu) | ((uint32_t)offset << 16));
}

/* x * multiplier * 2^(shift - 31) exactly as mf_multiply_by_quantized_multiplier in mf_fixedpoint.h for
 * any multiplier except INT32_MIN (the documented range is [2^30, 2^31 - 1] or 0), so the one saturating
 * case of the doubling high multiply, INT32_MIN * INT32_MIN, cannot occur. Its nudge-then-truncate rounding equals adding 2^30 and
 * shifting right by 31 (floor) for every 64-bit product, which costs four instructions after SMULL
 * instead of sign-dependent 64-bit arithmetic. The final rounding shift is the reference one. */
static inline __attribute__((always_inline)) int32_t mf_arm_requantize(int32_t x, int32_t multiplier,
                                                                      int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int64_t product = (int64_t)(int32_t)((uint32_t)x << left) * multiplier;
    const int32_t high = (int32_t)((product + ((int64_t)1 << 30)) >> 31);
    /* mf_rounding_divide_by_pot's arithmetic, repeated here because -Os keeps that function out of line
     * and the call would cost more than the rounding itself on every output value. */
    const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

/* The output stage every kernel ends with, its fields copied out of the parameter structs once per call.
 * Why copies: kernels store int8 outputs, and a char store may alias any object, so values read through
 * params->... or quant->... would be reloaded from memory after every output byte. */
typedef struct {
    const int32_t *multiplier; /* per channel, or one entry with channel_step 0 */
    const int32_t *shift;
    const int32_t *bias;       /* may be NULL */
    int32_t channel_step;      /* 1 for per-channel quantization, 0 for per-tensor */
    int32_t output_offset;
    int32_t act_min, act_max;
} mf_arm_output_stage;

static inline __attribute__((always_inline)) int8_t mf_arm_output(const mf_arm_output_stage *stage,
                                                                  int32_t channel, int32_t acc)
{
    const int32_t q = channel * stage->channel_step;
    if (stage->bias != 0) {
        acc += stage->bias[channel];
    }
    acc = mf_arm_requantize(acc, stage->multiplier[q], stage->shift[q]);
    acc += stage->output_offset;
    return (int8_t)mf_clamp(acc, stage->act_min, stage->act_max);
}

/* Two accumulators of the same output channel (two pixels): the channel's multiplier, shift and bias are
 * read and decoded once. Same arithmetic as mf_arm_requantize then offset and clamp. */
static inline __attribute__((always_inline)) void mf_arm_output2(const mf_arm_output_stage *stage,
                                                                 int32_t channel, int32_t acc_a, int32_t acc_b,
                                                                 int8_t *out_a, int8_t *out_b)
{
    const int32_t q = channel * stage->channel_step;
    const int32_t multiplier = stage->multiplier[q];
    const int32_t shift = stage->shift[q];
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t mask = (int32_t)(((int64_t)1 << right) - 1);
    const int32_t half = mask >> 1;
    int32_t high_a, high_b, res_a, res_b;
    if (stage->bias != 0) {
        const int32_t bias = stage->bias[channel];
        acc_a += bias;
        acc_b += bias;
    }
    high_a = (int32_t)(((int64_t)(int32_t)((uint32_t)acc_a << left) * multiplier + ((int64_t)1 << 30)) >> 31);
    high_b = (int32_t)(((int64_t)(int32_t)((uint32_t)acc_b << left) * multiplier + ((int64_t)1 << 30)) >> 31);
    res_a = (high_a >> right) + ((high_a & mask) > half + (high_a < 0 ? 1 : 0) ? 1 : 0);
    res_b = (high_b >> right) + ((high_b & mask) > half + (high_b < 0 ? 1 : 0) ? 1 : 0);
    *out_a = (int8_t)mf_clamp(res_a + stage->output_offset, stage->act_min, stage->act_max);
    *out_b = (int8_t)mf_clamp(res_b + stage->output_offset, stage->act_min, stage->act_max);
}

#endif /* MF_ARM_SIMD_H */

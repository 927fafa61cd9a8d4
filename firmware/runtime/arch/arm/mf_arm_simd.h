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

/* Two accumulators of the same output channel (two pixels): the channel's constants are loaded once and
 * the shift decoding in mf_arm_requantize is shared after inlining. */
static inline __attribute__((always_inline)) void mf_arm_output2(const mf_arm_output_stage *stage,
                                                                 int32_t channel, int32_t acc_a, int32_t acc_b,
                                                                 int8_t *out_a, int8_t *out_b)
{
    const int32_t q = channel * stage->channel_step;
    const int32_t multiplier = stage->multiplier[q];
    const int32_t shift = stage->shift[q];
    if (stage->bias != 0) {
        const int32_t bias = stage->bias[channel];
        acc_a += bias;
        acc_b += bias;
    }
    acc_a = mf_arm_requantize(acc_a, multiplier, shift) + stage->output_offset;
    acc_b = mf_arm_requantize(acc_b, multiplier, shift) + stage->output_offset;
    *out_a = (int8_t)mf_clamp(acc_a, stage->act_min, stage->act_max);
    *out_b = (int8_t)mf_clamp(acc_b, stage->act_min, stage->act_max);
}

#endif /* MF_ARM_SIMD_H */

/* Moteforge runtime, Arm DSP variant: FULLY_CONNECTED int8, compiled instead of src/ when MF_USE_ARM_DSP is
 * set. Two output units per pass share each widened input word; SMLAD does two multiply-accumulates per
 * instruction. Same contract and bit-exact results as the portable kernel (see mf_arm_simd.h). */
#include "mf_kernels.h"

#include "mf_arm_simd.h"

/* *acc0 += in.f0 and *acc1 += in.f1 over n4 >= 4 int8 values (a multiple of 4): 8 multiply-accumulates
 * in 15 instructions. Spelled out because GCC at -Os spills registers in this loop. */
static __attribute__((noinline)) void dot_rows2(const int8_t *in, const int8_t *f0, const int8_t *f1, int32_t n4,
                                                 int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0;
    int32_t a1 = *acc1;
    const int8_t *const end = in + n4;
    int32_t x, x_odd, w, w_odd;
    __asm__("1:\n\t"
            "ldr %[x], [%[in]], #4\n\t"
            "sxtb16 %[xo], %[x], ror #8\n\t"
            "sxtb16 %[x], %[x]\n\t"
            "ldr %[w], [%[f0]], #4\n\t"
            "sxtb16 %[wo], %[w], ror #8\n\t"
            "sxtb16 %[w], %[w]\n\t"
            "smlad %[a0], %[x], %[w], %[a0]\n\t"
            "smlad %[a0], %[xo], %[wo], %[a0]\n\t"
            "ldr %[w], [%[f1]], #4\n\t"
            "sxtb16 %[wo], %[w], ror #8\n\t"
            "sxtb16 %[w], %[w]\n\t"
            "smlad %[a1], %[x], %[w], %[a1]\n\t"
            "smlad %[a1], %[xo], %[wo], %[a1]\n\t"
            "cmp %[in], %[end]\n\t"
            "bne 1b"
            : [a0] "+r"(a0), [a1] "+r"(a1), [in] "+r"(in), [f0] "+r"(f0), [f1] "+r"(f1), [x] "=&r"(x),
              [xo] "=&r"(x_odd), [w] "=&r"(w), [wo] "=&r"(w_odd)
            : [end] "r"(end)
            : "cc", "memory");
    *acc0 = a0;
    *acc1 = a1;
}

mf_status mf_fully_connected_s8(const mf_fc_params *params, const mf_quant *quant, const mf_dims *input_dims,
                                const int8_t *input, const mf_dims *filter_dims, const int8_t *filter,
                                const int32_t *bias, const mf_dims *output_dims, int8_t *output)
{
    int32_t b, oc, i;
    int32_t depth, units, depth4, batches;
    mf_arm_output_stage stage;
    if (params == 0 || quant == 0 || input_dims == 0 || input == 0 || filter_dims == 0 || filter == 0 ||
        bias == 0 || output_dims == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    depth = filter_dims->c;
    units = filter_dims->n;
    batches = input_dims->n;
    if (input_dims->c != depth || output_dims->c != units || output_dims->n != batches) {
        return MF_ERR_SHAPE;
    }
    stage.multiplier = quant->multiplier;
    stage.shift = quant->shift;
    stage.bias = 0; /* added up front: the accumulators start from it */
    stage.channel_step = quant->per_channel ? 1 : 0;
    stage.output_offset = params->output_offset;
    stage.act_min = params->act_min;
    stage.act_max = params->act_max;
    depth4 = depth & ~3;
    for (b = 0; b < batches; ++b) {
        const int8_t *in = input + b * depth;
        int8_t *out = output + b * units;
        for (oc = 0; oc + 2 <= units; oc += 2) {
            const int8_t *f0 = filter + oc * depth;
            const int8_t *f1 = f0 + depth;
            /* |sum| <= depth * 128 * 127 on top of the bias: int32 for depth < 132k, as in src/. */
            int32_t acc0 = bias[oc];
            int32_t acc1 = bias[oc + 1];
            if (depth4 > 0) {
                dot_rows2(in, f0, f1, depth4, &acc0, &acc1);
            }
            for (i = depth4; i < depth; ++i) {
                acc0 += in[i] * f0[i];
                acc1 += in[i] * f1[i];
            }
            out[oc] = mf_arm_output(&stage, oc, acc0);
            out[oc + 1] = mf_arm_output(&stage, oc + 1, acc1);
        }
        if (oc < units) {
            const int8_t *f0 = filter + oc * depth;
            int32_t acc0 = bias[oc];
            for (i = 0; i < depth4; i += 4) {
                const uint32_t x = mf_arm_load4(in + i);
                const uint32_t w0 = mf_arm_load4(f0 + i);
                acc0 = __smlad(mf_arm_even(x), mf_arm_even(w0), acc0);
                acc0 = __smlad(mf_arm_odd(x), mf_arm_odd(w0), acc0);
            }
            for (; i < depth; ++i) {
                acc0 += in[i] * f0[i];
            }
            out[oc] = mf_arm_output(&stage, oc, acc0);
        }
    }
    return MF_OK;
}

/* Moteforge runtime, Arm DSP variant: FULLY_CONNECTED int8, compiled instead of src/ when MF_USE_ARM_DSP is
 * set. Two output units per pass share each widened input word; SMLAD does two multiply-accumulates per
 * instruction. Same contract and bit-exact results as the portable kernel (see mf_arm_simd.h). */
#include "mf_kernels.h"

#include "mf_arm_simd.h"

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
            for (i = 0; i < depth4; i += 4) {
                const uint32_t x = mf_arm_load4(in + i);
                const int32_t x_even = mf_arm_even(x);
                const int32_t x_odd = mf_arm_odd(x);
                const uint32_t w0 = mf_arm_load4(f0 + i);
                const uint32_t w1 = mf_arm_load4(f1 + i);
                acc0 = __smlad(x_even, mf_arm_even(w0), acc0);
                acc0 = __smlad(x_odd, mf_arm_odd(w0), acc0);
                acc1 = __smlad(x_even, mf_arm_even(w1), acc1);
                acc1 = __smlad(x_odd, mf_arm_odd(w1), acc1);
            }
            for (; i < depth; ++i) {
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

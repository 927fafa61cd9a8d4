/* Moteforge runtime: FULLY_CONNECTED int8 (per-channel or per-tensor weights).
 * The compiler folds input_offset * sum(weights of the row) into the bias, so the inner loop is a
 * plain int8 dot product; integer sums are exact, so the result equals the reference. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

mf_status mf_fully_connected_s8(const mf_fc_params *params, const mf_quant *quant, const mf_dims *input_dims,
                                const int8_t *input, const mf_dims *filter_dims, const int8_t *filter,
                                const int32_t *bias, const mf_dims *output_dims, int8_t *output)
{
    int32_t b, oc, i;
    int32_t depth;
    if (params == 0 || quant == 0 || input_dims == 0 || input == 0 || filter_dims == 0 || filter == 0 ||
        bias == 0 || output_dims == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    depth = filter_dims->c;
    if (input_dims->c != depth || output_dims->c != filter_dims->n || output_dims->n != input_dims->n) {
        return MF_ERR_SHAPE;
    }
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in = input + (int64_t)b * depth;
        for (oc = 0; oc < filter_dims->n; ++oc) {
            const int8_t *f = filter + (int64_t)oc * depth;
            const int32_t q = quant->per_channel ? oc : 0;
            int32_t acc = bias[oc]; /* |sum| <= depth * 128 * 127: int32 for depth < 132k */
            for (i = 0; i + 4 <= depth; i += 4) {
                acc += in[i] * f[i] + in[i + 1] * f[i + 1] + in[i + 2] * f[i + 2] + in[i + 3] * f[i + 3];
            }
            for (; i < depth; ++i) {
                acc += in[i] * f[i];
            }
            acc = mf_multiply_by_quantized_multiplier(acc, quant->multiplier[q], quant->shift[q]);
            acc += params->output_offset;
            output[(int64_t)b * filter_dims->n + oc] = (int8_t)mf_clamp(acc, params->act_min, params->act_max);
        }
    }
    return MF_OK;
}

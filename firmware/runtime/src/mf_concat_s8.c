/* Moteforge runtime: CONCATENATION of int8 tensors that share one quantization (a strided copy). */
#include "mf_kernels.h"

mf_status mf_concat_s8(const mf_concat_params *params, const int8_t *const *inputs, int8_t *output)
{
    int32_t o, i, j;
    if (params == 0 || inputs == 0 || output == 0 || params->inner_sizes == 0) {
        return MF_ERR_NULL;
    }
    for (i = 0; i < params->num_inputs; ++i) {
        if (inputs[i] == 0) {
            return MF_ERR_NULL;
        }
    }
    for (o = 0; o < params->outer; ++o) {
        for (i = 0; i < params->num_inputs; ++i) {
            const int32_t n = params->inner_sizes[i];
            const int8_t *src = inputs[i] + (int64_t)o * n;
            for (j = 0; j < n; ++j) {
                *output++ = src[j];
            }
        }
    }
    return MF_OK;
}

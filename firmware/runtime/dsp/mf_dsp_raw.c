/* Moteforge runtime DSP: raw block, the window multiplied by a scale. */
#include "mf_dsp.h"

mf_status mf_dsp_raw(float scale, int32_t frames, int32_t axes, const float *input, float *output)
{
    int32_t i;
    if (input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    if (frames < 1 || axes < 1) {
        return MF_ERR_SHAPE;
    }
    for (i = 0; i < frames * axes; ++i) {
        output[i] = input[i] * scale;
    }
    return MF_OK;
}

/* Moteforge runtime DSP: flatten block, summary statistics per axis (moments in double). */
#include <math.h>

#include "mf_dsp_moments.h"

mf_status mf_dsp_flatten(const mf_dsp_flatten_params *params, int32_t frames, int32_t axes, const float *input,
                         float *output)
{
    int32_t a;
    if (params == 0 || input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    if (frames < 1 || axes < 1) {
        return MF_ERR_SHAPE;
    }
    if ((params->statistics & 0x7F) == 0 || (params->statistics & ~0x7F) != 0) {
        return MF_ERR_PARAM;
    }
    for (a = 0; a < axes; ++a) {
        mf_dsp_moments m;
        mf_dsp_compute_moments(input + a, frames, axes, (double)params->scale, &m);
        if (params->statistics & MF_DSP_FLATTEN_AVERAGE) {
            *output++ = (float)m.mean;
        }
        if (params->statistics & MF_DSP_FLATTEN_MINIMUM) {
            *output++ = (float)m.lowest;
        }
        if (params->statistics & MF_DSP_FLATTEN_MAXIMUM) {
            *output++ = (float)m.highest;
        }
        if (params->statistics & MF_DSP_FLATTEN_RMS) {
            *output++ = (float)sqrt(m.mean_square);
        }
        if (params->statistics & MF_DSP_FLATTEN_STDEV) {
            *output++ = (float)sqrt(m.m2);
        }
        if (params->statistics & MF_DSP_FLATTEN_SKEWNESS) {
            *output++ = (float)mf_dsp_skewness(&m);
        }
        if (params->statistics & MF_DSP_FLATTEN_KURTOSIS) {
            *output++ = (float)mf_dsp_kurtosis(&m);
        }
    }
    return MF_OK;
}

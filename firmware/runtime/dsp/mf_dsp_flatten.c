/* Moteforge runtime DSP: flatten block, summary statistics per axis. Moments accumulate in double
 * because skewness and kurtosis of small-variance axes lose every digit in float. */
#include <math.h>

#include "mf_dsp.h"

/* Below this variance relative to the mean square an axis is constant to float precision. */
#define FLAT_RELATIVE_VARIANCE 1e-12

mf_status mf_dsp_flatten(const mf_dsp_flatten_params *params, int32_t frames, int32_t axes, const float *input,
                         float *output)
{
    int32_t a, t;
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
        const double scale = (double)params->scale;
        double sum = 0.0, sum_squares = 0.0, m2 = 0.0, m3 = 0.0, m4 = 0.0, mean, mean_square;
        double lowest = (double)input[a] * scale, highest = lowest;
        int flat;
        for (t = 0; t < frames; ++t) {
            const double x = (double)input[t * axes + a] * scale;
            sum += x;
            sum_squares += x * x;
            lowest = x < lowest ? x : lowest;
            highest = x > highest ? x : highest;
        }
        mean = sum / frames;
        mean_square = sum_squares / frames;
        for (t = 0; t < frames; ++t) {
            const double d = (double)input[t * axes + a] * scale - mean;
            m2 += d * d;
            m3 += d * d * d;
            m4 += d * d * d * d;
        }
        m2 /= frames;
        m3 /= frames;
        m4 /= frames;
        flat = m2 <= FLAT_RELATIVE_VARIANCE * mean_square;
        if (params->statistics & MF_DSP_FLATTEN_AVERAGE) {
            *output++ = (float)mean;
        }
        if (params->statistics & MF_DSP_FLATTEN_MINIMUM) {
            *output++ = (float)lowest;
        }
        if (params->statistics & MF_DSP_FLATTEN_MAXIMUM) {
            *output++ = (float)highest;
        }
        if (params->statistics & MF_DSP_FLATTEN_RMS) {
            *output++ = (float)sqrt(mean_square);
        }
        if (params->statistics & MF_DSP_FLATTEN_STDEV) {
            *output++ = (float)sqrt(m2);
        }
        if (params->statistics & MF_DSP_FLATTEN_SKEWNESS) {
            *output++ = flat ? 0.0f : (float)(m3 / (m2 * sqrt(m2)));
        }
        if (params->statistics & MF_DSP_FLATTEN_KURTOSIS) {
            *output++ = flat ? 0.0f : (float)(m4 / (m2 * m2) - 3.0);
        }
    }
    return MF_OK;
}

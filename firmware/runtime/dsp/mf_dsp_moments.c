/* Moteforge runtime DSP: population moments in double. Skewness and kurtosis of small-variance data lose
 * every digit in float, so the accumulators are double even on cores without a double-precision FPU. */
#include <math.h>

#include "mf_dsp_moments.h"

/* Below this variance relative to the mean square, values are constant to float precision. */
#define FLAT_RELATIVE_VARIANCE 1e-12

void mf_dsp_compute_moments(const float *x, int32_t count, int32_t stride, double scale, mf_dsp_moments *out)
{
    double sum = 0.0, sum_squares = 0.0, m2 = 0.0, m3 = 0.0, m4 = 0.0;
    double lowest = (double)x[0] * scale, highest = lowest;
    int32_t i;
    for (i = 0; i < count; ++i) {
        const double v = (double)x[i * stride] * scale;
        sum += v;
        sum_squares += v * v;
        lowest = v < lowest ? v : lowest;
        highest = v > highest ? v : highest;
    }
    out->mean = sum / count;
    out->mean_square = sum_squares / count;
    for (i = 0; i < count; ++i) {
        const double d = (double)x[i * stride] * scale - out->mean;
        const double d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    out->m2 = m2 / count;
    out->m3 = m3 / count;
    out->m4 = m4 / count;
    out->lowest = lowest;
    out->highest = highest;
}

static int is_flat(const mf_dsp_moments *moments)
{
    return moments->m2 <= FLAT_RELATIVE_VARIANCE * moments->mean_square;
}

double mf_dsp_skewness(const mf_dsp_moments *moments)
{
    return is_flat(moments) ? 0.0 : moments->m3 / (moments->m2 * sqrt(moments->m2));
}

double mf_dsp_kurtosis(const mf_dsp_moments *moments)
{
    return is_flat(moments) ? 0.0 : moments->m4 / (moments->m2 * moments->m2) - 3.0;
}

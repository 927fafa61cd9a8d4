/* Moteforge runtime DSP, internal: population moments in double, shared by flatten and wavelet analysis. */
#ifndef MF_DSP_MOMENTS_H
#define MF_DSP_MOMENTS_H

#include "mf_dsp.h"

/* Mean, mean square, central moments divided by the count, and the extremes of count values. */
typedef struct {
    double mean, mean_square, m2, m3, m4, lowest, highest;
} mf_dsp_moments;

/* Two passes over x[0], x[stride], ... (count >= 1 values, each multiplied by scale in double). */
void mf_dsp_compute_moments(const float *x, int32_t count, int32_t stride, double scale, mf_dsp_moments *out);

/* m3 / m2^1.5 and m4 / m2^2 - 3; both 0 when m2 <= 1e-12 * mean square (constant to float precision). */
double mf_dsp_skewness(const mf_dsp_moments *moments);
double mf_dsp_kurtosis(const mf_dsp_moments *moments);

#endif /* MF_DSP_MOMENTS_H */

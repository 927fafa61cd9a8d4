/* Moteforge runtime DSP: real FFT power spectrum of a power-of-two length, float32.
 * The n real inputs are packed as n/2 complex points z[j] = x[2j] + i x[2j+1], transformed by an
 * in-place radix-2 FFT, and split into the n/2 + 1 bins of the real transform. */
#include "mf_dsp.h"

static int32_t is_power_of_two(int32_t n)
{
    return n > 0 && (n & (n - 1)) == 0;
}

/* In-place complex FFT of m points (interleaved re, im). Twiddle W_len^t = exp(-2 pi i t / len) is table
 * entry t * (n / len) of the n-point cos/sin tables, n = 2m. */
static void complex_fft(float *z, int32_t m, const float *cos_table, const float *sin_table)
{
    int32_t i, j = 0, k, len;
    for (i = 0; i < m - 1; ++i) {
        if (i < j) {
            float t = z[2 * i];
            z[2 * i] = z[2 * j];
            z[2 * j] = t;
            t = z[2 * i + 1];
            z[2 * i + 1] = z[2 * j + 1];
            z[2 * j + 1] = t;
        }
        k = m >> 1;
        while (k <= j) {
            j -= k;
            k >>= 1;
        }
        j += k;
    }
    /* First stage: every twiddle is 1, so the butterflies need no multiplication. */
    for (i = 0; i + 1 < m; i += 2) {
        float *a = z + 2 * i;
        const float br = a[2], bi = a[3];
        a[2] = a[0] - br;
        a[3] = a[1] - bi;
        a[0] += br;
        a[1] += bi;
    }
    for (len = 4; len <= m; len <<= 1) {
        const int32_t half = len >> 1;
        const int32_t step = (2 * m) / len;
        int32_t start, t;
        /* Twiddle-major order: each twiddle is loaded once per stage. */
        for (t = 0; t < half; ++t) {
            const float wr = cos_table[t * step];
            const float wi = -sin_table[t * step];
            for (start = t; start < m; start += len) {
                float *a = z + 2 * start;
                float *b = a + 2 * half;
                const float xr = b[0] * wr - b[1] * wi;
                const float xi = b[0] * wi + b[1] * wr;
                b[0] = a[0] - xr;
                b[1] = a[1] - xi;
                a[0] += xr;
                a[1] += xi;
            }
        }
    }
}

mf_status mf_dsp_rfft_power(const mf_dsp_rfft_plan *plan, float *buf, float *power)
{
    int32_t m, k;
    if (plan == 0 || buf == 0 || power == 0 || plan->cos_table == 0 || plan->sin_table == 0) {
        return MF_ERR_NULL;
    }
    if (plan->n < 4 || !is_power_of_two(plan->n)) {
        return MF_ERR_PARAM;
    }
    m = plan->n / 2;
    complex_fft(buf, m, plan->cos_table, plan->sin_table);
    /* X[0] and X[n/2] are real: the sum and difference of Z[0]'s parts. */
    power[0] = (buf[0] + buf[1]) * (buf[0] + buf[1]);
    power[m] = (buf[0] - buf[1]) * (buf[0] - buf[1]);
    for (k = 1; k < m; ++k) {
        /* Even part E = (Z[k] + conj(Z[m-k])) / 2, odd part O = (Z[k] - conj(Z[m-k])) / 2i,
         * X[k] = E + exp(-2 pi i k / n) O. */
        const float ar = buf[2 * k], ai = buf[2 * k + 1];
        const float br = buf[2 * (m - k)], bi = buf[2 * (m - k) + 1];
        const float er = 0.5f * (ar + br), ei = 0.5f * (ai - bi);
        const float or_ = 0.5f * (ai + bi), oi = -0.5f * (ar - br);
        const float c = plan->cos_table[k], s = plan->sin_table[k];
        const float xr = er + c * or_ + s * oi;
        const float xi = ei + c * oi - s * or_;
        power[k] = xr * xr + xi * xi;
    }
    return MF_OK;
}

/* Moteforge runtime DSP: spectral-analysis block. Per axis: optional Butterworth sections, RMS, the
 * strongest spectral peaks and the averaged FFT power spectrum without its DC bin. */
#include <math.h>

#include "mf_dsp.h"

#define POWER_FLOOR 1e-10f

/* Scratch layout in floats: signal [frames], FFT buffer [N], one segment's power [N/2 + 1],
 * averaged power [N/2], local-maximum marks [N/2]. */
size_t mf_dsp_spectral_scratch_size(int32_t frames, int32_t fft_length)
{
    return (size_t)frames + (size_t)fft_length + (size_t)(fft_length / 2 + 1) + 2u * (size_t)(fft_length / 2);
}

/* Cascade of second-order sections, transposed direct form II from a zero state, in place. */
static void run_sections(const float *sos, int32_t num_sections, float *x, int32_t frames)
{
    int32_t s, t;
    for (s = 0; s < num_sections; ++s) {
        const float *c = sos + 6 * s;
        float z0 = 0.0f, z1 = 0.0f;
        for (t = 0; t < frames; ++t) {
            const float in = x[t];
            const float out = c[0] * in + z0;
            z0 = c[1] * in - c[4] * out + z1;
            z1 = c[2] * in - c[5] * out;
            x[t] = out;
        }
    }
}

static float scaled(float power, int32_t log_scale)
{
    return log_scale ? log10f(power > POWER_FLOOR ? power : POWER_FLOOR) : power;
}

/* Averaged power of bins 1 .. N/2 of the mean-removed signal into `average`. */
static mf_status average_power(const mf_dsp_spectral_params *params, const float *x, int32_t frames, float *buf,
                               float *segment_power, float *average)
{
    const int32_t n = params->fft.n, bins = n / 2;
    const int32_t hop = params->overlap ? n / 2 : n;
    const int32_t segments = frames <= n ? 1 : 1 + (frames - n) / hop;
    int32_t s, i;
    for (i = 0; i < bins; ++i) {
        average[i] = 0.0f;
    }
    for (s = 0; s < segments; ++s) {
        const int32_t start = s * hop;
        const int32_t count = frames - start < n ? frames - start : n;
        mf_status status;
        for (i = 0; i < n; ++i) {
            buf[i] = i < count ? x[start + i] : 0.0f;
        }
        status = mf_dsp_rfft_power(&params->fft, buf, segment_power);
        if (status != MF_OK) {
            return status;
        }
        for (i = 0; i < bins; ++i) {
            average[i] += segment_power[i + 1];
        }
    }
    {
        const float norm = (float)(1.0 / ((double)n * (double)segments));
        for (i = 0; i < bins; ++i) {
            average[i] *= norm;
        }
    }
    return MF_OK;
}

/* Writes peaks_count (frequency, power) pairs: strongest local maxima first, ties to the lower bin. */
static void write_peaks(const mf_dsp_spectral_params *params, const float *power, float *marks, float *out)
{
    const int32_t bins = params->fft.n / 2;
    int32_t b, p;
    for (b = 0; b < bins; ++b) {
        const int rises = b == 0 || power[b] > power[b - 1];
        const int holds = b == bins - 1 || power[b] >= power[b + 1];
        marks[b] = (rises && holds) ? 1.0f : 0.0f;
    }
    for (p = 0; p < params->peaks_count; ++p) {
        int32_t best = -1;
        for (b = 0; b < bins; ++b) {
            if (marks[b] != 0.0f && (best < 0 || power[b] > power[best])) {
                best = b;
            }
        }
        if (best < 0) {
            out[2 * p] = 0.0f;
            out[2 * p + 1] = scaled(0.0f, params->log_scale);
        } else {
            marks[best] = 0.0f;
            out[2 * p] = (float)((double)(best + 1) * (double)params->frequency_hz / (double)params->fft.n);
            out[2 * p + 1] = scaled(power[best], params->log_scale);
        }
    }
}

mf_status mf_dsp_spectral(const mf_dsp_spectral_params *params, int32_t frames, int32_t axes, const float *input,
                          float *scratch, float *output)
{
    int32_t a, t, i, n, bins;
    float *x, *buf, *segment_power, *average, *marks;
    if (params == 0 || input == 0 || scratch == 0 || output == 0 || (params->num_sections > 0 && params->sos == 0)) {
        return MF_ERR_NULL;
    }
    if (frames < 1 || axes < 1) {
        return MF_ERR_SHAPE;
    }
    n = params->fft.n;
    bins = n / 2;
    if (params->peaks_count < 0 || params->peaks_count > bins || params->num_sections < 0) {
        return MF_ERR_PARAM;
    }
    x = scratch;
    buf = x + frames;
    segment_power = buf + n;
    average = segment_power + bins + 1;
    marks = average + bins;
    for (a = 0; a < axes; ++a) {
        double sum = 0.0, sum_squares = 0.0;
        float mean;
        mf_status status;
        float *out = output + (size_t)a * (size_t)(1 + 2 * params->peaks_count + bins);
        for (t = 0; t < frames; ++t) {
            x[t] = input[t * axes + a] * params->scale;
        }
        run_sections(params->sos, params->num_sections, x, frames);
        for (t = 0; t < frames; ++t) {
            sum += (double)x[t];
            sum_squares += (double)x[t] * (double)x[t];
        }
        out[0] = (float)sqrt(sum_squares / frames);
        mean = (float)(sum / frames);
        for (t = 0; t < frames; ++t) {
            x[t] -= mean;
        }
        status = average_power(params, x, frames, buf, segment_power, average);
        if (status != MF_OK) {
            return status;
        }
        write_peaks(params, average, marks, out + 1);
        for (i = 0; i < bins; ++i) {
            out[1 + 2 * params->peaks_count + i] = scaled(average[i], params->log_scale);
        }
    }
    return MF_OK;
}

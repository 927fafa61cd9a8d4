/* Moteforge runtime DSP: spectral-analysis block. Per axis: optional Butterworth sections, RMS, the
 * strongest spectral peaks and the averaged FFT power spectrum without its DC bin. */
#include <math.h>

#include "mf_dsp_moments.h"

#define POWER_FLOOR 1e-10f
/* A band with at most this share of the signal's energy holds only rounding noise. */
#define NEGLIGIBLE_ENERGY_SHARE 1e-12

/* Signal length after zero padding to a multiple of 2^level (wavelet analysis). */
static int32_t padded_length(int32_t frames, int32_t level)
{
    const int32_t block = (int32_t)1 << level;
    return (frames + block - 1) / block * block;
}

int32_t mf_dsp_spectral_features_per_axis(const mf_dsp_spectral_params *params)
{
    if (params->wavelet != 0) {
        return 6 * (params->wavelet_level + 1);
    }
    return 1 + 2 * params->peaks_count + (params->num_bands > 0 ? params->num_bands : params->fft.n / 2);
}

/* Scratch layout in floats. FFT: signal [frames], FFT buffer [N], one segment's power [N/2 + 1],
 * averaged power [N/2], local-maximum marks [N/2]. Wavelet: padded signal [P], bands [P], next
 * approximation [P/2]. */
size_t mf_dsp_spectral_scratch_size(const mf_dsp_spectral_params *params, int32_t frames)
{
    if (params == 0) {
        return 0;
    }
    if (params->wavelet != 0) {
        const size_t padded = (size_t)padded_length(frames, params->wavelet_level);
        return 2u * padded + padded / 2u;
    }
    return (size_t)frames + (size_t)params->fft.n + (size_t)(params->fft.n / 2 + 1) + 2u * (size_t)(params->fft.n / 2);
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

/* Statistics of one band into out[6]: rms, stdev, skewness, kurtosis, zero-crossing rate, entropy, in
 * double; shape statistics are 0 for a band holding at most 1e-12 of the signal's energy. */
static void band_statistics(const float *band, int32_t count, double signal_energy, float *out)
{
    mf_dsp_moments m;
    double energy, entropy = 0.0;
    int32_t k, crossings = 0;
    mf_dsp_compute_moments(band, count, 1, 1.0, &m);
    energy = m.mean_square * count;
    out[0] = (float)sqrt(m.mean_square);
    out[1] = (float)sqrt(m.m2);
    out[2] = out[3] = out[4] = out[5] = 0.0f;
    if (energy <= NEGLIGIBLE_ENERGY_SHARE * signal_energy) {
        return;
    }
    out[2] = (float)mf_dsp_skewness(&m);
    out[3] = (float)mf_dsp_kurtosis(&m);
    for (k = 1; k < count; ++k) {
        crossings += (double)band[k - 1] * (double)band[k] < 0.0;
    }
    out[4] = count > 1 ? (float)((double)crossings / (count - 1)) : 0.0f;
    for (k = 0; k < count; ++k) {
        const double p = (double)band[k] * (double)band[k] / energy;
        if (p > 0.0) {
            entropy -= p * log2(p);
        }
    }
    out[5] = (float)entropy;
}

/* Periodized DWT of x[padded] (overwritten) into bands (d1, ..., dL, aL), then their statistics. */
static void wavelet_features(const mf_dsp_spectral_params *params, float *x, int32_t padded, float *bands,
                             float *next, float *out)
{
    const int32_t taps = params->wavelet_taps;
    const float *h = params->wavelet;
    int32_t level, k, n, length = padded, offset = 0;
    double signal_energy = 0.0;
    for (level = 0; level < params->wavelet_level; ++level) {
        const int32_t half = length / 2;
        for (k = 0; k < half; ++k) {
            float approx = 0.0f, detail = 0.0f;
            int32_t index = 2 * k;
            for (n = 0; n < taps; ++n, ++index) {
                float taken, g;
                /* Periodic extension; a short level (length < taps) can wrap more than once. */
                while (index >= length) {
                    index -= length;
                }
                taken = x[index];
                /* g[n] = (-1)^n h[taps - 1 - n] */
                g = (n % 2 == 0) ? h[taps - 1 - n] : -h[taps - 1 - n];
                approx += h[n] * taken;
                detail += g * taken;
            }
            next[k] = approx;
            bands[offset + k] = detail;
        }
        offset += half;
        for (k = 0; k < half; ++k) {
            x[k] = next[k];
        }
        length = half;
    }
    for (k = 0; k < length; ++k) {
        bands[offset + k] = x[k];
    }
    for (k = 0; k < padded; ++k) {
        signal_energy += (double)bands[k] * (double)bands[k];
    }
    length = padded;
    offset = 0;
    for (level = 0; level <= params->wavelet_level; ++level) {
        const int32_t count = level < params->wavelet_level ? length / 2 : length;
        band_statistics(bands + offset, count, signal_energy, out + 6 * level);
        offset += count;
        length /= 2;
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
    if (params->wavelet != 0) {
        int32_t padded;
        if (params->wavelet_taps < 2 || params->wavelet_taps > 16 || params->wavelet_taps % 2 != 0 ||
            params->wavelet_level < 1 || params->wavelet_level > 8 || params->num_sections < 0) {
            return MF_ERR_PARAM;
        }
        padded = padded_length(frames, params->wavelet_level);
        for (a = 0; a < axes; ++a) {
            x = scratch;
            for (t = 0; t < frames; ++t) {
                x[t] = input[t * axes + a] * params->scale;
            }
            run_sections(params->sos, params->num_sections, x, frames);
            for (t = frames; t < padded; ++t) {
                x[t] = 0.0f;
            }
            wavelet_features(params, x, padded, x + padded, x + 2 * padded,
                             output + (size_t)a * (size_t)mf_dsp_spectral_features_per_axis(params));
        }
        return MF_OK;
    }
    n = params->fft.n;
    bins = n / 2;
    if (params->peaks_count < 0 || params->peaks_count > bins || params->num_sections < 0 || params->num_bands < 0) {
        return MF_ERR_PARAM;
    }
    if (params->num_bands > 0) {
        int32_t band, next = 0;
        if (params->band_first == 0 || params->band_count == 0) {
            return MF_ERR_NULL;
        }
        /* The bands must tile the N/2 bins in order, so every read stays inside the spectrum. */
        for (band = 0; band < params->num_bands; ++band) {
            if (params->band_first[band] != next || params->band_count[band] < 1) {
                return MF_ERR_PARAM;
            }
            next += params->band_count[band];
        }
        if (next != bins) {
            return MF_ERR_PARAM;
        }
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
        float *out = output + (size_t)a * (size_t)mf_dsp_spectral_features_per_axis(params);
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
        out += 1 + 2 * params->peaks_count;
        if (params->num_bands > 0) {
            int32_t band, k;
            for (band = 0; band < params->num_bands; ++band) {
                float sum = 0.0f;
                for (k = 0; k < params->band_count[band]; ++k) {
                    sum += average[params->band_first[band] + k];
                }
                out[band] = scaled(sum, params->log_scale);
            }
        } else {
            for (i = 0; i < bins; ++i) {
                out[i] = scaled(average[i], params->log_scale);
            }
        }
    }
    return MF_OK;
}

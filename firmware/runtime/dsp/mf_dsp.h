/* Moteforge runtime DSP: the processing blocks of workers/dsp in C99, float32, no allocation.
 * Every table (windows, FFT twiddles, mel filters, DCT, filter sections) is emitted ahead of time by
 * firmware/dsp_codegen.py from the same float32 values the Python blocks use; docs/dsp.md holds the math.
 * Buffers are caller-provided: each block with working memory has a *_scratch_size() in floats. */
#ifndef MF_DSP_H
#define MF_DSP_H

#include <stddef.h>
#include <stdint.h>

#include "mf_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Real FFT of a power-of-two length n >= 4, from tables cos(2 pi k / n) and sin(2 pi k / n), k < n/2. */
typedef struct {
    int32_t n;                /* transform length, a power of two >= 4 */
    const float *cos_table;   /* n / 2 entries */
    const float *sin_table;   /* n / 2 entries */
} mf_dsp_rfft_plan;

/* Power spectrum |X[k]|^2 for k = 0 .. n/2 of the n real values in buf (overwritten). power: n/2 + 1. */
mf_status mf_dsp_rfft_power(const mf_dsp_rfft_plan *plan, float *buf, float *power);

/* raw: output[i] = input[i] * scale for frames * axes values (frame-major). */
mf_status mf_dsp_raw(float scale, int32_t frames, int32_t axes, const float *input, float *output);

/* flatten: bits of mf_dsp_flatten_params.statistics select, in this order, the per-axis statistics. */
#define MF_DSP_FLATTEN_AVERAGE 0x01
#define MF_DSP_FLATTEN_MINIMUM 0x02
#define MF_DSP_FLATTEN_MAXIMUM 0x04
#define MF_DSP_FLATTEN_RMS 0x08
#define MF_DSP_FLATTEN_STDEV 0x10
#define MF_DSP_FLATTEN_SKEWNESS 0x20
#define MF_DSP_FLATTEN_KURTOSIS 0x40

typedef struct {
    float scale;        /* multiplies every input value */
    int32_t statistics; /* non-empty OR of MF_DSP_FLATTEN_* */
} mf_dsp_flatten_params;

/* Selected statistics per axis, axis-major; moments in double (docs/dsp.md section 4). */
mf_status mf_dsp_flatten(const mf_dsp_flatten_params *params, int32_t frames, int32_t axes, const float *input,
                         float *output);

/* spectral: filter, then per axis RMS, peaks and FFT power, or wavelet band statistics
 * (docs/dsp.md section 5). */
typedef struct {
    float scale;          /* multiplies every input value */
    const float *sos;     /* num_sections rows of b0 b1 b2 a0 a1 a2 (a0 = 1), or NULL: no filter */
    int32_t num_sections; /* >= 0 */
    mf_dsp_rfft_plan fft; /* segment length N (FFT analysis) */
    int32_t overlap;      /* 1: segments start every N/2 samples; 0: every N */
    int32_t log_scale;    /* 1: log10(max(P, 1e-10)); 0: P */
    int32_t peaks_count;  /* 0 .. N/2 */
    float frequency_hz;   /* sampling rate, for peak frequencies */
    const float *wavelet; /* wavelet_taps scaling-filter taps: wavelet analysis; NULL: FFT analysis */
    int32_t wavelet_taps; /* 2 .. 16, even */
    int32_t wavelet_level; /* 1 .. 8 decomposition levels */
    int32_t num_bands;        /* 0: one value per FFT bin; else the power summed over these bands */
    const int32_t *band_first; /* num_bands first spectrum indices (0 = bin 1) */
    const int32_t *band_count; /* num_bands bin counts, covering the N/2 bins in order */
} mf_dsp_spectral_params;

/* Features per axis: 1 + 2 peaks_count + (N/2 or num_bands) (FFT), or 6 (wavelet_level + 1) (wavelet). */
int32_t mf_dsp_spectral_features_per_axis(const mf_dsp_spectral_params *params);
size_t mf_dsp_spectral_scratch_size(const mf_dsp_spectral_params *params, int32_t frames);
mf_status mf_dsp_spectral(const mf_dsp_spectral_params *params, int32_t frames, int32_t axes, const float *input,
                          float *scratch, float *output);

/* Framed audio blocks: spectrogram, mfe, mfcc (docs/dsp.md sections 6-9). One axis of samples in. */
#define MF_DSP_NORMALIZE_NONE 0
#define MF_DSP_NORMALIZE_MEAN 1
#define MF_DSP_NORMALIZE_MEAN_STD 2

typedef struct {
    int32_t frame_length;         /* L samples per frame, 1 .. fft.n */
    int32_t frame_stride;         /* H samples between frame starts, >= 1 */
    const float *window;          /* L entries, or NULL for a rectangular window */
    float pre_emphasis;           /* a in y[n] = x[n] - a x[n-1]; 0 for none (spectrogram: 0) */
    mf_dsp_rfft_plan fft;         /* FFT length N */
    float noise_floor_db;         /* < 0; spectrogram and mfe */
    int32_t num_filters;          /* F mel filters (mfe, mfcc) */
    const int16_t *filter_first;  /* F entries: first rfft bin with a non-zero weight */
    const int16_t *filter_count;  /* F entries: number of consecutive bins weighted */
    const float *filter_weights;  /* the weights, filter after filter */
    int32_t num_cepstral;         /* C <= F (mfcc) */
    const float *dct;             /* C x F orthonormal DCT-II rows (mfcc) */
    const float *lifter;          /* C factors, or NULL for none (mfcc) */
    int32_t normalization;        /* MF_DSP_NORMALIZE_* (mfcc) */
} mf_dsp_audio_params;

/* Frames in `samples` samples: 1 + (samples - L) / H, or 0 if samples < L. */
int32_t mf_dsp_frame_count(const mf_dsp_audio_params *params, int32_t samples);
size_t mf_dsp_audio_scratch_size(const mf_dsp_audio_params *params);

/* Outputs are frame-major: [frames, N/2 + 1], [frames, F], [frames, C]. */
mf_status mf_dsp_spectrogram(const mf_dsp_audio_params *params, int32_t samples, const float *input,
                             float *scratch, float *output);
mf_status mf_dsp_mfe(const mf_dsp_audio_params *params, int32_t samples, const float *input, float *scratch,
                     float *output);
mf_status mf_dsp_mfcc(const mf_dsp_audio_params *params, int32_t samples, const float *input, float *scratch,
                      float *output);

/* image: bilinear resize with precomputed taps, colour conversion, scaling to 0..1 (docs/dsp.md section 10). */
typedef struct {
    int32_t in_height, in_width, in_channels;    /* source image, channels 1 or 3, uint8 row-major HWC */
    int32_t out_height, out_width, out_channels; /* output, channels 1 (grayscale) or 3 (RGB) */
    int32_t top, left;                           /* where the resized picture starts; outside it is 0 */
    int32_t inner_height, inner_width;           /* size of the resized picture, within the output */
    const int32_t *row_lower, *row_upper;        /* inner_height source rows sampled per output row */
    const float *row_weight;                     /* inner_height weights of the upper row */
    const int32_t *col_lower, *col_upper;        /* inner_width source columns per output column */
    const float *col_weight;                     /* inner_width weights of the upper column */
} mf_dsp_image_params;

/* Output [out_height, out_width, out_channels] floats in 0..1, row-major, channels last. */
mf_status mf_dsp_image(const mf_dsp_image_params *params, const uint8_t *input, float *output);
/* Row y of that output alone (out_width x out_channels floats), so a caller can consume the image a row at
 * a time instead of storing all of it. */
mf_status mf_dsp_image_row(const mf_dsp_image_params *params, const uint8_t *input, int32_t y, float *output);

#ifdef __cplusplus
}
#endif

#endif /* MF_DSP_H */

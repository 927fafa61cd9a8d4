/* Moteforge runtime DSP: framing, windowing, pre-emphasis and mel energies for the audio blocks. */
#include <math.h>

#include "mf_dsp_frames.h"

int32_t mf_dsp_frame_count(const mf_dsp_audio_params *params, int32_t samples)
{
    if (params == 0 || params->frame_length < 1 || params->frame_stride < 1 || samples < params->frame_length) {
        return 0;
    }
    return 1 + (samples - params->frame_length) / params->frame_stride;
}

/* Scratch layout in floats: FFT buffer [N], power [N/2 + 1], mel energies [F]. */
size_t mf_dsp_audio_scratch_size(const mf_dsp_audio_params *params)
{
    if (params == 0) {
        return 0;
    }
    return (size_t)params->fft.n + (size_t)(params->fft.n / 2 + 1) + (size_t)params->num_filters;
}

mf_status mf_dsp_check_frames(const mf_dsp_audio_params *params, int32_t samples, const float *input,
                              const float *scratch, const float *output)
{
    if (params == 0 || input == 0 || scratch == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    if (params->frame_length < 1 || params->frame_stride < 1 || params->frame_length > params->fft.n) {
        return MF_ERR_PARAM;
    }
    if (samples < params->frame_length) {
        return MF_ERR_SHAPE;
    }
    return MF_OK;
}

mf_status mf_dsp_frame_power(const mf_dsp_audio_params *params, const float *input, int32_t index, float *buf,
                             float *power)
{
    const int32_t start = index * params->frame_stride;
    const float norm = (float)(1.0 / (double)params->fft.n);
    int32_t i;
    mf_status status;
    for (i = 0; i < params->frame_length; ++i) {
        const int32_t t = start + i;
        /* y[0] = x[0]; y[t] = x[t] - a x[t-1]: the first frame starts from a zero state. */
        float y = input[t];
        if (params->pre_emphasis != 0.0f && t > 0) {
            y = input[t] - params->pre_emphasis * input[t - 1];
        }
        buf[i] = params->window != 0 ? y * params->window[i] : y;
    }
    for (; i < params->fft.n; ++i) {
        buf[i] = 0.0f;
    }
    status = mf_dsp_rfft_power(&params->fft, buf, power);
    if (status != MF_OK) {
        return status;
    }
    for (i = 0; i <= params->fft.n / 2; ++i) {
        power[i] *= norm;
    }
    return MF_OK;
}

float mf_dsp_db(float value)
{
    return 10.0f * log10f(value > 1e-10f ? value : 1e-10f);
}

float mf_dsp_normalize_db(float db, float noise_floor_db)
{
    return ((db > noise_floor_db ? db : noise_floor_db) - noise_floor_db) / -noise_floor_db;
}

mf_status mf_dsp_check_mel(const mf_dsp_audio_params *params, int32_t samples, const float *input,
                           const float *scratch, const float *output)
{
    const mf_status framed = mf_dsp_check_frames(params, samples, input, scratch, output);
    if (framed != MF_OK) {
        return framed;
    }
    if (params->filter_first == 0 || params->filter_count == 0 || params->filter_weights == 0) {
        return MF_ERR_NULL;
    }
    return params->num_filters < 1 ? MF_ERR_PARAM : MF_OK;
}

mf_status mf_dsp_frame_mel_db(const mf_dsp_audio_params *params, const float *input, int32_t index, float *scratch,
                              const float **db)
{
    float *power = scratch + params->fft.n;
    float *mel = power + params->fft.n / 2 + 1;
    const float *weight = params->filter_weights;
    int32_t j, k;
    const mf_status status = mf_dsp_frame_power(params, input, index, scratch, power);
    if (status != MF_OK) {
        return status;
    }
    for (j = 0; j < params->num_filters; ++j) {
        float energy = 0.0f;
        for (k = 0; k < params->filter_count[j]; ++k) {
            energy += power[params->filter_first[j] + k] * weight[k];
        }
        weight += params->filter_count[j];
        mel[j] = mf_dsp_db(energy);
    }
    *db = mel;
    return MF_OK;
}

/* Moteforge runtime DSP: spectrogram block, noise-floor-normalized dB power per frame and rfft bin. */
#include "mf_dsp_frames.h"

mf_status mf_dsp_spectrogram(const mf_dsp_audio_params *params, int32_t samples, const float *input,
                             float *scratch, float *output)
{
    const mf_status checked = mf_dsp_check_frames(params, samples, input, scratch, output);
    int32_t m, k, frames, bins;
    float *buf, *power;
    if (checked != MF_OK) {
        return checked;
    }
    if (params->noise_floor_db >= 0.0f) {
        return MF_ERR_PARAM;
    }
    frames = mf_dsp_frame_count(params, samples);
    bins = params->fft.n / 2 + 1;
    buf = scratch;
    power = buf + params->fft.n;
    for (m = 0; m < frames; ++m) {
        const mf_status status = mf_dsp_frame_power(params, input, m, buf, power);
        if (status != MF_OK) {
            return status;
        }
        for (k = 0; k < bins; ++k) {
            output[m * bins + k] = mf_dsp_normalize_db(mf_dsp_db(power[k]), params->noise_floor_db);
        }
    }
    return MF_OK;
}

/* Moteforge runtime DSP: MFE block, noise-floor-normalized log mel energies per frame. */
#include "mf_dsp_frames.h"

mf_status mf_dsp_mfe(const mf_dsp_audio_params *params, int32_t samples, const float *input, float *scratch,
                     float *output)
{
    const mf_status checked = mf_dsp_check_frames(params, samples, input, scratch, output);
    int32_t m, j, frames;
    float *buf, *power, *db;
    if (checked != MF_OK) {
        return checked;
    }
    if (params->num_filters < 1 || params->filter_first == 0 || params->filter_count == 0 ||
        params->filter_weights == 0) {
        return MF_ERR_NULL;
    }
    if (params->noise_floor_db >= 0.0f) {
        return MF_ERR_PARAM;
    }
    frames = mf_dsp_frame_count(params, samples);
    buf = scratch;
    power = buf + params->fft.n;
    db = power + params->fft.n / 2 + 1;
    for (m = 0; m < frames; ++m) {
        const mf_status status = mf_dsp_frame_power(params, input, m, buf, power);
        if (status != MF_OK) {
            return status;
        }
        mf_dsp_mel_db(params, power, db);
        for (j = 0; j < params->num_filters; ++j) {
            output[m * params->num_filters + j] = mf_dsp_normalize_db(db[j], params->noise_floor_db);
        }
    }
    return MF_OK;
}

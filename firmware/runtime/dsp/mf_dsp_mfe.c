/* Moteforge runtime DSP: MFE block, noise-floor-normalized log mel energies per frame. */
#include "mf_dsp_frames.h"

mf_status mf_dsp_mfe(const mf_dsp_audio_params *params, int32_t samples, const float *input, float *scratch,
                     float *output)
{
    mf_status status = mf_dsp_check_mel(params, samples, input, scratch, output);
    int32_t m, j, frames;
    if (status != MF_OK) {
        return status;
    }
    if (params->noise_floor_db >= 0.0f) {
        return MF_ERR_PARAM;
    }
    frames = mf_dsp_frame_count(params, samples);
    for (m = 0; m < frames; ++m) {
        const float *db;
        status = mf_dsp_frame_mel_db(params, input, m, scratch, &db);
        if (status != MF_OK) {
            return status;
        }
        for (j = 0; j < params->num_filters; ++j) {
            output[m * params->num_filters + j] = mf_dsp_normalize_db(db[j], params->noise_floor_db);
        }
    }
    return MF_OK;
}

/* Moteforge runtime DSP: MFCC block, DCT of log mel energies per frame, then lifter and normalization. */
#include <math.h>

#include "mf_dsp_frames.h"

/* Per-coefficient normalization over the frames of the window, in place on out[frames, C]. Sums run in
 * double so that a constant column (silence) centres to exact zeros whatever the summation order. */
static void normalize(const mf_dsp_audio_params *params, int32_t frames, float *out)
{
    const int32_t c = params->num_cepstral;
    int32_t i, m;
    for (i = 0; i < c; ++i) {
        double sum = 0.0;
        float mean;
        for (m = 0; m < frames; ++m) {
            sum += (double)out[m * c + i];
        }
        mean = (float)(sum / frames);
        for (m = 0; m < frames; ++m) {
            out[m * c + i] -= mean;
        }
        if (params->normalization == MF_DSP_NORMALIZE_MEAN_STD) {
            double squares = 0.0;
            float spread;
            for (m = 0; m < frames; ++m) {
                squares += (double)out[m * c + i] * (double)out[m * c + i];
            }
            spread = (float)sqrt(squares / frames);
            spread = spread > 1e-10f ? spread : 1e-10f;
            for (m = 0; m < frames; ++m) {
                out[m * c + i] /= spread;
            }
        }
    }
}

mf_status mf_dsp_mfcc(const mf_dsp_audio_params *params, int32_t samples, const float *input, float *scratch,
                      float *output)
{
    mf_status status = mf_dsp_check_mel(params, samples, input, scratch, output);
    int32_t m, i, j, frames, c, f;
    if (status != MF_OK) {
        return status;
    }
    if (params->dct == 0) {
        return MF_ERR_NULL;
    }
    c = params->num_cepstral;
    f = params->num_filters;
    if (c < 1 || c > f || params->normalization < MF_DSP_NORMALIZE_NONE ||
        params->normalization > MF_DSP_NORMALIZE_MEAN_STD) {
        return MF_ERR_PARAM;
    }
    frames = mf_dsp_frame_count(params, samples);
    for (m = 0; m < frames; ++m) {
        const float *db;
        status = mf_dsp_frame_mel_db(params, input, m, scratch, &db);
        if (status != MF_OK) {
            return status;
        }
        for (i = 0; i < c; ++i) {
            float sum = 0.0f;
            for (j = 0; j < f; ++j) {
                sum += params->dct[i * f + j] * db[j];
            }
            output[m * c + i] = params->lifter != 0 ? sum * params->lifter[i] : sum;
        }
    }
    if (params->normalization != MF_DSP_NORMALIZE_NONE) {
        normalize(params, frames, output);
    }
    return MF_OK;
}

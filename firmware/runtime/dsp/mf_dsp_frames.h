/* Moteforge runtime DSP, internal: framing shared by the spectrogram, mfe and mfcc blocks. */
#ifndef MF_DSP_FRAMES_H
#define MF_DSP_FRAMES_H

#include "mf_dsp.h"

/* Checks the framing fields and the buffers; MF_OK when frames can be computed. */
mf_status mf_dsp_check_frames(const mf_dsp_audio_params *params, int32_t samples, const float *input,
                              const float *scratch, const float *output);

/* Power spectrum |rfft(frame * w)|^2 / N of frame `index` (pre-emphasized on the fly) into power[N/2 + 1];
 * buf holds N floats of work space. */
mf_status mf_dsp_frame_power(const mf_dsp_audio_params *params, const float *input, int32_t index, float *buf,
                             float *power);

/* mf_dsp_check_frames, then the mel filterbank fields (mfe, mfcc). */
mf_status mf_dsp_check_mel(const mf_dsp_audio_params *params, int32_t samples, const float *input,
                           const float *scratch, const float *output);

/* Mel energies in dB, 10 log10(max(E, 1e-10)), of frame `index`, computed in scratch
 * (mf_dsp_audio_scratch_size floats); *db points at the F values inside scratch. */
mf_status mf_dsp_frame_mel_db(const mf_dsp_audio_params *params, const float *input, int32_t index, float *scratch,
                              const float **db);

/* 10 log10(max(v, 1e-10)). */
float mf_dsp_db(float value);

/* (max(dB, floor) - floor) / -floor. */
float mf_dsp_normalize_db(float db, float noise_floor_db);

#endif /* MF_DSP_FRAMES_H */

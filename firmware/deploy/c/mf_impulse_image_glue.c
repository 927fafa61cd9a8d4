/* Moteforge verification glue for an image impulse: runs it under the target harness (mf_harness.h) on a
 * batch of frames. Input: k RGB888 frames of MF_IMPULSE_IMAGE_BYTES each; output: k x MF_IMPULSE_CLASSES
 * float32 scores (the classifier's dequantized int8 outputs). */
#include <stdint.h>
#include <string.h>

#include "mf_harness.h"
#include "mf_impulse.h"

/* The frame buffer a camera driver would fill; copied into so that measured RAM includes it. */
static uint8_t mf_glue_frame[MF_IMPULSE_IMAGE_BYTES];
static float mf_glue_scores[MF_IMPULSE_CLASSES];

int mf_harness_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    size_t count;
    size_t i;
    if (in_len == 0 || in_len % sizeof mf_glue_frame != 0) {
        return 20;
    }
    count = in_len / sizeof mf_glue_frame;
    if (count * sizeof mf_glue_scores > out_cap) {
        return 21;
    }
    for (i = 0; i < count; ++i) {
        int status;
        memcpy(mf_glue_frame, in + i * sizeof mf_glue_frame, sizeof mf_glue_frame);
        status = mf_impulse_classify_image(mf_glue_frame, mf_glue_scores);
        if (status != 0) {
            return 30 + status;
        }
        memcpy(out + i * sizeof mf_glue_scores, mf_glue_scores, sizeof mf_glue_scores);
    }
    *out_len = count * sizeof mf_glue_scores;
    return 0;
}

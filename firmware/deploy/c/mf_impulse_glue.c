/* Moteforge verification glue: runs the impulse under the target harness (mf_harness.h) on a batch of
 * windows. Input: k windows of MF_IMPULSE_WINDOW_FLOATS float32 each; output: k x MF_IMPULSE_CLASSES float32
 * scores (a classifier's dequantized int8 outputs, or one anomaly score per window). */
#include <stdint.h>
#include <string.h>

#include "mf_harness.h"
#include "mf_impulse.h"

static float mf_glue_window[MF_IMPULSE_WINDOW_FLOATS];
static float mf_glue_scores[MF_IMPULSE_CLASSES];

int mf_harness_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    size_t count;
    size_t i;
    if (in_len == 0 || in_len % sizeof mf_glue_window != 0) {
        return 20;
    }
    count = in_len / sizeof mf_glue_window;
    if (count * sizeof mf_glue_scores > out_cap) {
        return 21;
    }
    for (i = 0; i < count; ++i) {
        int status;
        /* Copied rather than cast: the harness buffer is bytes, not floats. */
        memcpy(mf_glue_window, in + i * sizeof mf_glue_window, sizeof mf_glue_window);
        status = mf_impulse_run_window(mf_glue_window, mf_glue_scores);
        if (status != 0) {
            return 30 + status;
        }
        memcpy(out + i * sizeof mf_glue_scores, mf_glue_scores, sizeof mf_glue_scores);
    }
    *out_len = count * sizeof mf_glue_scores;
    return 0;
}

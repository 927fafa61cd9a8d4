/* Moteforge verification glue: runs the impulse under the target harness (mf_harness.h) on a batch of
 * windows. Input: k windows of MF_IMPULSE_WINDOW_FLOATS float32 each; output: k x MF_IMPULSE_CLASSES int8
 * scores, the same bytes the studio's int8 classification produces. */
#include <stdint.h>
#include <string.h>

#include "mf_harness.h"
#include "mf_impulse.h"

static float mf_glue_window[MF_IMPULSE_WINDOW_FLOATS];

int mf_harness_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    size_t count;
    size_t i;
    if (in_len == 0 || in_len % sizeof mf_glue_window != 0) {
        return 20;
    }
    count = in_len / sizeof mf_glue_window;
    if (count * MF_IMPULSE_CLASSES > out_cap) {
        return 21;
    }
    for (i = 0; i < count; ++i) {
        int status;
        /* Copied rather than cast: the harness buffer is bytes, not floats. */
        memcpy(mf_glue_window, in + i * sizeof mf_glue_window, sizeof mf_glue_window);
        status = mf_impulse_run_window_q(mf_glue_window, (int8_t *)out + i * MF_IMPULSE_CLASSES);
        if (status != 0) {
            return 30 + status;
        }
    }
    *out_len = count * MF_IMPULSE_CLASSES;
    return 0;
}

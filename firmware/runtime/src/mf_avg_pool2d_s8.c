/* Moteforge runtime: AVERAGE_POOL_2D int8; the divisor counts only cells inside the input. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

mf_status mf_avg_pool2d_s8(const mf_pool_params *params, const mf_dims *input_dims, const int8_t *input,
                           const mf_dims *output_dims, int8_t *output)
{
    int32_t b, oy, ox, c, y, x;
    int32_t y_start, y_end, x_start, x_end;
    if (params == 0 || input_dims == 0 || input == 0 || output_dims == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    if (output_dims->c != input_dims->c || output_dims->n != input_dims->n) {
        return MF_ERR_SHAPE;
    }
    for (b = 0; b < output_dims->n; ++b) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            mf_pool_window(oy, params->stride_h, params->pad_h, params->filter_h, input_dims->h, &y_start, &y_end);
            for (ox = 0; ox < output_dims->w; ++ox) {
                mf_pool_window(ox, params->stride_w, params->pad_w, params->filter_w, input_dims->w, &x_start, &x_end);
                const int32_t count = (y_end - y_start) * (x_end - x_start);
                if (count <= 0) {
                    return MF_ERR_PARAM; /* a window entirely in the padding has no average */
                }
                for (c = 0; c < output_dims->c; ++c) {
                    int32_t acc = 0; /* |acc| <= window * 128 */
                    for (y = y_start; y < y_end; ++y) {
                        for (x = x_start; x < x_end; ++x) {
                            acc += input[(((int64_t)b * input_dims->h + y) * input_dims->w + x) * input_dims->c + c];
                        }
                    }
                    /* Round half away from zero; C division truncates toward zero. */
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    *output++ = (int8_t)mf_clamp(acc, params->act_min, params->act_max);
                }
            }
        }
    }
    return MF_OK;
}

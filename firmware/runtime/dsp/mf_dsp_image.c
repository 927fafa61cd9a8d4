/* Moteforge runtime DSP: image block. Each output pixel interpolates four source pixels, converted to
 * 0..1 (and to gray, or from gray) on the fly, so no intermediate image is stored. */
#include "mf_dsp.h"

/* BT.601 luma weights, the float32 values of 0.299, 0.587, 0.114. */
#define LUMA_R 0.299f
#define LUMA_G 0.587f
#define LUMA_B 0.114f

/* Source pixel (row, col) as seen in the output colour space, channel `channel`. */
static float source_value(const mf_dsp_image_params *params, const uint8_t *input, int32_t row, int32_t col,
                          int32_t channel)
{
    const uint8_t *pixel = input + ((size_t)row * (size_t)params->in_width + (size_t)col) * (size_t)params->in_channels;
    const float unit = 1.0f / 255.0f;
    if (params->in_channels == 3 && params->out_channels == 1) {
        return (float)pixel[0] * unit * LUMA_R + (float)pixel[1] * unit * LUMA_G + (float)pixel[2] * unit * LUMA_B;
    }
    return (float)pixel[params->in_channels == 1 ? 0 : channel] * unit;
}

static int32_t taps_valid(const int32_t *lower, const int32_t *upper, int32_t count, int32_t limit)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        if (lower[i] < 0 || upper[i] < lower[i] || upper[i] >= limit) {
            return 0;
        }
    }
    return 1;
}

static mf_status check_params(const mf_dsp_image_params *params)
{
    if (params == 0 || params->row_lower == 0 || params->row_upper == 0 || params->row_weight == 0 ||
        params->col_lower == 0 || params->col_upper == 0 || params->col_weight == 0) {
        return MF_ERR_NULL;
    }
    if ((params->in_channels != 1 && params->in_channels != 3) ||
        (params->out_channels != 1 && params->out_channels != 3) || params->in_height < 1 || params->in_width < 1 ||
        params->top < 0 || params->left < 0 || params->inner_height < 1 || params->inner_width < 1 ||
        params->top + params->inner_height > params->out_height ||
        params->left + params->inner_width > params->out_width) {
        return MF_ERR_SHAPE;
    }
    if (!taps_valid(params->row_lower, params->row_upper, params->inner_height, params->in_height) ||
        !taps_valid(params->col_lower, params->col_upper, params->inner_width, params->in_width)) {
        return MF_ERR_PARAM;
    }
    return MF_OK;
}

/* Output row y (checked parameters), out_width x out_channels floats. */
static void image_row(const mf_dsp_image_params *params, const uint8_t *input, int32_t y, float *output)
{
    int32_t x, ch;
    const int32_t i = y - params->top;
    for (x = 0; x < params->out_width; ++x) {
        float *out = output + (size_t)x * (size_t)params->out_channels;
        const int32_t j = x - params->left;
        if (i < 0 || i >= params->inner_height || j < 0 || j >= params->inner_width) {
            for (ch = 0; ch < params->out_channels; ++ch) {
                out[ch] = 0.0f;
            }
            continue;
        }
        for (ch = 0; ch < params->out_channels; ++ch) {
            const float wx = params->col_weight[j], wy = params->row_weight[i];
            const int32_t r0 = params->row_lower[i], r1 = params->row_upper[i];
            const int32_t c0 = params->col_lower[j], c1 = params->col_upper[j];
            float upper, lower;
            if (wx == 0.0f && wy == 0.0f) {
                /* A tap on a source pixel (every pixel of a frame already at the output size): the
                 * interpolation below would give exactly this value, v * 1 + w * 0. */
                out[ch] = source_value(params, input, r0, c0, ch);
                continue;
            }
            upper = source_value(params, input, r0, c0, ch) * (1.0f - wx) + source_value(params, input, r0, c1, ch) * wx;
            lower = source_value(params, input, r1, c0, ch) * (1.0f - wx) + source_value(params, input, r1, c1, ch) * wx;
            out[ch] = upper * (1.0f - wy) + lower * wy;
        }
    }
}

mf_status mf_dsp_image(const mf_dsp_image_params *params, const uint8_t *input, float *output)
{
    int32_t y;
    mf_status status = check_params(params);
    if (status != MF_OK) {
        return status;
    }
    if (input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    for (y = 0; y < params->out_height; ++y) {
        image_row(params, input, y, output + (size_t)y * (size_t)params->out_width * (size_t)params->out_channels);
    }
    return MF_OK;
}

mf_status mf_dsp_image_row(const mf_dsp_image_params *params, const uint8_t *input, int32_t y, float *output)
{
    mf_status status = check_params(params);
    if (status != MF_OK) {
        return status;
    }
    if (input == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    if (y < 0 || y >= params->out_height) {
        return MF_ERR_SHAPE;
    }
    image_row(params, input, y, output);
    return MF_OK;
}

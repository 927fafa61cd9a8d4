/* Moteforge runtime: CONV_2D int8 (per-channel or per-tensor), with grouped convolution. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

/* Pointwise fast path: 1x1 filter, stride 1, no padding, one group: a matrix product per pixel. */
static void conv_1x1(const mf_conv_params *params, const mf_quant *quant, int32_t pixels, int32_t in_c,
                     const int8_t *input, int32_t out_c, const int8_t *filter, const int32_t *bias,
                     int8_t *output)
{
    int32_t p, oc, ic;
    for (p = 0; p < pixels; ++p) {
        const int8_t *in = input + (int64_t)p * in_c;
        for (oc = 0; oc < out_c; ++oc) {
            const int8_t *f = filter + (int64_t)oc * in_c;
            const int32_t q = quant->per_channel ? oc : 0;
            /* |acc| <= in_c * 255 * 128: fits int32 for in_c < 65793. */
            int32_t acc = 0;
            for (ic = 0; ic + 4 <= in_c; ic += 4) {
                acc += (in[ic] + params->input_offset) * f[ic];
                acc += (in[ic + 1] + params->input_offset) * f[ic + 1];
                acc += (in[ic + 2] + params->input_offset) * f[ic + 2];
                acc += (in[ic + 3] + params->input_offset) * f[ic + 3];
            }
            for (; ic < in_c; ++ic) {
                acc += (in[ic] + params->input_offset) * f[ic];
            }
            if (bias != 0) {
                acc += bias[oc];
            }
            acc = mf_multiply_by_quantized_multiplier(acc, quant->multiplier[q], quant->shift[q]);
            acc += params->output_offset;
            *output++ = (int8_t)mf_clamp(acc, params->act_min, params->act_max);
        }
    }
}

mf_status mf_conv2d_s8(const mf_conv_params *params, const mf_quant *quant, const mf_dims *input_dims,
                       const int8_t *input, const mf_dims *filter_dims, const int8_t *filter,
                       const int32_t *bias, const mf_dims *output_dims, int8_t *output)
{
    int32_t b, oy, ox, oc, ky, kx, ic;
    int32_t groups, filters_per_group;
    const int32_t fc = filter_dims != 0 ? filter_dims->c : 0;
    if (params == 0 || quant == 0 || input_dims == 0 || input == 0 || filter_dims == 0 || filter == 0 ||
        output_dims == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    if (fc <= 0 || input_dims->c % fc != 0 || output_dims->c != filter_dims->n ||
        output_dims->n != input_dims->n) {
        return MF_ERR_SHAPE;
    }
    groups = input_dims->c / fc;
    if (filter_dims->n % groups != 0) {
        return MF_ERR_SHAPE;
    }
    filters_per_group = filter_dims->n / groups;
    if (groups == 1 && filter_dims->h == 1 && filter_dims->w == 1 && params->stride_h == 1 &&
        params->stride_w == 1 && params->pad_h == 0 && params->pad_w == 0 && input_dims->h == output_dims->h &&
        input_dims->w == output_dims->w) {
        conv_1x1(params, quant, input_dims->n * input_dims->h * input_dims->w, input_dims->c, input,
                 output_dims->c, filter, bias, output);
        return MF_OK;
    }
    for (b = 0; b < output_dims->n; ++b) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                for (oc = 0; oc < output_dims->c; ++oc) {
                    const int32_t group = oc / filters_per_group;
                    const int32_t q = quant->per_channel ? oc : 0;
                    /* |acc| <= KH * KW * fc * 255 * 128 plus the bias; int32 for realistic layers. */
                    int32_t acc = 0;
                    for (ky = 0; ky < filter_dims->h; ++ky) {
                        const int32_t iy = in_y0 + ky * params->dilation_h;
                        if (iy < 0 || iy >= input_dims->h) {
                            continue; /* zero-point padding contributes nothing */
                        }
                        for (kx = 0; kx < filter_dims->w; ++kx) {
                            const int32_t ix = in_x0 + kx * params->dilation_w;
                            const int8_t *in;
                            const int8_t *f;
                            if (ix < 0 || ix >= input_dims->w) {
                                continue;
                            }
                            in = input + (((int64_t)b * input_dims->h + iy) * input_dims->w + ix) * input_dims->c +
                                 (int64_t)group * fc;
                            f = filter + (((int64_t)oc * filter_dims->h + ky) * filter_dims->w + kx) * fc;
                            for (ic = 0; ic < fc; ++ic) {
                                acc += (in[ic] + params->input_offset) * f[ic];
                            }
                        }
                    }
                    if (bias != 0) {
                        acc += bias[oc];
                    }
                    acc = mf_multiply_by_quantized_multiplier(acc, quant->multiplier[q], quant->shift[q]);
                    acc += params->output_offset;
                    *output++ = (int8_t)mf_clamp(acc, params->act_min, params->act_max);
                }
            }
        }
    }
    return MF_OK;
}

/* Moteforge runtime: DEPTHWISE_CONV_2D int8 with any depth multiplier and dilation. */
#include "mf_kernels.h"

#include "mf_fixedpoint.h"

mf_status mf_depthwise_conv2d_s8(const mf_conv_params *params, const mf_quant *quant,
                                 const mf_dims *input_dims, const int8_t *input, const mf_dims *filter_dims,
                                 const int8_t *filter, const int32_t *bias, const mf_dims *output_dims,
                                 int8_t *output)
{
    int32_t b, oy, ox, ic, m, ky, kx;
    if (params == 0 || quant == 0 || input_dims == 0 || input == 0 || filter_dims == 0 || filter == 0 ||
        output_dims == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    if (params->depth_multiplier < 1 || output_dims->c != input_dims->c * params->depth_multiplier ||
        filter_dims->c != output_dims->c || output_dims->n != input_dims->n) {
        return MF_ERR_SHAPE;
    }
    for (b = 0; b < output_dims->n; ++b) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                for (ic = 0; ic < input_dims->c; ++ic) {
                    for (m = 0; m < params->depth_multiplier; ++m) {
                        const int32_t oc = ic * params->depth_multiplier + m;
                        const int32_t q = quant->per_channel ? oc : 0;
                        int32_t acc = 0; /* |acc| <= KH * KW * 255 * 128 plus the bias */
                        for (ky = 0; ky < filter_dims->h; ++ky) {
                            const int32_t iy = in_y0 + ky * params->dilation_h;
                            if (iy < 0 || iy >= input_dims->h) {
                                continue;
                            }
                            for (kx = 0; kx < filter_dims->w; ++kx) {
                                const int32_t ix = in_x0 + kx * params->dilation_w;
                                if (ix < 0 || ix >= input_dims->w) {
                                    continue;
                                }
                                acc += (input[(((int64_t)b * input_dims->h + iy) * input_dims->w + ix) *
                                                  input_dims->c + ic] + params->input_offset) *
                                       filter[((int64_t)ky * filter_dims->w + kx) * filter_dims->c + oc];
                            }
                        }
                        if (bias != 0) {
                            acc += bias[oc];
                        }
                        acc = mf_multiply_by_quantized_multiplier(acc, quant->multiplier[q], quant->shift[q]);
                        acc += params->output_offset;
                        output[(((int64_t)b * output_dims->h + oy) * output_dims->w + ox) * output_dims->c + oc] =
                            (int8_t)mf_clamp(acc, params->act_min, params->act_max);
                    }
                }
            }
        }
    }
    return MF_OK;
}

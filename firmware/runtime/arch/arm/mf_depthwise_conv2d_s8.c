/* Moteforge runtime, Arm DSP variant: DEPTHWISE_CONV_2D int8, compiled instead of src/ when MF_USE_ARM_DSP
 * is set. With depth multiplier 1 (the common case) four channels are computed together: one word of
 * input and one of filter per tap, widened to int16 pairs, and the halfword multiply-accumulates SMLABB and
 * SMLATT keep each channel's sum apart. Other multipliers use the portable kernel. Bit-exact with src/. */
#include "mf_kernels.h"

#include "mf_arm_simd.h"
#include "mf_fixedpoint.h"

/* The portable kernel under another name, for depth multipliers other than 1 (see mf_conv2d_s8.c). */
mf_status mf_portable_depthwise_conv2d_s8(const mf_conv_params *params, const mf_quant *quant,
                                          const mf_dims *input_dims, const int8_t *input,
                                          const mf_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                          const mf_dims *output_dims, int8_t *output);
#define mf_depthwise_conv2d_s8 mf_portable_depthwise_conv2d_s8
#include "../../src/mf_depthwise_conv2d_s8.c"
#undef mf_depthwise_conv2d_s8

static inline __attribute__((always_inline)) int8_t dw_finish(const mf_conv_params *params,
                                                              const mf_quant *quant, const int32_t *bias,
                                                              int32_t oc, int32_t acc)
{
    const int32_t q = quant->per_channel ? oc : 0;
    if (bias != 0) {
        acc += bias[oc];
    }
    acc = mf_arm_requantize(acc, quant->multiplier[q], quant->shift[q]);
    acc += params->output_offset;
    return (int8_t)mf_clamp(acc, params->act_min, params->act_max);
}

/* First and one-past-last kernel index whose tap start + k * dilation lies in [0, size): the taps inside
 * the image form a rectangle, so bounds are computed once per output pixel instead of tested per tap. */
static void valid_taps(int32_t start, int32_t dilation, int32_t kernel, int32_t size, int32_t *lo, int32_t *hi)
{
    int32_t first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
    int32_t last = size - start <= 0 ? 0 : (size - start + dilation - 1) / dilation;
    if (last > kernel) {
        last = kernel;
    }
    *lo = first;
    *hi = last > first ? last : first;
}

mf_status mf_depthwise_conv2d_s8(const mf_conv_params *params, const mf_quant *quant,
                                 const mf_dims *input_dims, const int8_t *input, const mf_dims *filter_dims,
                                 const int8_t *filter, const int32_t *bias, const mf_dims *output_dims,
                                 int8_t *output)
{
    int32_t b, oy, ox, c, ky, kx;
    int32_t channels, channels4, offset_pair, row_step, col_step;
    if (params == 0 || quant == 0 || input_dims == 0 || input == 0 || filter_dims == 0 || filter == 0 ||
        output_dims == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    if (params->depth_multiplier != 1) {
        return mf_portable_depthwise_conv2d_s8(params, quant, input_dims, input, filter_dims, filter, bias,
                                               output_dims, output);
    }
    channels = input_dims->c;
    if (output_dims->c != channels || filter_dims->c != channels || output_dims->n != input_dims->n) {
        return MF_ERR_SHAPE;
    }
    channels4 = channels & ~3;
    offset_pair = mf_arm_offset_pair(params->input_offset);
    /* Input steps between taps; tensors on these targets are far below 2 GiB, so int32 offsets suffice. */
    row_step = params->dilation_h * input_dims->w * channels;
    col_step = params->dilation_w * channels;
    for (b = 0; b < output_dims->n; ++b) {
        const int8_t *image = input + b * input_dims->h * input_dims->w * channels;
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t in_y0 = oy * params->stride_h - params->pad_h;
            int32_t ky_lo, ky_hi;
            valid_taps(in_y0, params->dilation_h, filter_dims->h, input_dims->h, &ky_lo, &ky_hi);
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t in_x0 = ox * params->stride_w - params->pad_w;
                int32_t kx_lo, kx_hi;
                const int8_t *in_origin;
                const int8_t *f_origin;
                valid_taps(in_x0, params->dilation_w, filter_dims->w, input_dims->w, &kx_lo, &kx_hi);
                /* The first valid tap, for input and filter; the rest follow by fixed steps. With no valid
                 * tap (output wholly in the padding) the loops below do not run: point at the tensors. */
                in_origin = image;
                f_origin = filter;
                if (ky_lo < ky_hi && kx_lo < kx_hi) {
                    in_origin += ((in_y0 + ky_lo * params->dilation_h) * input_dims->w + in_x0 +
                                  kx_lo * params->dilation_w) *
                                 channels;
                    f_origin += (ky_lo * filter_dims->w + kx_lo) * channels;
                }
                for (c = 0; c < channels4; c += 4) {
                    /* Per channel |acc| <= KH * KW * 255 * 128 plus the bias, as in src/. */
                    int32_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
                    const int8_t *in_row = in_origin + c;
                    const int8_t *f_row = f_origin + c;
                    for (ky = ky_lo; ky < ky_hi; ++ky) {
                        const int8_t *in_tap = in_row;
                        const int8_t *f_tap = f_row;
                        for (kx = kx_lo; kx < kx_hi; ++kx) {
                            const uint32_t x = mf_arm_load4(in_tap);
                            const uint32_t w = mf_arm_load4(f_tap);
                            const int32_t x_even = mf_arm_even_plus(x, offset_pair); /* channels c, c + 2 */
                            const int32_t x_odd = mf_arm_odd_plus(x, offset_pair);   /* channels c + 1, c + 3 */
                            const int32_t w_even = mf_arm_even(w);
                            const int32_t w_odd = mf_arm_odd(w);
                            acc0 = __smlabb(x_even, w_even, acc0);
                            acc2 = __smlatt(x_even, w_even, acc2);
                            acc1 = __smlabb(x_odd, w_odd, acc1);
                            acc3 = __smlatt(x_odd, w_odd, acc3);
                            in_tap += col_step;
                            f_tap += channels;
                        }
                        in_row += row_step;
                        f_row += filter_dims->w * channels;
                    }
                    output[c] = dw_finish(params, quant, bias, c, acc0);
                    output[c + 1] = dw_finish(params, quant, bias, c + 1, acc1);
                    output[c + 2] = dw_finish(params, quant, bias, c + 2, acc2);
                    output[c + 3] = dw_finish(params, quant, bias, c + 3, acc3);
                }
                for (; c < channels; ++c) {
                    int32_t acc = 0;
                    const int8_t *in_row = in_origin + c;
                    const int8_t *f_row = f_origin + c;
                    for (ky = ky_lo; ky < ky_hi; ++ky) {
                        for (kx = 0; kx < kx_hi - kx_lo; ++kx) {
                            acc += (in_row[kx * col_step] + params->input_offset) * f_row[kx * channels];
                        }
                        in_row += row_step;
                        f_row += filter_dims->w * channels;
                    }
                    output[c] = dw_finish(params, quant, bias, c, acc);
                }
                output += channels;
            }
        }
    }
    return MF_OK;
}

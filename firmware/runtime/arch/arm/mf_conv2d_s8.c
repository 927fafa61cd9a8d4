/* Moteforge runtime, Arm DSP variant: CONV_2D int8, compiled instead of src/ when MF_USE_ARM_DSP is set.
 * Per output pixel the receptive field is gathered once into an int16 patch with the input offset already
 * added (im2col), then every output channel is a dot product of that patch with its filter row, two output
 * channels per pass and two multiply-accumulates per SMLAD. Grouped convolution and patches larger than
 * MF_ARM_CONV_PATCH_CAP use the portable kernel. Results are bit-exact with src/ (see mf_arm_simd.h). */
#include "mf_kernels.h"

#include "mf_arm_simd.h"

/* Patch elements (KH * KW * input channels) held on the stack: 2 bytes each. */
#ifndef MF_ARM_CONV_PATCH_CAP
#define MF_ARM_CONV_PATCH_CAP 1024
#endif

/* The portable kernel under another name: the fallback for shapes this file does not handle. Including
 * the source (rather than copying it) keeps one definition of the reference arithmetic. */
mf_status mf_portable_conv2d_s8(const mf_conv_params *params, const mf_quant *quant, const mf_dims *input_dims,
                                const int8_t *input, const mf_dims *filter_dims, const int8_t *filter,
                                const int32_t *bias, const mf_dims *output_dims, int8_t *output);
#define mf_conv2d_s8 mf_portable_conv2d_s8
#include "../../src/mf_conv2d_s8.c"
#undef mf_conv2d_s8

/* Position of patch element k: each group of four is stored as (e0, e2, e1, e3) so that two 32-bit loads
 * give the even and odd int16 pairs that match SXTB16 of four filter bytes. */
static inline __attribute__((always_inline)) int32_t patch_slot(int32_t k)
{
    return (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1);
}

/* Geometry of one call, copied out of the parameter structs (output stores are char stores, which may
 * alias them as far as the compiler knows, forcing reloads after every byte). */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t input_offset;
} conv_geometry;

/* Gather the receptive field of one output pixel. Out-of-image taps are 0, which is what a zero-point
 * padded input contributes after the offset: the portable kernel skips them, the sum is the same. */
static void gather_patch(const conv_geometry *g, const int8_t *image, int32_t in_y0, int32_t in_x0,
                         int16_t *patch)
{
    const int32_t fc = g->in_c;
    const int32_t offset_pair = mf_arm_offset_pair(g->input_offset);
    int32_t ky, kx, ic;
    int32_t k = 0;
    for (ky = 0; ky < g->k_h; ++ky) {
        const int32_t iy = in_y0 + ky * g->dil_h;
        for (kx = 0; kx < g->k_w; ++kx) {
            const int32_t ix = in_x0 + kx * g->dil_w;
            if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) {
                for (ic = 0; ic < fc; ++ic, ++k) {
                    patch[patch_slot(k)] = 0;
                }
            } else if ((fc & 3) == 0) {
                /* Whole groups of four: widen with SXTAB16 and store both pairs as they come. */
                const int8_t *src = image + (iy * g->in_w + ix) * fc;
                for (ic = 0; ic < fc; ic += 4, k += 4) {
                    const uint32_t word = mf_arm_load4(src + ic);
                    const int32_t even = mf_arm_even_plus(word, offset_pair);
                    const int32_t odd = mf_arm_odd_plus(word, offset_pair);
                    memcpy(patch + k, &even, sizeof even);
                    memcpy(patch + k + 2, &odd, sizeof odd);
                }
            } else {
                const int8_t *src = image + (iy * g->in_w + ix) * fc;
                for (ic = 0; ic < fc; ++ic, ++k) {
                    patch[patch_slot(k)] = (int16_t)(src[ic] + g->input_offset);
                }
            }
        }
    }
}

mf_status mf_conv2d_s8(const mf_conv_params *params, const mf_quant *quant, const mf_dims *input_dims,
                       const int8_t *input, const mf_dims *filter_dims, const int8_t *filter,
                       const int32_t *bias, const mf_dims *output_dims, int8_t *output)
{
    int16_t patch[MF_ARM_CONV_PATCH_CAP] MF_ALIGN(4);
    int32_t b, oy, ox, oc, k;
    int32_t taps, taps4, batches, out_h, out_w, out_c;
    conv_geometry g;
    mf_arm_output_stage stage;
    if (params == 0 || quant == 0 || input_dims == 0 || input == 0 || filter_dims == 0 || filter == 0 ||
        output_dims == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    taps = filter_dims->h * filter_dims->w * filter_dims->c;
    if (filter_dims->c <= 0 || filter_dims->c != input_dims->c || taps > MF_ARM_CONV_PATCH_CAP) {
        /* Grouped convolution or an oversized patch; the portable kernel also does the shape checks. */
        return mf_portable_conv2d_s8(params, quant, input_dims, input, filter_dims, filter, bias, output_dims,
                                     output);
    }
    if (output_dims->c != filter_dims->n || output_dims->n != input_dims->n) {
        return MF_ERR_SHAPE;
    }
    g.in_h = input_dims->h;
    g.in_w = input_dims->w;
    g.in_c = input_dims->c;
    g.k_h = filter_dims->h;
    g.k_w = filter_dims->w;
    g.stride_h = params->stride_h;
    g.stride_w = params->stride_w;
    g.dil_h = params->dilation_h;
    g.dil_w = params->dilation_w;
    g.pad_h = params->pad_h;
    g.pad_w = params->pad_w;
    g.input_offset = params->input_offset;
    stage.multiplier = quant->multiplier;
    stage.shift = quant->shift;
    stage.bias = bias;
    stage.channel_step = quant->per_channel ? 1 : 0;
    stage.output_offset = params->output_offset;
    stage.act_min = params->act_min;
    stage.act_max = params->act_max;
    batches = input_dims->n;
    out_h = output_dims->h;
    out_w = output_dims->w;
    out_c = output_dims->c;
    taps4 = taps & ~3;
    for (b = 0; b < batches; ++b) {
        const int8_t *image = input + b * g.in_h * g.in_w * g.in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * g.stride_h - g.pad_h;
            for (ox = 0; ox < out_w; ++ox) {
                gather_patch(&g, image, in_y0, ox * g.stride_w - g.pad_w, patch);
                for (oc = 0; oc + 2 <= out_c; oc += 2) {
                    const int8_t *f0 = filter + oc * taps;
                    const int8_t *f1 = f0 + taps;
                    /* |acc| <= taps * 255 * 128 before the bias; int32 for taps < 65793, as in src/. */
                    int32_t acc0 = 0;
                    int32_t acc1 = 0;
                    if (taps4 > 0) {
                        mf_arm_dot2_s16_s8(patch, f0, f1, taps4, &acc0, &acc1);
                    }
                    for (k = taps4; k < taps; ++k) {
                        const int32_t x = patch[patch_slot(k)];
                        acc0 += x * f0[k];
                        acc1 += x * f1[k];
                    }
                    *output++ = mf_arm_output(&stage, oc, acc0);
                    *output++ = mf_arm_output(&stage, oc + 1, acc1);
                }
                if (oc < out_c) {
                    const int8_t *f0 = filter + oc * taps;
                    int32_t acc0 = 0;
                    for (k = 0; k < taps4; k += 4) {
                        const uint32_t w0 = mf_arm_load4(f0 + k);
                        acc0 = __smlad(mf_arm_load_pair(patch + k), mf_arm_even(w0), acc0);
                        acc0 = __smlad(mf_arm_load_pair(patch + k + 2), mf_arm_odd(w0), acc0);
                    }
                    for (; k < taps; ++k) {
                        acc0 += patch[patch_slot(k)] * f0[k];
                    }
                    *output++ = mf_arm_output(&stage, oc, acc0);
                }
            }
        }
    }
    return MF_OK;
}

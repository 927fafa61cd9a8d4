/* Moteforge runtime, Arm DSP variant: CONV_2D int8, compiled instead of src/ when MF_USE_ARM_DSP is set.
 * The receptive fields of two neighbouring output pixels are gathered into an int16 patch with the input
 * offset already added (im2col); each pair of output channels is then two dot products with the filter
 * rows, computed together so every loaded filter word serves both pixels: 16 multiply-accumulates in 20
 * instructions. A last odd pixel uses a one-pixel patch. Grouped convolution and patches larger than
 * MF_ARM_CONV_PATCH_CAP use the portable kernel. Results are bit-exact with src/ (see mf_arm_simd.h). */
#include "mf_kernels.h"

#include "mf_arm_simd.h"

/* Patch elements held on the stack, 2 bytes each: two pixels of KH * KW * input channels (rounded up to
 * a multiple of 4) are needed for the two-pixel path, one for the one-pixel path. */
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

/* Patch layout for `pixels` (1 or 2) pixels: patch elements go in groups of four, group g of pixel p at
 * index (g * pixels + p) * 4, each group stored as (e0, e2, e1, e3) so that two 32-bit loads give the even
 * and odd int16 pairs matching SXTB16 of four filter bytes. */
static inline __attribute__((always_inline)) int32_t patch_slot(int32_t k, int32_t pixel, int32_t pixels)
{
    return ((k >> 2) * pixels + pixel) * 4 + (((k & 1) << 1) | ((k >> 1) & 1));
}

/* Geometry of one call, copied out of the parameter structs (output stores are char stores, which may
 * alias them as far as the compiler knows, forcing reloads after every byte). */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t input_offset;
} conv_geometry;

/* Gather the receptive field of one output pixel as pixel `pixel` of a `pixels`-pixel patch. Out-of-image
 * taps are 0, which is what a zero-point padded input contributes after the offset: the portable kernel
 * skips them, the sum is the same. */
static void gather_patch(const conv_geometry *g, const int8_t *image, int32_t in_y0, int32_t in_x0,
                         int16_t *patch, int32_t pixel, int32_t pixels)
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
                    patch[patch_slot(k, pixel, pixels)] = 0;
                }
            } else if ((fc & 3) == 0) {
                /* Whole groups of four: widen with SXTAB16 and store both pairs as they come. */
                const int8_t *src = image + (iy * g->in_w + ix) * fc;
                int16_t *dst = patch + ((k >> 2) * pixels + pixel) * 4;
                for (ic = 0; ic < fc; ic += 4, k += 4, dst += 4 * pixels) {
                    const uint32_t word = mf_arm_load4(src + ic);
                    const int32_t even = mf_arm_even_plus(word, offset_pair);
                    const int32_t odd = mf_arm_odd_plus(word, offset_pair);
                    memcpy(dst, &even, sizeof even);
                    memcpy(dst + 2, &odd, sizeof odd);
                }
            } else {
                const int8_t *src = image + (iy * g->in_w + ix) * fc;
                for (ic = 0; ic < fc; ++ic, ++k) {
                    patch[patch_slot(k, pixel, pixels)] = (int16_t)(src[ic] + g->input_offset);
                }
            }
        }
    }
}

/* acc[0] = xa.f0, acc[1] = xa.f1, acc[2] = xb.f0, acc[3] = xb.f1 over n4 >= 4 elements (a multiple of 4)
 * of a two-pixel patch (pixels a and b interleaved by group, see patch_slot) and two int8 filter rows.
 * The loop is spelled out because GCC at -Os spills in it; 12 registers, so it stays out of line. */
static __attribute__((noinline)) void dot_2x2(const int16_t *patch, const int8_t *f0, const int8_t *f1, int32_t n4,
                                               int32_t acc[4])
{
    int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
    const int16_t *const end = patch + 2 * n4;
    int32_t w, w_odd, x_even, x_odd;
    __asm__("1:\n\t"
            "ldr %[w], [%[f0]], #4\n\t"
            "sxtb16 %[wo], %[w], ror #8\n\t"
            "sxtb16 %[w], %[w]\n\t"
            "ldrd %[xe], %[xo], [%[x]]\n\t"
            "smlad %[a00], %[xe], %[w], %[a00]\n\t"
            "smlad %[a00], %[xo], %[wo], %[a00]\n\t"
            "ldrd %[xe], %[xo], [%[x], #8]\n\t"
            "smlad %[a10], %[xe], %[w], %[a10]\n\t"
            "smlad %[a10], %[xo], %[wo], %[a10]\n\t"
            "ldr %[w], [%[f1]], #4\n\t"
            "sxtb16 %[wo], %[w], ror #8\n\t"
            "sxtb16 %[w], %[w]\n\t"
            "smlad %[a11], %[xe], %[w], %[a11]\n\t"
            "smlad %[a11], %[xo], %[wo], %[a11]\n\t"
            "ldrd %[xe], %[xo], [%[x]], #16\n\t"
            "smlad %[a01], %[xe], %[w], %[a01]\n\t"
            "smlad %[a01], %[xo], %[wo], %[a01]\n\t"
            "cmp %[x], %[end]\n\t"
            "bne 1b"
            : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [x] "+r"(patch),
              [f0] "+r"(f0), [f1] "+r"(f1), [w] "=&r"(w), [wo] "=&r"(w_odd), [xe] "=&r"(x_even),
              [xo] "=&r"(x_odd)
            : [end] "r"(end)
            : "cc", "memory");
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* x.f for pixel `pixel` of a `pixels`-pixel patch and one filter row, all `taps` elements; the 4-element
 * groups in 8 instructions (same reasoning as dot_2x2). */
static int32_t dot_1(const int16_t *patch, int32_t pixel, int32_t pixels, const int8_t *f, int32_t taps)
{
    const int32_t taps4 = taps & ~3;
    const int32_t group_bytes = 8 * pixels;
    const int16_t *x = patch + pixel * 4;
    const int16_t *const end = x + taps4 * pixels;
    const int8_t *tail = f + taps4;
    int32_t acc = 0;
    int32_t k;
    if (taps4 > 0) {
        int32_t w, w_odd, x_even, x_odd;
        __asm__("1:\n\t"
                "ldr %[w], [%[f]], #4\n\t"
                "sxtb16 %[wo], %[w], ror #8\n\t"
                "sxtb16 %[w], %[w]\n\t"
                "ldrd %[xe], %[xo], [%[x]]\n\t"
                "add %[x], %[x], %[step]\n\t"
                "smlad %[acc], %[xe], %[w], %[acc]\n\t"
                "smlad %[acc], %[xo], %[wo], %[acc]\n\t"
                "cmp %[x], %[end]\n\t"
                "bne 1b"
                : [acc] "+r"(acc), [x] "+r"(x), [f] "+r"(f), [w] "=&r"(w), [wo] "=&r"(w_odd),
                  [xe] "=&r"(x_even), [xo] "=&r"(x_odd)
                : [end] "r"(end), [step] "r"(group_bytes)
                : "cc", "memory");
    }
    for (k = taps4; k < taps; ++k) {
        acc += patch[patch_slot(k, pixel, pixels)] * tail[k - taps4];
    }
    return acc;
}

mf_status mf_conv2d_s8(const mf_conv_params *params, const mf_quant *quant, const mf_dims *input_dims,
                       const int8_t *input, const mf_dims *filter_dims, const int8_t *filter,
                       const int32_t *bias, const mf_dims *output_dims, int8_t *output)
{
    int32_t b, oc, k;
    int32_t taps, taps4, padded_taps, batches, out_h, out_w, out_c, pixels, patch_elements;
    conv_geometry g;
    mf_arm_output_stage stage;
    if (params == 0 || quant == 0 || input_dims == 0 || input == 0 || filter_dims == 0 || filter == 0 ||
        output_dims == 0 || output == 0) {
        return MF_ERR_NULL;
    }
    taps = filter_dims->h * filter_dims->w * filter_dims->c;
    padded_taps = (taps + 3) & ~3;
    if (filter_dims->c <= 0 || filter_dims->c != input_dims->c || padded_taps > MF_ARM_CONV_PATCH_CAP) {
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
    patch_elements = 2 * padded_taps <= MF_ARM_CONV_PATCH_CAP ? 2 * padded_taps : padded_taps;
    /* Sized to this layer (at most MF_ARM_CONV_PATCH_CAP, checked above) so that the stack figure is what
     * the model needs; 8-byte aligned for LDRD. */
    int16_t patch[patch_elements] MF_ALIGN(8);
    for (b = 0; b < batches; ++b) {
        const int8_t *image = input + b * g.in_h * g.in_w * g.in_c;
        int32_t p;
        /* Output pixels in row-major order, two at a time (a pair may span two rows). */
        for (p = 0; p < out_h * out_w; p += pixels) {
            const int32_t oy = p / out_w;
            const int32_t ox = p - oy * out_w;
            pixels = (p + 1 < out_h * out_w && taps4 > 0 && patch_elements == 2 * padded_taps) ? 2 : 1;
            gather_patch(&g, image, oy * g.stride_h - g.pad_h, ox * g.stride_w - g.pad_w, patch, 0, pixels);
            if (pixels == 2) {
                int8_t *out_b = output + out_c;
                const int32_t oy_b = ox + 1 < out_w ? oy : oy + 1;
                const int32_t ox_b = ox + 1 < out_w ? ox + 1 : 0;
                gather_patch(&g, image, oy_b * g.stride_h - g.pad_h, ox_b * g.stride_w - g.pad_w, patch, 1, 2);
                for (oc = 0; oc + 2 <= out_c; oc += 2) {
                    const int8_t *f0 = filter + oc * taps;
                    const int8_t *f1 = f0 + taps;
                    /* |acc| <= taps * 255 * 128 before the bias; int32 for taps < 65793, as in src/. */
                    int32_t acc[4];
                    dot_2x2(patch, f0, f1, taps4, acc);
                    for (k = taps4; k < taps; ++k) {
                        const int32_t xa = patch[patch_slot(k, 0, 2)];
                        const int32_t xb = patch[patch_slot(k, 1, 2)];
                        acc[0] += xa * f0[k];
                        acc[1] += xa * f1[k];
                        acc[2] += xb * f0[k];
                        acc[3] += xb * f1[k];
                    }
                    mf_arm_output2(&stage, oc, acc[0], acc[2], output + oc, out_b + oc);
                    mf_arm_output2(&stage, oc + 1, acc[1], acc[3], output + oc + 1, out_b + oc + 1);
                }
                if (oc < out_c) {
                    const int8_t *f0 = filter + oc * taps;
                    output[oc] = mf_arm_output(&stage, oc, dot_1(patch, 0, 2, f0, taps));
                    out_b[oc] = mf_arm_output(&stage, oc, dot_1(patch, 1, 2, f0, taps));
                }
            } else {
                for (oc = 0; oc < out_c; ++oc) {
                    output[oc] = mf_arm_output(&stage, oc, dot_1(patch, 0, 1, filter + oc * taps, taps));
                }
            }
            output += pixels * out_c;
        }
    }
    return MF_OK;
}

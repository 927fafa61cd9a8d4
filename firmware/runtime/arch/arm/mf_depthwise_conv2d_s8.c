/* Moteforge runtime, Arm DSP variant: DEPTHWISE_CONV_2D int8, compiled instead of src/ when MF_USE_ARM_DSP
 * is set. With depth multiplier 1 (the common case) four channels are computed together: one word of
 * input and one of filter per tap, widened to int16 pairs, and the halfword multiply-accumulates SMLABB and
 * SMLATT keep each channel's sum apart. Other multipliers use the portable kernel. Bit-exact with src/. */
#include "mf_kernels.h"

#include "mf_arm_simd.h"

/* The portable kernel under another name, for depth multipliers other than 1 (see mf_conv2d_s8.c). */
mf_status mf_portable_depthwise_conv2d_s8(const mf_conv_params *params, const mf_quant *quant,
                                          const mf_dims *input_dims, const int8_t *input,
                                          const mf_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                          const mf_dims *output_dims, int8_t *output);
#define mf_depthwise_conv2d_s8 mf_portable_depthwise_conv2d_s8
#include "../../src/mf_depthwise_conv2d_s8.c"
#undef mf_depthwise_conv2d_s8

/* A window of depthwise taps for four channels: acc_k = sum (x_k + offset) * w_k over `rows` rows of
 * `cols` >= 1 taps. Input and filter advance by `step` bytes per tap (depth multiplier 1, no horizontal
 * dilation) and by in_row_step / f_row_step per row. The tap loop is spelled out for the same reason as
 * the other spelled-out loops: in C, GCC spills the loop pointers at -Os and a tap costs 36 instructions. Register
 * pressure is what limits it, so the filter is addressed relative to the input pointer and each word is
 * loaded twice (once per pair) instead of being kept: 16 instructions per tap in 11 registers. Out of line:
 * inlined into the kernel, no core has enough registers left for it. */
static __attribute__((noinline)) void depthwise4_window(const int8_t *in, const int8_t *filter, int32_t rows,
                                                        int32_t cols, int32_t in_row_step, int32_t f_row_step,
                                                        int32_t step, int32_t offset_pair, int32_t acc[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t row;
    for (row = 0; row < rows; ++row) {
        /* Integer difference: the two pointers address different arrays. */
        const int32_t filter_minus_in = (int32_t)((uintptr_t)filter - (uintptr_t)in);
        const int8_t *tap = in;
        const int8_t *const end = in + cols * step;
        int32_t x, w;
        __asm__("1:\n\t"
                "ldr %[x], [%[in]]\n\t"
                "ldr %[w], [%[in], %[fd]]\n\t"
                "sxtab16 %[x], %[off], %[x]\n\t"
                "sxtb16 %[w], %[w]\n\t"
                "smlabb %[a0], %[x], %[w], %[a0]\n\t"
                "smlatt %[a2], %[x], %[w], %[a2]\n\t"
                "ldr %[x], [%[in]]\n\t"
                "ldr %[w], [%[in], %[fd]]\n\t"
                "sxtab16 %[x], %[off], %[x], ror #8\n\t"
                "sxtb16 %[w], %[w], ror #8\n\t"
                "smlabb %[a1], %[x], %[w], %[a1]\n\t"
                "smlatt %[a3], %[x], %[w], %[a3]\n\t"
                "add %[in], %[in], %[step]\n\t"
                "cmp %[in], %[end]\n\t"
                "bne 1b"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [in] "+r"(tap), [x] "=&r"(x),
                  [w] "=&r"(w)
                : [fd] "r"(filter_minus_in), [step] "r"(step), [end] "r"(end), [off] "r"(offset_pair)
                : "cc", "memory");
        in += in_row_step;
        filter += f_row_step;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
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
    int32_t channels, channels4, offset_pair, row_step, col_step, filter_row_step;
    int32_t batches, in_h, in_w, out_h, out_w, k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, input_offset;
    mf_arm_output_stage stage;
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
    /* Everything read in the loops is copied to locals: output stores are char stores, which may alias
     * the parameter structs as far as the compiler knows, and would force reloads after every byte. */
    batches = input_dims->n;
    in_h = input_dims->h;
    in_w = input_dims->w;
    out_h = output_dims->h;
    out_w = output_dims->w;
    k_h = filter_dims->h;
    k_w = filter_dims->w;
    stride_h = params->stride_h;
    stride_w = params->stride_w;
    dil_h = params->dilation_h;
    dil_w = params->dilation_w;
    pad_h = params->pad_h;
    pad_w = params->pad_w;
    input_offset = params->input_offset;
    stage.multiplier = quant->multiplier;
    stage.shift = quant->shift;
    stage.bias = bias;
    stage.channel_step = quant->per_channel ? 1 : 0;
    stage.output_offset = params->output_offset;
    stage.act_min = params->act_min;
    stage.act_max = params->act_max;
    channels4 = channels & ~3;
    offset_pair = mf_arm_offset_pair(input_offset);
    /* Input steps between taps; tensors on these targets are far below 2 GiB, so int32 offsets suffice. */
    row_step = dil_h * in_w * channels;
    col_step = dil_w * channels;
    filter_row_step = k_w * channels;
    for (b = 0; b < batches; ++b) {
        const int8_t *image = input + b * in_h * in_w * channels;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t in_y0 = oy * stride_h - pad_h;
            int32_t ky_lo, ky_hi;
            valid_taps(in_y0, dil_h, k_h, in_h, &ky_lo, &ky_hi);
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t in_x0 = ox * stride_w - pad_w;
                int32_t kx_lo, kx_hi;
                const int8_t *in_origin;
                const int8_t *f_origin;
                valid_taps(in_x0, dil_w, k_w, in_w, &kx_lo, &kx_hi);
                /* The first valid tap, for input and filter; the rest follow by fixed steps. With no valid
                 * tap (output wholly in the padding) the loops below do not run: point at the tensors. */
                in_origin = image;
                f_origin = filter;
                if (ky_lo < ky_hi && kx_lo < kx_hi) {
                    in_origin += ((in_y0 + ky_lo * dil_h) * in_w + in_x0 + kx_lo * dil_w) * channels;
                    f_origin += (ky_lo * k_w + kx_lo) * channels;
                }
                for (c = 0; c < channels4; c += 4) {
                    /* Per channel |acc| <= KH * KW * 255 * 128 plus the bias, as in src/. */
                    int32_t acc[4];
                    if (dil_w == 1 && kx_hi > kx_lo) {
                        depthwise4_window(in_origin + c, f_origin + c, ky_hi - ky_lo, kx_hi - kx_lo, row_step,
                                          filter_row_step, channels, offset_pair, acc);
                    } else {
                        const int8_t *in_row = in_origin + c;
                        const int8_t *f_row = f_origin + c;
                        acc[0] = acc[1] = acc[2] = acc[3] = 0;
                        for (ky = ky_lo; ky < ky_hi; ++ky) {
                            const int8_t *in_tap = in_row;
                            const int8_t *f_tap = f_row;
                            for (kx = kx_lo; kx < kx_hi; ++kx) {
                                const uint32_t x = mf_arm_load4(in_tap);
                                const uint32_t w = mf_arm_load4(f_tap);
                                const int32_t x_even = mf_arm_even_plus(x, offset_pair); /* channels c, c + 2 */
                                const int32_t x_odd = mf_arm_odd_plus(x, offset_pair); /* channels c + 1, c + 3 */
                                acc[0] = __smlabb(x_even, mf_arm_even(w), acc[0]);
                                acc[2] = __smlatt(x_even, mf_arm_even(w), acc[2]);
                                acc[1] = __smlabb(x_odd, mf_arm_odd(w), acc[1]);
                                acc[3] = __smlatt(x_odd, mf_arm_odd(w), acc[3]);
                                in_tap += col_step;
                                f_tap += channels;
                            }
                            in_row += row_step;
                            f_row += filter_row_step;
                        }
                    }
                    output[c] = mf_arm_output(&stage, c, acc[0]);
                    output[c + 1] = mf_arm_output(&stage, c + 1, acc[1]);
                    output[c + 2] = mf_arm_output(&stage, c + 2, acc[2]);
                    output[c + 3] = mf_arm_output(&stage, c + 3, acc[3]);
                }
                for (; c < channels; ++c) {
                    int32_t acc = 0;
                    const int8_t *in_row = in_origin + c;
                    const int8_t *f_row = f_origin + c;
                    for (ky = ky_lo; ky < ky_hi; ++ky) {
                        for (kx = 0; kx < kx_hi - kx_lo; ++kx) {
                            acc += (in_row[kx * col_step] + input_offset) * f_row[kx * channels];
                        }
                        in_row += row_step;
                        f_row += filter_row_step;
                    }
                    output[c] = mf_arm_output(&stage, c, acc);
                }
                output += channels;
            }
        }
    }
    return MF_OK;
}

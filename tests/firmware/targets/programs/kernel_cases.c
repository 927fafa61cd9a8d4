/* Test glue that runs a batch of kernel cases described in the input bytes, so the same cases can be run
 * through portable and Arm-optimized builds and compared byte for byte. Layout (little-endian):
 *   int32 case_count, then per case: int32 header[CASE_HEADER_WORDS] (see the enum), int32 multiplier[nq],
 *   int32 shift[nq], int32 bias[out_c] (if has_bias), int8 input[...], int8 filter[...], each part padded
 *   to 4 bytes. Output per case: int32 status, then the output tensor padded to 4 bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mf_harness.h"
#include "mf_kernels.h"

enum {
    H_KIND, /* 0 conv2d, 1 depthwise, 2 fully connected */
    H_IN_N,
    H_IN_H,
    H_IN_W,
    H_IN_C,
    H_F_N,
    H_F_H,
    H_F_W,
    H_F_C,
    H_OUT_H,
    H_OUT_W,
    H_OUT_C,
    H_STRIDE_H,
    H_STRIDE_W,
    H_DIL_H,
    H_DIL_W,
    H_PAD_H,
    H_PAD_W,
    H_DEPTH_MULT,
    H_IN_OFFSET,
    H_OUT_OFFSET,
    H_ACT_MIN,
    H_ACT_MAX,
    H_PER_CHANNEL,
    H_HAS_BIAS,
    CASE_HEADER_WORDS
};

#define MAX_VALUES 8192

static int32_t header[CASE_HEADER_WORDS];
static int32_t multipliers[1024];
static int32_t shifts[1024];
static int32_t biases[1024];
static int8_t tensor_in[MAX_VALUES] MF_ALIGN(4);
static int8_t tensor_filter[MAX_VALUES] MF_ALIGN(4);
static int8_t tensor_out[MAX_VALUES] MF_ALIGN(4);

static size_t padded(size_t n) { return (n + 3u) & ~(size_t)3u; }

/* Copy n bytes from the input cursor; 0 when the input is too short or the destination too small. */
static int take(const uint8_t **cursor, const uint8_t *end, void *dst, size_t n, size_t cap) {
    if (n > cap || (size_t)(end - *cursor) < padded(n)) {
        return 0;
    }
    memcpy(dst, *cursor, n);
    *cursor += padded(n);
    return 1;
}

static int32_t volume(int32_t a, int32_t b, int32_t c, int32_t d) { return a * b * c * d; }

int mf_harness_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len) {
    const uint8_t *cursor = in;
    const uint8_t *end = in + in_len;
    int32_t count, i;
    size_t written = 0;
    if (!take(&cursor, end, &count, sizeof count, sizeof count)) {
        return 20;
    }
    for (i = 0; i < count; ++i) {
        mf_dims in_dims, f_dims, out_dims;
        mf_conv_params conv;
        mf_fc_params fc;
        mf_quant quant;
        int32_t nq, in_size, f_size, out_size, status;
        if (!take(&cursor, end, header, sizeof header, sizeof header)) {
            return 21;
        }
        in_dims.n = header[H_IN_N];
        in_dims.h = header[H_IN_H];
        in_dims.w = header[H_IN_W];
        in_dims.c = header[H_IN_C];
        f_dims.n = header[H_F_N];
        f_dims.h = header[H_F_H];
        f_dims.w = header[H_F_W];
        f_dims.c = header[H_F_C];
        out_dims.n = header[H_IN_N];
        out_dims.h = header[H_OUT_H];
        out_dims.w = header[H_OUT_W];
        out_dims.c = header[H_OUT_C];
        nq = header[H_PER_CHANNEL] ? out_dims.c : 1;
        in_size = volume(in_dims.n, in_dims.h, in_dims.w, in_dims.c);
        f_size = volume(f_dims.n, f_dims.h, f_dims.w, f_dims.c);
        out_size = volume(out_dims.n, out_dims.h, out_dims.w, out_dims.c);
        if (!take(&cursor, end, multipliers, (size_t)nq * 4, sizeof multipliers) ||
            !take(&cursor, end, shifts, (size_t)nq * 4, sizeof shifts) ||
            (header[H_HAS_BIAS] && !take(&cursor, end, biases, (size_t)out_dims.c * 4, sizeof biases)) ||
            !take(&cursor, end, tensor_in, (size_t)in_size, sizeof tensor_in) ||
            !take(&cursor, end, tensor_filter, (size_t)f_size, sizeof tensor_filter) ||
            out_size > MAX_VALUES) {
            return 22;
        }
        quant.multiplier = multipliers;
        quant.shift = shifts;
        quant.per_channel = header[H_PER_CHANNEL];
        conv.input_offset = header[H_IN_OFFSET];
        conv.output_offset = header[H_OUT_OFFSET];
        conv.stride_h = header[H_STRIDE_H];
        conv.stride_w = header[H_STRIDE_W];
        conv.dilation_h = header[H_DIL_H];
        conv.dilation_w = header[H_DIL_W];
        conv.pad_h = header[H_PAD_H];
        conv.pad_w = header[H_PAD_W];
        conv.depth_multiplier = header[H_DEPTH_MULT];
        conv.act_min = header[H_ACT_MIN];
        conv.act_max = header[H_ACT_MAX];
        fc.output_offset = header[H_OUT_OFFSET];
        fc.act_min = header[H_ACT_MIN];
        fc.act_max = header[H_ACT_MAX];
        memset(tensor_out, 0x55, (size_t)out_size);
        {
            const int32_t *bias = header[H_HAS_BIAS] ? biases : 0;
            if (header[H_KIND] == 0) {
                status = mf_conv2d_s8(&conv, &quant, &in_dims, tensor_in, &f_dims, tensor_filter, bias, &out_dims,
                                      tensor_out);
            } else if (header[H_KIND] == 1) {
                status = mf_depthwise_conv2d_s8(&conv, &quant, &in_dims, tensor_in, &f_dims, tensor_filter, bias,
                                                &out_dims, tensor_out);
            } else {
                status = mf_fully_connected_s8(&fc, &quant, &in_dims, tensor_in, &f_dims, tensor_filter, bias,
                                               &out_dims, tensor_out);
            }
        }
        if (written + 4 + padded((size_t)out_size) > out_cap) {
            return 23;
        }
        memcpy(out + written, &status, 4);
        memcpy(out + written + 4, tensor_out, (size_t)out_size);
        memset(out + written + 4 + out_size, 0, padded((size_t)out_size) - (size_t)out_size);
        written += 4 + padded((size_t)out_size);
    }
    *out_len = written;
    return 0;
}

/* Moteforge runtime: shared types, status codes and parameter structs for the int8 kernels.
 * Every field below is filled by the compiler ahead of time (the compiler is Prepare, the
 * device is Eval), so kernels never compute scales or allocate. */
#ifndef MF_TYPES_H
#define MF_TYPES_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define MF_ALIGN(n) __attribute__((aligned(n)))
#else
#define MF_ALIGN(n)
#endif

/* Status returned by every kernel and by <prefix>invoke(); checked at entry, never asserted. */
typedef enum {
    MF_OK = 0,
    MF_ERR_NULL = 1,  /* a required pointer was NULL */
    MF_ERR_SHAPE = 2, /* dimensions are inconsistent with each other */
    MF_ERR_PARAM = 3  /* a parameter is out of its documented range */
} mf_status;

/* Tensor dimensions in NHWC order; unused leading dimensions are 1. All >= 1. */
typedef struct {
    int32_t n; /* batch (always 1 in generated models) */
    int32_t h; /* height (rows) */
    int32_t w; /* width (columns) */
    int32_t c; /* channels, the innermost and contiguous dimension */
} mf_dims;

/* Fixed-point requantization, per output channel or per tensor.
 * real_scale = multiplier * 2^(shift - 31); multiplier in [2^30, 2^31 - 1] (or 0), shift in [-31, 30]. */
typedef struct {
    const int32_t *multiplier; /* one entry per output channel, or a single entry */
    const int32_t *shift;      /* same length as multiplier; > 0 shifts left, < 0 right */
    int32_t per_channel;       /* 1: index by output channel; 0: entry 0 applies to all */
} mf_quant;

/* CONV_2D and DEPTHWISE_CONV_2D. */
typedef struct {
    int32_t input_offset;  /* minus the input zero point, in [-127, 128] */
    int32_t output_offset; /* the output zero point, in [-128, 127] */
    int32_t stride_h, stride_w;     /* >= 1 */
    int32_t dilation_h, dilation_w; /* >= 1 */
    int32_t pad_h, pad_w;  /* rows/columns of implicit zero-point padding before the input, >= 0 */
    int32_t depth_multiplier; /* depthwise only: output channels per input channel, >= 1 */
    int32_t act_min, act_max; /* fused activation clamp, -128 <= act_min <= act_max <= 127 */
} mf_conv_params;

/* FULLY_CONNECTED. The compiler folds input_offset * sum(filter row) into the bias. */
typedef struct {
    int32_t output_offset;    /* the output zero point */
    int32_t act_min, act_max; /* fused activation clamp */
} mf_fc_params;

/* MAX_POOL_2D and AVERAGE_POOL_2D (same scale and zero point in and out). */
typedef struct {
    int32_t stride_h, stride_w; /* >= 1 */
    int32_t filter_h, filter_w; /* window size, >= 1 */
    int32_t pad_h, pad_w;       /* window origin offset; padded cells are skipped, not counted */
    int32_t act_min, act_max;   /* fused activation clamp */
} mf_pool_params;

/* ADD and MUL over up to 4 dimensions with broadcasting: a stride of 0 repeats an input. */
typedef struct {
    int32_t out_dims[4];   /* output shape, outermost first */
    int32_t in1_stride[4]; /* element step of input 1 per output index step, 0 when broadcast */
    int32_t in2_stride[4];
    int32_t input1_offset, input2_offset; /* minus the input zero points */
    int32_t output_offset;                /* the output zero point */
    int32_t left_shift;                   /* ADD only: headroom shift before rescaling (20) */
    int32_t input1_multiplier, input1_shift; /* ADD only: input rescale to the common scale */
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift; /* final requantization */
    int32_t act_min, act_max;
} mf_elementwise_params;

/* SOFTMAX (int8 in, int8 out with scale 1/256 and zero point -128). */
typedef struct {
    int32_t rows;             /* product of all but the last dimension */
    int32_t depth;            /* size of the last dimension, the one normalised */
    int32_t input_multiplier; /* beta * input_scale in Q5.26, as multiplier ... */
    int32_t input_left_shift; /* ... and left shift, >= 0 */
    int32_t diff_min;         /* inputs further than this below the row maximum give exp() == 0 */
} mf_softmax_params;

/* LOGISTIC and TANH: the input is rescaled to Q4.27 then the fixed-point function applies. */
typedef struct {
    int32_t size;              /* number of elements */
    int32_t input_zero_point;
    int32_t input_range_radius; /* |input - zero point| at or beyond this saturates the output */
    int32_t input_multiplier;
    int32_t input_left_shift;
} mf_activation_params;

/* QUANTIZE (int8 to int8) and standalone RELU: requantize then clamp. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} mf_requantize_params;

/* MEAN over any subset of 4 dimensions: the exact integer sum, minus count * zero point, is
 * requantized once; the multiplier already includes the division by count. */
typedef struct {
    int32_t in_dims[4];        /* input shape, outermost first */
    int32_t reduce[4];         /* 1 where the dimension is averaged away */
    int32_t count;             /* number of elements averaged per output, >= 1 */
    int32_t input_zero_point;
    int32_t multiplier, shift; /* input_scale / (count * output_scale) */
    int32_t output_zero_point;
} mf_mean_params;

/* CONCATENATION of tensors with identical quantization: a copy of slices. */
typedef struct {
    int32_t outer;              /* product of the dimensions before the axis */
    int32_t num_inputs;         /* >= 1 */
    const int32_t *inner_sizes; /* per input: product of its dimensions from the axis on */
} mf_concat_params;

/* PAD with the zero point (4 dimensions, outermost first). */
typedef struct {
    int32_t in_dims[4];
    int32_t before[4]; /* elements added before each dimension */
    int32_t after[4];  /* elements added after each dimension */
    int32_t pad_value; /* the output zero point */
} mf_pad_params;

#endif /* MF_TYPES_H */

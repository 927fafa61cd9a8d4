/* Moteforge runtime: the public int8 kernels. Argument order is fixed across kernels:
 * params, quantization, input dims, input, filter dims, filter, bias, output dims, output.
 *
 * Arm-optimized variants live under runtime/arch/ and are compiled instead of the portable file
 * when MF_USE_ARM_DSP is defined; they keep these exact signatures and results (see docs). */
#ifndef MF_KERNELS_H
#define MF_KERNELS_H

#include "mf_types.h"

mf_status mf_conv2d_s8(const mf_conv_params *params, const mf_quant *quant, const mf_dims *input_dims,
                       const int8_t *input, const mf_dims *filter_dims, const int8_t *filter,
                       const int32_t *bias, const mf_dims *output_dims, int8_t *output);

mf_status mf_depthwise_conv2d_s8(const mf_conv_params *params, const mf_quant *quant,
                                 const mf_dims *input_dims, const int8_t *input, const mf_dims *filter_dims,
                                 const int8_t *filter, const int32_t *bias, const mf_dims *output_dims,
                                 int8_t *output);

/* filter_dims: n = output units, c = depth; bias must already contain input_offset * sum(row). */
mf_status mf_fully_connected_s8(const mf_fc_params *params, const mf_quant *quant, const mf_dims *input_dims,
                                const int8_t *input, const mf_dims *filter_dims, const int8_t *filter,
                                const int32_t *bias, const mf_dims *output_dims, int8_t *output);

mf_status mf_max_pool2d_s8(const mf_pool_params *params, const mf_dims *input_dims, const int8_t *input,
                           const mf_dims *output_dims, int8_t *output);

mf_status mf_avg_pool2d_s8(const mf_pool_params *params, const mf_dims *input_dims, const int8_t *input,
                           const mf_dims *output_dims, int8_t *output);

/* Element-wise kernels may run in place (output == an input of the output's shape). */
mf_status mf_add_s8(const mf_elementwise_params *params, const int8_t *input1, const int8_t *input2,
                    int8_t *output);

mf_status mf_mul_s8(const mf_elementwise_params *params, const int8_t *input1, const int8_t *input2,
                    int8_t *output);

mf_status mf_softmax_s8(const mf_softmax_params *params, const int8_t *input, int8_t *output);

mf_status mf_logistic_s8(const mf_activation_params *params, const int8_t *input, int8_t *output);

mf_status mf_tanh_s8(const mf_activation_params *params, const int8_t *input, int8_t *output);

mf_status mf_requantize_s8(const mf_requantize_params *params, const int8_t *input, int8_t *output);

mf_status mf_mean_s8(const mf_mean_params *params, const int8_t *input, int8_t *output);

mf_status mf_concat_s8(const mf_concat_params *params, const int8_t *const *inputs, int8_t *output);

mf_status mf_pad_s8(const mf_pad_params *params, const int8_t *input, int8_t *output);

/* Band-by-band fusion: move band[drop_bytes .. drop_bytes + keep_bytes) to the start of the band. */
mf_status mf_band_shift_s8(int8_t *band, int32_t drop_bytes, int32_t keep_bytes);

/* Copy bytes between buffers that do not overlap. */
mf_status mf_copy_s8(const int8_t *src, int8_t *dst, int32_t bytes);

#endif /* MF_KERNELS_H */

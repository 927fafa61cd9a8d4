/* Test-only shim: exports the runtime's inline fixed-point primitives so Python can call them. */
#include "mf_fixedpoint.h"

int32_t shim_srdhm(int32_t a, int32_t b) { return mf_sat_rounding_doubling_high_mul(a, b); }
int32_t shim_rdbpot(int32_t x, int32_t e) { return mf_rounding_divide_by_pot(x, e); }
int32_t shim_mbqm(int32_t x, int32_t m, int32_t s) { return mf_multiply_by_quantized_multiplier(x, m, s); }
int32_t shim_exp(int32_t a, int32_t bits) { return mf_exp_on_negative_values(a, bits); }
int32_t shim_recip(int32_t x) { return mf_one_over_one_plus_x(x); }
int32_t shim_tanh_core(int32_t x) { return mf_one_minus_x_over_one_plus_x(x); }

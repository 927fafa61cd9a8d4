/* Moteforge target harness interface: what model glue provides and what the harness offers.
 * The harness owns I/O (files over semihosting, WASI or the host OS); the glue only transforms bytes. */
#ifndef MF_HARNESS_H
#define MF_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes shared by harness and glue; anything non-zero is a failure and becomes the exit code. */
#define MF_HARNESS_OK 0
#define MF_HARNESS_ERR_INPUT 2  /* input file missing, unreadable or larger than MF_HARNESS_IN_CAP */
#define MF_HARNESS_ERR_OUTPUT 3 /* output file could not be written */
#define MF_HARNESS_ERR_FAULT 4  /* a CPU fault handler ran (bare-metal targets only) */
#define MF_HARNESS_ERR_STACK 5  /* the invoke used the whole stack region: it overflowed (bare-metal only) */

/* Provided by the model glue: consume in[0..in_len), write at most out_cap bytes to out and their count to
 * *out_len. Returns MF_HARNESS_OK or a glue-defined non-zero status (reported as the exit code). */
int mf_harness_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* Marker functions called right before and right after mf_harness_invoke. They are never inlined so that
 * their entry addresses exist in the symbol table; an instruction-counting emulator plugin counts what runs
 * between the two entries. */
void mf_bench_begin(void);
void mf_bench_end(void);

#ifdef __cplusplus
}
#endif

#endif /* MF_HARNESS_H */

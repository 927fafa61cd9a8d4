/* Test glue for the target harness: a deterministic integer workload plus switches (defines) that make the
 * invoke execute an exact number of extra instructions, use a known amount of stack, fault, or fail. */
#include <stddef.h>
#include <stdint.h>

#include "mf_harness.h"

#ifndef PROBE_NOPS
#define PROBE_NOPS 0
#endif
#ifndef PROBE_STACK_BYTES
#define PROBE_STACK_BYTES 0
#endif
#ifndef PROBE_STATUS
#define PROBE_STATUS 0
#endif

#define PROBE_STR2(x) #x
#define PROBE_STR(x) PROBE_STR2(x)

/* A table in .rodata, kept only when PROBE_TABLE is defined, to check that sizes attribute it to the app. */
#ifdef PROBE_TABLE
static const uint8_t probe_table[PROBE_TABLE] = {1, 2, 3};
#endif

/* Never referenced: --gc-sections must drop it, so app sizes must not include its 4 KiB. */
const uint8_t probe_unused_table[4096] = {7};
int probe_unused_function(int x);
int probe_unused_function(int x) { return x * 3 + (int)probe_unused_table[x & 4095]; }

#if PROBE_NOPS > 0
/* Out of line so the nops never sit between a short (Thumb-1) branch and its target. */
__attribute__((noinline)) static void probe_nops(void) {
    __asm__ volatile(".rept " PROBE_STR(PROBE_NOPS) "\n\tnop\n\t.endr" ::: "memory");
}
#endif

#if PROBE_STACK_BYTES > 0
__attribute__((noinline)) static uint32_t probe_use_stack(const uint8_t *in, size_t in_len) {
    volatile uint8_t buffer[PROBE_STACK_BYTES];
    for (size_t i = 0; i < sizeof buffer; ++i) {
        buffer[i] = (uint8_t)(in_len > 0 ? in[i % in_len] : i);
    }
    return buffer[0] + buffer[sizeof buffer - 1];
}
#endif

int mf_harness_invoke(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len) {
    if (out_cap < 8) {
        return 1;
    }
    /* Signed int8 dot product of the two halves; |sum| <= 128 * 128 * (in_len / 2) fits int32 for inputs
     * below 256 KiB. */
    const int8_t *a = (const int8_t *)in;
    size_t half = in_len / 2;
    int32_t dot = 0;
    for (size_t i = 0; i < half; ++i) {
        dot += (int32_t)a[i] * (int32_t)a[half + i];
    }
    /* FNV-1a over all bytes: any difference in reading the input changes it. */
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < in_len; ++i) {
        hash = (hash ^ in[i]) * 16777619u;
    }
#if PROBE_STACK_BYTES > 0
    hash ^= probe_use_stack(in, in_len);
#endif
#ifdef PROBE_TABLE
    hash ^= probe_table[in_len % PROBE_TABLE];
#endif
#if PROBE_NOPS > 0
    probe_nops();
#endif
#ifdef PROBE_TRAP
    if (in_len > 0) {
        __builtin_trap();
    }
#endif
    for (int byte = 0; byte < 4; ++byte) {
        out[byte] = (uint8_t)((uint32_t)dot >> (8 * byte));
        out[4 + byte] = (uint8_t)(hash >> (8 * byte));
    }
    *out_len = 8;
    return PROBE_STATUS;
}

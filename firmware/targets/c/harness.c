/* Moteforge run harness: reads the input bytes, calls the model glue once between two marker functions and
 * writes the output bytes, so every target (semihosted MCU, Linux user mode, WASI, host) runs the same main.
 * Files: argv[1]/argv[2] where the platform passes arguments, else MF_HARNESS_IN_PATH/MF_HARNESS_OUT_PATH
 * relative to the emulator's working directory. Reports on stdout lines "MF_STATUS n" and, on bare-metal
 * targets, "MF_STACK n" (bytes of stack used by the invoke, from a painted stack; status 5 when the whole
 * stack region was used, i.e. it overflowed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mf_harness.h"

#ifndef MF_HARNESS_IN_CAP
#define MF_HARNESS_IN_CAP 4096
#endif
#ifndef MF_HARNESS_OUT_CAP
#define MF_HARNESS_OUT_CAP 4096
#endif
#ifndef MF_HARNESS_IN_PATH
#define MF_HARNESS_IN_PATH "mf_input.bin"
#endif
#ifndef MF_HARNESS_OUT_PATH
#define MF_HARNESS_OUT_PATH "mf_output.bin"
#endif

/* Word-aligned so glue may read int32 data in place. */
static uint32_t in_words[(MF_HARNESS_IN_CAP + 3) / 4];
static uint32_t out_words[(MF_HARNESS_OUT_CAP + 3) / 4];

/* The empty asm keeps the compiler from merging or dropping the markers even at -O3 with LTO. */
__attribute__((noinline)) void mf_bench_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void mf_bench_end(void) { __asm__ volatile("" ::: "memory"); }

#ifdef MF_STACK_PROBE
/* Bare-metal only: the linker script places the stack in [__mf_stack_limit, __mf_stack_top). */
extern uint32_t __mf_stack_limit[];
#define MF_STACK_PAINT 0xA5C3E1F0u

static inline __attribute__((always_inline)) uintptr_t mf_current_sp(void) {
    uintptr_t sp;
#if defined(__arm__)
    __asm__ volatile("mov %0, sp" : "=r"(sp));
#elif defined(__riscv)
    __asm__ volatile("mv %0, sp" : "=r"(sp));
#else
#error "MF_STACK_PROBE needs a stack-pointer read for this architecture"
#endif
    return sp;
}
#endif

static int read_input(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return MF_HARNESS_ERR_INPUT;
    }
    size_t n = fread(in_words, 1, MF_HARNESS_IN_CAP, f);
    /* One more byte readable means the input did not fit: refuse rather than truncate silently. */
    int extra = fgetc(f);
    fclose(f);
    if (extra != EOF) {
        return MF_HARNESS_ERR_INPUT;
    }
    *len = n;
    return MF_HARNESS_OK;
}

static int write_output(const char *path, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return MF_HARNESS_ERR_OUTPUT;
    }
    size_t n = fwrite(out_words, 1, len, f);
    int closed = fclose(f);
    return (n == len && closed == 0) ? MF_HARNESS_OK : MF_HARNESS_ERR_OUTPUT;
}

int main(int argc, char **argv) {
    const char *in_path = (argc > 1 && argv != NULL) ? argv[1] : MF_HARNESS_IN_PATH;
    const char *out_path = (argc > 2 && argv != NULL) ? argv[2] : MF_HARNESS_OUT_PATH;
    size_t in_len = 0;
    size_t out_len = 0;

    int status = read_input(in_path, &in_len);
    if (status == MF_HARNESS_OK) {
#ifdef MF_STACK_PROBE
        /* Paint everything below this frame; the invoke's high-water mark is the lowest overwritten word. */
        uintptr_t top = mf_current_sp();
        for (volatile uint32_t *p = __mf_stack_limit; (uintptr_t)p < top; ++p) {
            *p = MF_STACK_PAINT;
        }
#endif
        mf_bench_begin();
        status = mf_harness_invoke((const uint8_t *)in_words, in_len, (uint8_t *)out_words,
                                   MF_HARNESS_OUT_CAP, &out_len);
        mf_bench_end();
#ifdef MF_STACK_PROBE
        const volatile uint32_t *low = __mf_stack_limit;
        while ((uintptr_t)low < top && *low == MF_STACK_PAINT) {
            ++low;
        }
        printf("MF_STACK %lu\n", (unsigned long)(top - (uintptr_t)low));
        /* Even the lowest word was overwritten: the invoke ran past the region, into the heap. */
        if (low == __mf_stack_limit && status == MF_HARNESS_OK) {
            status = MF_HARNESS_ERR_STACK;
        }
#endif
        if (status == MF_HARNESS_OK && out_len > MF_HARNESS_OUT_CAP) {
            status = MF_HARNESS_ERR_OUTPUT;
        }
    }
    if (status == MF_HARNESS_OK) {
        status = write_output(out_path, out_len);
    }
    printf("MF_STATUS %d\n", status);
    fflush(stdout);
    return status;
}

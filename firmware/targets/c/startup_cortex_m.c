/* Cortex-M startup for Moteforge's QEMU targets: vector table, reset handler (copy .data, zero .bss, enable
 * the FPU on F cores, start semihosting) and a heap bounded by the linker script so that malloc can never
 * grow into the stack region the harness paints. Works for ARMv6-M, ARMv7-M and ARMv8-M mainline. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mf_harness.h"

/* Symbols from cortex_m.ld. */
extern uint32_t __mf_data_load[];
extern uint32_t __mf_data_start[];
extern uint32_t __mf_data_end[];
extern uint32_t __mf_bss_start[];
extern uint32_t __mf_bss_end[];
extern uint32_t __mf_heap_start[];
extern uint32_t __mf_heap_end[];
extern uint32_t __mf_stack_top[];

extern void initialise_monitor_handles(void);
extern int main(int argc, char **argv);

void mf_reset_handler(void);
void mf_fault_handler(void);

__attribute__((noreturn)) void mf_reset_handler(void) {
    /* Word copies: the linker script aligns all four boundaries to 4 bytes. */
    const uint32_t *src = __mf_data_load;
    for (uint32_t *dst = __mf_data_start; dst < __mf_data_end; ++dst, ++src) {
        *dst = *src;
    }
    for (uint32_t *dst = __mf_bss_start; dst < __mf_bss_end; ++dst) {
        *dst = 0u;
    }
#if defined(__ARM_FP) && !defined(__SOFTFP__)
    /* CPACR: full access to CP10/CP11, otherwise the first float instruction faults (UsageFault/NOCP). */
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    initialise_monitor_handles();
    exit(main(0, NULL));
}

/* Any fault ends the run with a distinct status instead of hanging the emulator until its timeout. */
void mf_fault_handler(void) { _Exit(MF_HARNESS_ERR_FAULT); }

/* newlib's weak _sbrk bounds the heap by the current stack pointer; this one bounds it by the region the
 * linker script reserves, keeping the painted stack untouched by malloc. */
void *_sbrk(ptrdiff_t increment);
void *_sbrk(ptrdiff_t increment) {
    static uint8_t *brk = (uint8_t *)__mf_heap_start;
    uint8_t *old = brk;
    if (increment > (uint8_t *)__mf_heap_end - brk || increment < (uint8_t *)__mf_heap_start - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    brk += increment;
    return old;
}

/* With -nostartfiles there is no crti.o; newlib's exit() still runs __libc_fini_array, which calls _fini. */
void _fini(void);
void _fini(void) {}

typedef void (*mf_handler_t)(void);

/* Initial stack pointer, then the 15 system exceptions; no peripheral interrupts are enabled here. */
struct mf_vector_table {
    uint32_t *initial_sp;
    mf_handler_t system[15];
};

__attribute__((section(".vectors"), used)) const struct mf_vector_table mf_vectors = {
    __mf_stack_top,
    {
        mf_reset_handler, /* Reset */
        mf_fault_handler, /* NMI */
        mf_fault_handler, /* HardFault */
        mf_fault_handler, /* MemManage */
        mf_fault_handler, /* BusFault */
        mf_fault_handler, /* UsageFault */
        mf_fault_handler, /* SecureFault (ARMv8-M) */
        NULL,
        NULL,
        NULL,
        mf_fault_handler, /* SVCall */
        mf_fault_handler, /* DebugMonitor */
        NULL,
        mf_fault_handler, /* PendSV */
        mf_fault_handler, /* SysTick */
    },
};

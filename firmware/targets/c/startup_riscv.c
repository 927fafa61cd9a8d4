/* RV32 startup for Moteforge's QEMU `virt` target: sets stack and global pointers, copies .data, zeroes
 * .bss, installs a trap handler that ends the run, and calls main; I/O is picolibc's semihosting library. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mf_harness.h"

extern uint32_t __mf_data_load[];
extern uint32_t __mf_data_start[];
extern uint32_t __mf_data_end[];
extern uint32_t __mf_bss_start[];
extern uint32_t __mf_bss_end[];

extern int main(int argc, char **argv);

void mf_riscv_reset(void);
void mf_riscv_trap(void);

/* QEMU `virt` with -bios none starts executing at the first byte of RAM; the linker script puts this
 * section first. gp is loaded with relaxation off, otherwise the assembler would address gp through gp. */
__asm__(".section .text.mf_start, \"ax\"\n"
        ".globl _start\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "    la gp, __global_pointer$\n"
        ".option pop\n"
        "    la sp, __mf_stack_top\n"
        "    la t0, mf_riscv_trap\n"
        /* csrrw x0, mtvec, t0 spelled as a raw I-type so no Zicsr -march suffix (and multilib) is needed. */
        "    .insn i 0x73, 1, x0, t0, 0x305\n"
        "    call mf_riscv_reset\n"
        "1:  j 1b\n");

void mf_riscv_reset(void) {
    const uint32_t *src = __mf_data_load;
    for (uint32_t *dst = __mf_data_start; dst < __mf_data_end; ++dst, ++src) {
        *dst = *src;
    }
    for (uint32_t *dst = __mf_bss_start; dst < __mf_bss_end; ++dst) {
        *dst = 0u;
    }
    exit(main(0, NULL));
}

/* Any trap (illegal instruction, misaligned or faulting access) ends the run instead of looping until the
 * emulator's timeout. mtvec requires 4-byte alignment. */
__attribute__((interrupt("machine"), aligned(4))) void mf_riscv_trap(void) { _Exit(MF_HARNESS_ERR_FAULT); }

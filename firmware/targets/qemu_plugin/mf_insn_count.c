/* Moteforge instruction counter: a QEMU TCG plugin that reports how many guest instructions ran between the
 * entry of a "begin" marker function and the entry of an "end" marker function, plus the whole-run total.
 * Debian's QEMU accepts plugins but ships no headers, so the handful of API entry points used is declared
 * here (plugin API version 1, as in QEMU 7.x). Build: cc -shared -fPIC -O2 -o mf_insn_count.so this.c
 * Use: -plugin mf_insn_count.so,begin=0xADDR,end=0xADDR -d plugin -D log.txt
 * Output lines: "MF_INSNS <n>" each time the end marker is entered; "MF_INSNS_TOTAL <n>" at exit. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_info_t;

enum { MF_QEMU_PLUGIN_CB_NO_REGS = 0 };
enum { MF_QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

typedef void (*mf_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*mf_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*mf_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, mf_tb_trans_cb_t cb);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, int op, void *ptr,
                                                     uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, mf_vcpu_udata_cb_t cb,
                                                   int flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, mf_udata_cb_t cb, void *userdata);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* `executed` grows by a whole translation block when the block is entered (one inline add per block keeps
 * the overhead low). A marker callback therefore sees the rest of its own block already counted and
 * subtracts it: `pending` is the number of instructions from the marker to the block's end. */
static uint64_t executed;
static uint64_t begin_mark;
static uint64_t begin_addr = UINT64_MAX;
static uint64_t end_addr = UINT64_MAX;

static void on_begin(unsigned int vcpu_index, void *pending) {
    (void)vcpu_index;
    begin_mark = executed - (uint64_t)(uintptr_t)pending;
}

static void on_end(unsigned int vcpu_index, void *pending) {
    (void)vcpu_index;
    char line[64];
    uint64_t now = executed - (uint64_t)(uintptr_t)pending;
    snprintf(line, sizeof line, "MF_INSNS %" PRIu64 "\n", now - begin_mark);
    qemu_plugin_outs(line);
}

static void on_exit_report(qemu_plugin_id_t id, void *userdata) {
    (void)id;
    (void)userdata;
    char line[64];
    snprintf(line, sizeof line, "MF_INSNS_TOTAL %" PRIu64 "\n", executed);
    qemu_plugin_outs(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, MF_QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
    for (size_t i = 0; i < n; ++i) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
        void *pending = (void *)(uintptr_t)(n - i);
        if (vaddr == begin_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, MF_QEMU_PLUGIN_CB_NO_REGS, pending);
        }
        if (vaddr == end_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, MF_QEMU_PLUGIN_CB_NO_REGS, pending);
        }
    }
}

/* Thumb function symbols carry bit 0 set; instruction addresses never do, so drop it. */
static uint64_t parse_address(const char *text) { return strtoull(text, NULL, 0) & ~(uint64_t)1; }

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
                                                               int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; ++i) {
        if (strncmp(argv[i], "begin=", 6) == 0) {
            begin_addr = parse_address(argv[i] + 6);
        } else if (strncmp(argv[i], "end=", 4) == 0) {
            end_addr = parse_address(argv[i] + 4);
        } else {
            fprintf(stderr, "mf_insn_count: unknown argument '%s'\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_report, NULL);
    return 0;
}

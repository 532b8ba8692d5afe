/*
 * The KVM accelerator (proteus/kvm.h): the VM, its memory slots, the vCPU
 * run loop and the dispatch of its exits to the memory API.
 *
 * Kicking a vCPU: cpus.c calls cpu_exit() (exit_request) and then
 * kvm_cpu_kick(), which sets the run area's immediate_exit and sends the
 * thread SIG_KICK. Whichever comes first ends KVM_RUN with EINTR: a set
 * immediate_exit makes KVM_RUN return at once, and a signal arriving while
 * the vCPU is in the guest forces it out. The loop looks at exit_request
 * before every KVM_RUN, so a kick is never lost in between.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proteus/cpus.h"
#include "proteus/error.h"
#include "proteus/kvm.h"
#include "proteus/log.h"
#include "proteus/main-loop.h"
#include "proteus/memory.h"

#define KVM_DEVICE "/dev/kvm"
#define SIG_KICK SIGUSR1

typedef struct KvmSlot {
    bool used;
    hwaddr addr;
    uint64_t size;
    void *host;
    uint32_t flags;
} KvmSlot;

typedef struct KvmState {
    int sys_fd;
    int vm_fd;
    int vcpu_mmap_size;
    bool readonly_mem;
    bool ioeventfds;
    KvmSlot *slots;
    int nr_slots;
    MemoryListener listener;
    MemoryListener io_listener;     /* port I/O ioeventfds */
} KvmState;

static KvmState kvm = { .sys_fd = -1, .vm_fd = -1 };

bool kvm_enabled(void)
{
    return kvm.vm_fd >= 0;
}

/* ---- ioctls ---- */

static int kvm_ioctl_fd(int fd, unsigned long request, void *arg)
{
    int ret;

    do {
        ret = ioctl(fd, request, arg);
    } while (ret < 0 && errno == EINTR);
    return ret < 0 ? -errno : ret;
}

int kvm_sys_ioctl(unsigned long request, void *arg)
{
    return kvm_ioctl_fd(kvm.sys_fd, request, arg);
}

int kvm_vm_ioctl(unsigned long request, void *arg)
{
    return kvm_ioctl_fd(kvm.vm_fd, request, arg);
}

int kvm_vcpu_ioctl(CPUState *cpu, unsigned long request, void *arg)
{
    return kvm_ioctl_fd(kvm_vcpu_of(cpu)->fd, request, arg);
}

int kvm_check_extension(int cap)
{
    int ret = ioctl(kvm.vm_fd >= 0 ? kvm.vm_fd : kvm.sys_fd, KVM_CHECK_EXTENSION,
                    (unsigned long)cap);

    return ret < 0 ? 0 : ret;
}

bool kvm_require_extension(int cap, const char *name, GError **errp)
{
    if (kvm_check_extension(cap) <= 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED,
                        "-accel kvm: the host's KVM lacks the capability %s", name);
        return false;
    }
    return true;
}

/* ---- interrupt lines ---- */

/* The level last given to each GSI (BQL): a device that sets its line
 * again to what it was (virtio after every queue run) costs no ioctl. */
#define KVM_GSI_CACHED 64
static int8_t kvm_gsi_level[KVM_GSI_CACHED];

void kvm_set_irq(int gsi, int level)
{
    struct kvm_irq_level irq = { .irq = gsi, .level = level };
    int ret;

    if (!kvm_enabled()) {
        return;     /* devices reset their lines before the VM exists */
    }
    if (gsi >= 0 && gsi < KVM_GSI_CACHED) {
        if (kvm_gsi_level[gsi] == !!level) {
            return;
        }
        kvm_gsi_level[gsi] = !!level;
    }
    ret = kvm_vm_ioctl(KVM_IRQ_LINE, &irq);
    if (ret < 0) {
        log_mask(LOG_GUEST_ERROR, "kvm: KVM_IRQ_LINE gsi %d level %d: %s\n", gsi, level,
                 strerror(-ret));
    }
}

static void kvm_irq_handler(void *opaque, int n, int level)
{
    kvm_set_irq(n, level);
}

ProteusIrq kvm_irq_line(int gsi)
{
    return irq_new(kvm_irq_handler, NULL, gsi);
}

/* ---- ioeventfds ---- */

bool kvm_ioeventfds_enabled(void)
{
    return kvm_enabled() && kvm.ioeventfds;
}

/* KVM_IOEVENTFD for e, in the memory or the port I/O space. A write KVM
 * does not take (it refused the eventfd) still exits and is matched by
 * the memory API, so a failure costs speed only: it is logged. */
static void kvm_ioeventfd(const MemoryEventfd *e, bool pio, bool assign)
{
    struct kvm_ioeventfd req = {
        .datamatch = e->data,
        .addr = e->addr,
        .len = e->size,
        .fd = e->fd,
        .flags = (e->match_data ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
                 (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };
    int ret;

    if (!kvm.ioeventfds) {
        return;
    }
    ret = kvm_vm_ioctl(KVM_IOEVENTFD, &req);
    if (ret < 0) {
        log_mask(LOG_UNIMP, "kvm: KVM_IOEVENTFD %s %s 0x%" PRIx64 " +%u: %s\n",
                 assign ? "assign" : "deassign", pio ? "port" : "mmio", e->addr, e->size,
                 strerror(-ret));
    }
}

static void kvm_mmio_eventfd_add(MemoryListener *l, const MemoryEventfd *e)
{
    kvm_ioeventfd(e, false, true);
}

static void kvm_mmio_eventfd_del(MemoryListener *l, const MemoryEventfd *e)
{
    kvm_ioeventfd(e, false, false);
}

static void kvm_pio_eventfd_add(MemoryListener *l, const MemoryEventfd *e)
{
    kvm_ioeventfd(e, true, true);
}

static void kvm_pio_eventfd_del(MemoryListener *l, const MemoryEventfd *e)
{
    kvm_ioeventfd(e, true, false);
}

/* ---- memory slots ---- */

static bool kvm_slot_set(int index, const KvmSlot *s)
{
    struct kvm_userspace_memory_region r = {
        .slot = index,
        .flags = s->flags,
        .guest_phys_addr = s->addr,
        .memory_size = s->used ? s->size : 0,
        .userspace_addr = (uintptr_t)s->host,
    };
    int ret = kvm_vm_ioctl(KVM_SET_USER_MEMORY_REGION, &r);

    if (ret < 0) {
        error_report("kvm: memory slot %d at 0x%" G_GINT64_MODIFIER "x (0x%"
                     G_GINT64_MODIFIER "x bytes): %s", index, (guint64)s->addr,
                     (guint64)s->size, strerror(-ret));
        return false;
    }
    return true;
}

static bool page_aligned(uint64_t v)
{
    return (v & (uint64_t)(getpagesize() - 1)) == 0;
}

/*
 * A RAM or ROM section appeared. A section KVM cannot take (not page
 * aligned, no free slot) stays out of the slots: the guest's accesses to
 * it then exit as MMIO and still reach the memory through the memory API,
 * only slower; the message tells the board's author.
 */
static void kvm_region_add(MemoryListener *l, const MemorySection *section)
{
    uint8_t *host = memory_region_get_ram_ptr(section->mr);
    KvmSlot s = {
        .used = true,
        .addr = section->addr,
        .size = section->size,
        .host = host ? host + section->offset_within_region : NULL,
        .flags = section->readonly && kvm.readonly_mem ? KVM_MEM_READONLY : 0,
    };

    if (!s.host || s.size == UINT64_MAX || !page_aligned(s.addr) ||
        !page_aligned(s.size) || !page_aligned((uintptr_t)s.host)) {
        error_report("kvm: '%s' at 0x%" G_GINT64_MODIFIER "x is not page aligned; "
                     "accesses to it will be emulated", memory_region_name(section->mr),
                     (guint64)s.addr);
        return;
    }
    for (int i = 0; i < kvm.nr_slots; i++) {
        if (!kvm.slots[i].used) {
            if (kvm_slot_set(i, &s)) {
                kvm.slots[i] = s;
            }
            return;
        }
    }
    error_report("kvm: no free memory slot for '%s' (%d in use)",
                 memory_region_name(section->mr), kvm.nr_slots);
}

static void kvm_region_del(MemoryListener *l, const MemorySection *section)
{
    for (int i = 0; i < kvm.nr_slots; i++) {
        KvmSlot *s = &kvm.slots[i];

        if (s->used && s->addr == section->addr && s->size == section->size) {
            s->used = false;
            kvm_slot_set(i, s);
            return;
        }
    }
}

/* ---- the run loop ---- */

static void kvm_kick_handler(int sig)
{
    /* nothing: the signal's only job is to end KVM_RUN with EINTR */
}

static pthread_t *kvm_threads;      /* by cpu_index; written once per thread */
static int kvm_threads_len;

static void kvm_cpu_thread_init(CPUState *cpu)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIG_KICK);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    g_assert(cpu->cpu_index < kvm_threads_len);
    __atomic_store_n(&kvm_threads[cpu->cpu_index], pthread_self(), __ATOMIC_RELEASE);
}

static void kvm_cpu_kick(CPUState *cpu)
{
    KvmVcpu *v = kvm_vcpu_of(cpu);
    pthread_t thread;

    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    thread = __atomic_load_n(&kvm_threads[cpu->cpu_index], __ATOMIC_ACQUIRE);
    if (thread) {
        pthread_kill(thread, SIG_KICK);
    }
}

/* Port I/O: count transfers of size bytes each, in the run area. */
static void kvm_handle_io(struct kvm_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    AddressSpace *as = address_space_io();

    bql_lock();
    for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            address_space_write(as, run->io.port, data, run->io.size);
        } else if (address_space_read(as, run->io.port, data, run->io.size) != MEMTX_OK) {
            /* nothing answers: the ISA bus floats high */
            memset(data, 0xff, run->io.size);
        }
    }
    bql_unlock();
}

static void kvm_handle_mmio(struct kvm_run *run)
{
    AddressSpace *as = address_space_memory();

    bql_lock();
    if (run->mmio.is_write) {
        address_space_write(as, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
    } else {
        address_space_read(as, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
    }
    bql_unlock();
}

/* Something KVM cannot go on with: say what and where, end the process
 * with status 1, and keep this vCPU out of the guest meanwhile. */
static int kvm_fatal_exit(CPUState *cpu, const char *what)
{
    error_report("kvm: vCPU %d stopped: %s", cpu->cpu_index, what);
    kvm_arch_dump_state(cpu, stderr);
    __atomic_store_n(&cpu->halted, 1, __ATOMIC_SEQ_CST);
    system_shutdown_request(1);
    return EXCP_HLT;
}

static void kvm_io_done(CPUState *cpu)
{
    void (*hook)(CPUState *cpu) = __atomic_load_n(&cpu_mmio_done_hook, __ATOMIC_ACQUIRE);

    if (hook) {
        hook(cpu);
    }
}

/* -d cpu: the registers at every exit (it is the only time they are ours). */
static void kvm_log_exit(CPUState *cpu, struct kvm_run *run)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f) {
        return;
    }
    fprintf(f, "kvm: vCPU %d exit reason %u\n", cpu->cpu_index, run->exit_reason);
    kvm_arch_dump_state(cpu, f);
    fclose(f);
    log_printf("%s", text);
    free(text);
}

/* One exit; returns -1 to go on running, else what exec returns. */
static int kvm_handle_exit(CPUState *cpu, struct kvm_run *run)
{
    g_autofree char *why = NULL;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        kvm_handle_io(run);
        kvm_io_done(cpu);
        return -1;
    case KVM_EXIT_MMIO:
        kvm_handle_mmio(run);
        kvm_io_done(cpu);
        return -1;
    case KVM_EXIT_INTR:
        return -1;
    case KVM_EXIT_HLT:
        __atomic_store_n(&cpu->halted, 1, __ATOMIC_SEQ_CST);
        return EXCP_HLT;
    case KVM_EXIT_SHUTDOWN:
        /* a triple fault: the machine resets, as a PC's chipset does */
        log_mask(LOG_GUEST_ERROR, "kvm: vCPU %d shut down (triple fault): reset\n",
                 cpu->cpu_index);
        __atomic_store_n(&cpu->halted, 1, __ATOMIC_SEQ_CST);
        system_reset_request();
        return EXCP_HLT;
    case KVM_EXIT_FAIL_ENTRY:
        why = g_strdup_printf("entry failed, hardware reason 0x%llx",
                              (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        return kvm_fatal_exit(cpu, why);
    case KVM_EXIT_INTERNAL_ERROR:
        why = g_strdup_printf("internal error, suberror %u", run->internal.suberror);
        return kvm_fatal_exit(cpu, why);
    default:
        why = g_strdup_printf("unhandled exit reason %u", run->exit_reason);
        return kvm_fatal_exit(cpu, why);
    }
}

static int kvm_cpu_exec(CPUState *cpu)
{
    KvmVcpu *v = kvm_vcpu_of(cpu);

    for (;;) {
        int ret;

        if (__atomic_exchange_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST)) {
            /* a kick that comes after this sets exit_request again first */
            __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
            __atomic_store_n(&cpu->tb_exit_flag, 0, __ATOMIC_SEQ_CST);
            return EXCP_INTERRUPT;
        }
        ret = ioctl(v->fd, KVM_RUN, 0);
        if (ret < 0) {
            int err = errno;

            if (err == EINTR || err == EAGAIN) {
                /* a kick (exit_request is set) or a stray signal */
                __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
                continue;
            }
            return kvm_fatal_exit(cpu, strerror(err));
        }
        if (log_enabled(LOG_CPU)) {
            kvm_log_exit(cpu, v->run);
        }
        ret = kvm_handle_exit(cpu, v->run);
        if (ret >= 0) {
            return ret;
        }
    }
}

static const CpusAccelOps kvm_accel_ops = {
    .thread_init = kvm_cpu_thread_init,
    .exec = kvm_cpu_exec,
    .kick = kvm_cpu_kick,
};

/* ---- set-up ---- */

static bool kvm_open_device(GError **errp)
{
    /* tests point this elsewhere to see the errors of a host without KVM */
    const char *path = g_getenv("PROTEUS_KVM_DEVICE") ? g_getenv("PROTEUS_KVM_DEVICE")
                                                       : KVM_DEVICE;
    int api;

    kvm.sys_fd = open(path, O_RDWR | O_CLOEXEC);
    if (kvm.sys_fd < 0) {
        int err = errno;

        if (err == ENOENT || err == ENODEV || err == ENXIO) {
            error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND,
                            "-accel kvm: %s does not exist: this host offers no KVM "
                            "(load the kvm module, or enable nested virtualization)",
                            path);
        } else if (err == EACCES || err == EPERM) {
            error_setg_code(errp, PROTEUS_ERROR_PERMISSION,
                            "-accel kvm: no permission to open %s (join the group that "
                            "owns it, usually 'kvm')", path);
        } else {
            error_setg_code(errp, PROTEUS_ERROR_FAILED, "-accel kvm: %s: %s", path,
                            strerror(err));
        }
        return false;
    }
    api = kvm_sys_ioctl(KVM_GET_API_VERSION, NULL);
    if (api != KVM_API_VERSION) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED,
                        "-accel kvm: the kernel's KVM API version is %d, need %d", api,
                        KVM_API_VERSION);
        return false;
    }
    return true;
}

static bool kvm_create_vm(GError **errp)
{
    int fd = kvm_sys_ioctl(KVM_CREATE_VM, NULL);

    if (fd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "-accel kvm: KVM_CREATE_VM: %s",
                        strerror(-fd));
        return false;
    }
    kvm.vm_fd = fd;
    if (!kvm_require_extension(KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", errp) ||
        !kvm_require_extension(KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", errp)) {
        return false;
    }
    kvm.vcpu_mmap_size = kvm_sys_ioctl(KVM_GET_VCPU_MMAP_SIZE, NULL);
    if (kvm.vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED,
                        "-accel kvm: KVM_GET_VCPU_MMAP_SIZE gave %d", kvm.vcpu_mmap_size);
        return false;
    }
    /* without the capability the kernel guarantees 32 slots */
    kvm.nr_slots = kvm_check_extension(KVM_CAP_NR_MEMSLOTS);
    if (kvm.nr_slots <= 0) {
        kvm.nr_slots = 32;
    }
    kvm.slots = g_new0(KvmSlot, kvm.nr_slots);
    /* without it, ROM is mapped writable (the guest could change it) */
    kvm.readonly_mem = kvm_check_extension(KVM_CAP_READONLY_MEM) > 0;
    /* without it, virtio notifies exit to us like any other MMIO write */
    kvm.ioeventfds = kvm_check_extension(KVM_CAP_IOEVENTFD) > 0;
    return true;
}

static void kvm_install_kick_signal(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_kick_handler;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: KVM_RUN must return EINTR */
    sigaction(SIG_KICK, &sa, NULL);
}

/* Undoes a failed kvm_init, so another accelerator can be tried. */
static void kvm_close(void)
{
    if (kvm.vm_fd >= 0) {
        close(kvm.vm_fd);
    }
    if (kvm.sys_fd >= 0) {
        close(kvm.sys_fd);
    }
    g_clear_pointer(&kvm.slots, g_free);
    kvm.vm_fd = kvm.sys_fd = -1;
}

bool kvm_init(const char *arch, GError **errp)
{
    if (!arch) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-accel kvm: the guest architecture is unknown (give --arch or -M)");
        return false;
    }
    if (strcmp(arch, kvm_arch_name) != 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED,
                        "-accel kvm: KVM runs %s guests on this host, not %s",
                        kvm_arch_name, arch);
        return false;
    }
    if (!kvm_open_device(errp) || !kvm_create_vm(errp) || !kvm_arch_init_vm(errp)) {
        kvm_close();
        return false;
    }
    kvm_install_kick_signal();
    kvm.listener.region_add = kvm_region_add;
    kvm.listener.region_del = kvm_region_del;
    kvm.listener.eventfd_add = kvm_mmio_eventfd_add;
    kvm.listener.eventfd_del = kvm_mmio_eventfd_del;
    memory_listener_register(&kvm.listener, address_space_memory());
    kvm.io_listener.eventfd_add = kvm_pio_eventfd_add;
    kvm.io_listener.eventfd_del = kvm_pio_eventfd_del;
    memory_listener_register(&kvm.io_listener, address_space_io());
    cpus_set_accel_ops(&kvm_accel_ops);
    return true;
}

static bool kvm_create_vcpu(CPUState *cpu, GError **errp)
{
    KvmVcpu *v = kvm_vcpu_of(cpu);
    int fd = kvm_vm_ioctl(KVM_CREATE_VCPU, (void *)(uintptr_t)v->vcpu_id);

    if (fd < 0) {
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "-accel kvm: KVM_CREATE_VCPU %d: %s",
                        v->vcpu_id, strerror(-fd));
        return false;
    }
    v->fd = fd;
    v->run_size = kvm.vcpu_mmap_size;
    v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (v->run == MAP_FAILED) {
        v->run = NULL;
        error_setg_code(errp, PROTEUS_ERROR_FAILED, "-accel kvm: mapping vCPU %d: %s",
                        v->vcpu_id, strerror(errno));
        return false;
    }
    return kvm_arch_init_vcpu(cpu, errp);
}

bool kvm_init_vcpus(GError **errp)
{
    int n = cpus_count();

    kvm_threads_len = 0;
    for (int i = 0; i < n; i++) {
        kvm_threads_len = MAX(kvm_threads_len, cpus_get(i)->cpu_index + 1);
    }
    kvm_threads = g_new0(pthread_t, kvm_threads_len);
    for (int i = 0; i < n; i++) {
        if (!kvm_create_vcpu(cpus_get(i), errp)) {
            return false;
        }
    }
    return true;
}

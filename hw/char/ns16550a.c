/*
 * ns16550a: the National Semiconductor (now Texas Instruments) PC16550D,
 * the "16550A" UART with 16-byte receive and transmit FIFOs.
 *
 * MMIO region 0: the eight byte-wide registers, register i at offset
 * i << regshift, so the region is 8 << regshift bytes. The bus accepts
 * accesses of 1 to 4 bytes (boards with regshift=2 use 32-bit accesses);
 * the register is the lowest-addressed byte of its slot, the other bytes
 * of a slot read as zero and ignore writes.
 *
 * IRQ output 0 (the sys-bus-device line): high while an interrupt enabled
 * in IER is pending, as IIR reports it. OUT2 (MCR bit 3) does not gate the
 * line: on PCs it enabled an external tri-state buffer, but boards that wire
 * the UART straight to an interrupt controller ignore it, and so do most
 * emulators and the drivers written for them.
 *
 * Left out, because a chardev carries bytes rather than a wire's bits:
 *  - transmission is instantaneous: bytes written to THR go to the chardev
 *    at once, so THRE and TEMT are always set; the THRE interrupt is still
 *    raised after each write, since drivers wait for it;
 *  - LCR's word length, parity and stop bits only set the character time
 *    used by the receive timeout; bytes pass through unmasked, and there
 *    are no parity or framing errors;
 *  - the modem inputs outside loopback are fixed (CTS, DSR and DCD
 *    asserted, RI not), so hardware flow control never holds the guest up;
 *  - the RXRDY/TXRDY pins, so DMA mode (FCR bit 3) changes nothing;
 *  - a break from the backend is reported at once (LSR.BI and a zero
 *    byte) rather than when its byte reaches the top of the FIFO.
 */
#include <string.h>

#include "proteus/chardev.h"
#include "proteus/cpus.h"
#include "proteus/device.h"
#include "proteus/log.h"
#include "proteus/module.h"
#include "proteus/timer.h"

#define TYPE_NS16550A "ns16550a"
OBJECT_DECLARE_SIMPLE_TYPE(Ns16550aState, NS16550A)

#define NS16550A_FIFO_SIZE 16

/* Register numbers (PC16550D datasheet, Table II). */
enum {
    REG_RBR_THR_DLL = 0,   /* RBR (read) / THR (write); DLL when LCR.DLAB */
    REG_IER_DLM = 1,       /* IER; DLM when LCR.DLAB */
    REG_IIR_FCR = 2,       /* IIR (read) / FCR (write) */
    REG_LCR = 3,
    REG_MCR = 4,
    REG_LSR = 5,
    REG_MSR = 6,
    REG_SCR = 7,
};

#define IER_ERBFI   0x01   /* received data available (and character timeout) */
#define IER_ETBEI   0x02   /* transmitter holding register empty */
#define IER_ELSI    0x04   /* receiver line status */
#define IER_EDSSI   0x08   /* modem status */
#define IER_MASK    0x0f

/* IIR interrupt identification, highest priority first. */
#define IIR_NO_INT  0x01
#define IIR_RLS     0x06   /* receiver line status */
#define IIR_RDA     0x04   /* received data available */
#define IIR_CTI     0x0c   /* character timeout */
#define IIR_THRE    0x02   /* transmitter holding register empty */
#define IIR_MSI     0x00   /* modem status */
#define IIR_FIFOS   0xc0   /* FIFOs enabled */

#define FCR_FIFOEN  0x01
#define FCR_RXRST   0x02
#define FCR_TXRST   0x04
#define FCR_DMA     0x08
#define FCR_TRIGGER 0xc0

#define LCR_WLS     0x03   /* word length - 5 */
#define LCR_STB     0x04   /* 1.5 (5-bit words) or 2 stop bits */
#define LCR_PEN     0x08   /* parity enable */
#define LCR_DLAB    0x80

#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_OUT1    0x04
#define MCR_OUT2    0x08
#define MCR_LOOP    0x10
#define MCR_MASK    0x1f

#define LSR_DR      0x01
#define LSR_OE      0x02
#define LSR_PE      0x04
#define LSR_FE      0x08
#define LSR_BI      0x10
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define LSR_FIFOERR 0x80
/* The bits that raise a receiver line status interrupt; reading LSR clears them. */
#define LSR_INT_BITS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS    0x01
#define MSR_DDSR    0x02
#define MSR_TERI    0x04
#define MSR_DDCD    0x08
#define MSR_DELTAS  0x0f
#define MSR_CTS     0x10
#define MSR_DSR     0x20
#define MSR_RI      0x40
#define MSR_DCD     0x80

struct Ns16550aState {
    SysBusDevice parent_obj;
    MemoryRegion iomem;
    ProteusIrq irq;
    CharFrontend chr;
    Timer *timeout_timer;

    /* properties */
    uint8_t regshift;
    uint32_t baudbase;

    /* registers */
    uint8_t ier;
    uint8_t fcr;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;            /* only the error bits; DR, THRE and TEMT are derived */
    uint8_t msr;
    uint8_t scr;
    uint16_t divisor;

    /* the receiver FIFO; with FIFOs off it holds at most one byte (RBR) */
    uint8_t rx_fifo[NS16550A_FIFO_SIZE];
    unsigned rx_head;
    unsigned rx_count;

    bool thre_pending;      /* THRE interrupt not yet acknowledged */
    bool timeout_pending;   /* character timeout indication */
};

static const char *const ns16550a_reg_names[2][8] = {
    { "RBR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR" },
    { "THR", "IER", "FCR", "LCR", "MCR", "LSR", "MSR", "SCR" },
};

static bool ns16550a_fifo_enabled(Ns16550aState *s)
{
    return s->fcr & FCR_FIFOEN;
}

static unsigned ns16550a_rx_capacity(Ns16550aState *s)
{
    return ns16550a_fifo_enabled(s) ? NS16550A_FIFO_SIZE : 1;
}

/* FCR bits 7:6 select 1, 4, 8 or 14 bytes. */
static unsigned ns16550a_rx_trigger(Ns16550aState *s)
{
    static const unsigned levels[4] = { 1, 4, 8, 14 };

    return levels[(s->fcr & FCR_TRIGGER) >> 6];
}

static bool ns16550a_rx_data_available(Ns16550aState *s)
{
    if (ns16550a_fifo_enabled(s)) {
        return s->rx_count >= ns16550a_rx_trigger(s);
    }
    return s->rx_count > 0;
}

/* The highest-priority pending interrupt that IER enables (datasheet Table IV). */
static uint8_t ns16550a_pending_iid(Ns16550aState *s)
{
    if ((s->ier & IER_ELSI) && (s->lsr & LSR_INT_BITS)) {
        return IIR_RLS;
    }
    if ((s->ier & IER_ERBFI) && ns16550a_rx_data_available(s)) {
        return IIR_RDA;
    }
    if ((s->ier & IER_ERBFI) && s->timeout_pending) {
        return IIR_CTI;
    }
    if ((s->ier & IER_ETBEI) && s->thre_pending) {
        return IIR_THRE;
    }
    if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS)) {
        return IIR_MSI;
    }
    return IIR_NO_INT;
}

static void ns16550a_update_irq(Ns16550aState *s)
{
    irq_set(s->irq, ns16550a_pending_iid(s) != IIR_NO_INT);
}

/*
 * One character time in ns: start bit, 5-8 data bits, optional parity and
 * 1, 1.5 or 2 stop bits, at baudbase / divisor bits per second. Counted in
 * half bits for the 1.5 stop bits. A divisor of 0 is unusable on the chip;
 * here it counts as 1 so the timeout stays finite.
 */
static int64_t ns16550a_char_time_ns(Ns16550aState *s)
{
    uint64_t half_bits = 2 * (1 + 5 + (s->lcr & LCR_WLS));
    uint64_t divisor = s->divisor ? s->divisor : 1;

    if (s->lcr & LCR_PEN) {
        half_bits += 2;
    }
    if (s->lcr & LCR_STB) {
        half_bits += (s->lcr & LCR_WLS) == 0 ? 3 : 4;
    } else {
        half_bits += 2;
    }
    return half_bits * divisor * NANOSECONDS_PER_SECOND / (2 * (uint64_t)s->baudbase);
}

/*
 * The character timeout counts 4 character times from the last byte
 * received or read while the FIFO holds data (datasheet, "FIFO Interrupt
 * Mode Operation").
 */
static void ns16550a_restart_timeout(Ns16550aState *s)
{
    if (ns16550a_fifo_enabled(s) && s->rx_count > 0) {
        timer_mod_ns(s->timeout_timer,
                     clock_get_ns(PROTEUS_CLOCK_VIRTUAL) + 4 * ns16550a_char_time_ns(s));
    } else {
        timer_del(s->timeout_timer);
    }
}

static void ns16550a_timeout(void *opaque)
{
    Ns16550aState *s = opaque;

    if (ns16550a_fifo_enabled(s) && s->rx_count > 0) {
        s->timeout_pending = true;
        ns16550a_update_irq(s);
    }
}

static void ns16550a_rx_clear(Ns16550aState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->timeout_pending = false;
    timer_del(s->timeout_timer);
}

/* A byte arrives in the receiver; the caller updates the IRQ line. */
static void ns16550a_receive_byte(Ns16550aState *s, uint8_t byte)
{
    if (s->rx_count == ns16550a_rx_capacity(s)) {
        /*
         * Overrun. Without FIFOs the new byte replaces RBR; with them the
         * FIFO is kept and the byte in the shift register is lost.
         */
        s->lsr |= LSR_OE;
        if (!ns16550a_fifo_enabled(s)) {
            s->rx_fifo[s->rx_head] = byte;
        }
    } else {
        s->rx_fifo[(s->rx_head + s->rx_count) % NS16550A_FIFO_SIZE] = byte;
        s->rx_count++;
    }
    /* A timeout already indicated stays until the guest reads a byte. */
    if (!s->timeout_pending) {
        ns16550a_restart_timeout(s);
    }
}

/* The receiver has room again: let the backend deliver what it holds. */
static void ns16550a_accept_input(Ns16550aState *s)
{
    if (s->chr.chr) {
        chr_fe_accept_input(&s->chr);
    }
}

static uint8_t ns16550a_read_rbr(Ns16550aState *s)
{
    uint8_t byte;

    if (s->rx_count == 0) {
        return 0;
    }
    byte = s->rx_fifo[s->rx_head];
    s->rx_head = (s->rx_head + 1) % NS16550A_FIFO_SIZE;
    s->rx_count--;
    s->timeout_pending = false;
    ns16550a_restart_timeout(s);
    ns16550a_update_irq(s);
    ns16550a_accept_input(s);
    return byte;
}

static void ns16550a_write_thr(Ns16550aState *s, uint8_t byte)
{
    cpus_poll_idle(false);      /* the guest is busy printing, not waiting */
    if (s->mcr & MCR_LOOP) {
        /* Loopback: the transmitter shift register feeds the receiver. */
        ns16550a_receive_byte(s, byte);
    } else if (s->chr.chr) {
        chr_fe_write_all(&s->chr, &byte, 1);
    }
    /*
     * Writing THR acknowledges a THRE interrupt; the byte leaves at once,
     * so THR is empty again and the interrupt comes back.
     */
    s->thre_pending = true;
    ns16550a_update_irq(s);
}

/* The modem control inputs as the chip sees them (MSR bits 7:4). */
static uint8_t ns16550a_modem_inputs(Ns16550aState *s)
{
    uint8_t in = 0;

    if (!(s->mcr & MCR_LOOP)) {
        return MSR_CTS | MSR_DSR | MSR_DCD;
    }
    /* Loopback wiring (datasheet, MCR bit 4): outputs feed the inputs. */
    if (s->mcr & MCR_DTR) {
        in |= MSR_DSR;
    }
    if (s->mcr & MCR_RTS) {
        in |= MSR_CTS;
    }
    if (s->mcr & MCR_OUT1) {
        in |= MSR_RI;
    }
    if (s->mcr & MCR_OUT2) {
        in |= MSR_DCD;
    }
    return in;
}

/* Latches the inputs into MSR, setting the delta bits for what changed. */
static void ns16550a_update_msr(Ns16550aState *s)
{
    uint8_t old = s->msr;
    uint8_t in = ns16550a_modem_inputs(s);
    uint8_t changed = (old ^ in) & 0xf0;
    uint8_t deltas = old & MSR_DELTAS;

    if (changed & MSR_CTS) {
        deltas |= MSR_DCTS;
    }
    if (changed & MSR_DSR) {
        deltas |= MSR_DDSR;
    }
    if (changed & MSR_DCD) {
        deltas |= MSR_DDCD;
    }
    /* TERI: only the trailing edge of RI (on to off) counts. */
    if ((old & MSR_RI) && !(in & MSR_RI)) {
        deltas |= MSR_TERI;
    }
    s->msr = in | deltas;
}

static void ns16550a_write_fcr(Ns16550aState *s, uint8_t value)
{
    bool was_enabled = ns16550a_fifo_enabled(s);

    /* The other FCR bits are only programmed together with FIFOEN. */
    if (!(value & FCR_FIFOEN)) {
        s->fcr = 0;
        s->lsr &= ~LSR_FIFOERR;     /* bit 7 is always 0 in 16450 mode */
        if (was_enabled) {
            ns16550a_rx_clear(s);
        }
        return;
    }
    s->fcr = value & (FCR_FIFOEN | FCR_DMA | FCR_TRIGGER);
    /* Switching between 16450 and FIFO mode empties the FIFOs too. */
    if (!was_enabled || (value & FCR_RXRST)) {
        ns16550a_rx_clear(s);
    }
    /* FCR_TXRST: the transmit FIFO never holds anything here. */
}

static uint64_t ns16550a_read_reg(Ns16550aState *s, unsigned reg)
{
    uint8_t value;

    switch (reg) {
    case REG_RBR_THR_DLL:
        if (s->lcr & LCR_DLAB) {
            return s->divisor & 0xff;
        }
        return ns16550a_read_rbr(s);
    case REG_IER_DLM:
        if (s->lcr & LCR_DLAB) {
            return s->divisor >> 8;
        }
        return s->ier;
    case REG_IIR_FCR:
        value = ns16550a_pending_iid(s);
        /* Reading IIR acknowledges THRE when that is what it reports. */
        if (value == IIR_THRE) {
            s->thre_pending = false;
            ns16550a_update_irq(s);
        }
        if (ns16550a_fifo_enabled(s)) {
            value |= IIR_FIFOS;
        }
        return value;
    case REG_LCR:
        return s->lcr;
    case REG_MCR:
        return s->mcr;
    case REG_LSR:
        value = s->lsr | LSR_THRE | LSR_TEMT;
        if (s->rx_count > 0) {
            value |= LSR_DR;
        }
        /* firmware waiting for a key polls here: let its vCPU doze */
        cpus_poll_idle(s->rx_count == 0);
        /* The error bits and the FIFO error flag clear when LSR is read. */
        s->lsr = 0;
        ns16550a_update_irq(s);
        return value;
    case REG_MSR:
        value = s->msr;
        s->msr &= ~MSR_DELTAS;
        ns16550a_update_irq(s);
        return value;
    case REG_SCR:
        return s->scr;
    default:
        g_assert_not_reached();
    }
}

static void ns16550a_write_reg(Ns16550aState *s, unsigned reg, uint8_t value)
{
    uint8_t old;

    switch (reg) {
    case REG_RBR_THR_DLL:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (s->divisor & 0xff00) | value;
        } else {
            ns16550a_write_thr(s, value);
        }
        break;
    case REG_IER_DLM:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (s->divisor & 0x00ff) | (value << 8);
            break;
        }
        old = s->ier;
        if (value & ~IER_MASK) {
            log_mask(LOG_GUEST_ERROR, "ns16550a: IER bits 7:4 are reserved (0x%02x)\n",
                     value);
        }
        s->ier = value & IER_MASK;
        /* Enabling ETBEI with THR empty (it always is) raises THRE. */
        if ((s->ier & IER_ETBEI) && !(old & IER_ETBEI)) {
            s->thre_pending = true;
        }
        ns16550a_update_irq(s);
        break;
    case REG_IIR_FCR:
        ns16550a_write_fcr(s, value);
        ns16550a_update_irq(s);
        ns16550a_accept_input(s);
        break;
    case REG_LCR:
        s->lcr = value;
        break;
    case REG_MCR:
        if (value & ~MCR_MASK) {
            log_mask(LOG_GUEST_ERROR, "ns16550a: MCR bits 7:5 are reserved (0x%02x)\n",
                     value);
        }
        s->mcr = value & MCR_MASK;
        ns16550a_update_msr(s);
        ns16550a_update_irq(s);
        break;
    case REG_LSR:
    case REG_MSR:
        log_mask(LOG_GUEST_ERROR, "ns16550a: write of 0x%02x to read-only %s ignored\n",
                 value, ns16550a_reg_names[0][reg]);
        break;
    case REG_SCR:
        s->scr = value;
        break;
    default:
        g_assert_not_reached();
    }
}

/* addr is inside one register's slot; only its first byte is the register. */
static uint64_t ns16550a_read(void *opaque, hwaddr addr, unsigned size)
{
    Ns16550aState *s = opaque;
    unsigned reg = addr >> s->regshift;
    uint64_t value;

    if (addr & ((1u << s->regshift) - 1)) {
        return 0;
    }
    value = ns16550a_read_reg(s, reg);
    log_mask(LOG_TRACE_DEV, "ns16550a: read %s -> 0x%02x\n",
             (s->lcr & LCR_DLAB) && reg < 2 ? (reg ? "DLM" : "DLL")
                                            : ns16550a_reg_names[0][reg],
             (unsigned)value);
    return value;
}

static void ns16550a_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    Ns16550aState *s = opaque;
    unsigned reg = addr >> s->regshift;

    if (addr & ((1u << s->regshift) - 1)) {
        return;
    }
    log_mask(LOG_TRACE_DEV, "ns16550a: write %s <- 0x%02x\n",
             (s->lcr & LCR_DLAB) && reg < 2 ? (reg ? "DLM" : "DLL")
                                            : ns16550a_reg_names[1][reg],
             (unsigned)(value & 0xff));
    ns16550a_write_reg(s, reg, value);
}

static const MemoryRegionOps ns16550a_ops = {
    .read = ns16550a_read,
    .write = ns16550a_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* ---- the chardev side ---- */

static int ns16550a_can_receive(void *opaque)
{
    Ns16550aState *s = opaque;

    return ns16550a_rx_capacity(s) - s->rx_count;
}

static void ns16550a_receive(void *opaque, const uint8_t *buf, int size)
{
    Ns16550aState *s = opaque;

    /* In loopback the serial input is disconnected: the bytes are lost. */
    if (s->mcr & MCR_LOOP) {
        return;
    }
    for (int i = 0; i < size; i++) {
        ns16550a_receive_byte(s, buf[i]);
    }
    ns16550a_update_irq(s);
    cpus_poll_wakeup();
}

static void ns16550a_event(void *opaque, ChrEvent event)
{
    Ns16550aState *s = opaque;

    if (event != CHR_EVENT_BREAK || (s->mcr & MCR_LOOP)) {
        return;
    }
    /* A break loads one zero byte and sets BI (and, with FIFOs, the FIFO error flag). */
    s->lsr |= LSR_BI;
    if (ns16550a_fifo_enabled(s)) {
        s->lsr |= LSR_FIFOERR;
    }
    ns16550a_receive_byte(s, 0);
    ns16550a_update_irq(s);
}

/* ---- life cycle ---- */

static bool ns16550a_realize(DeviceState *dev, GError **errp)
{
    Ns16550aState *s = NS16550A(dev);

    if (s->regshift > 4) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "regshift=%u is out of range (0 to 4)", s->regshift);
        return false;
    }
    if (s->baudbase == 0) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "baudbase must not be zero");
        return false;
    }
    memory_region_init_io(&s->iomem, OBJECT(s), &ns16550a_ops, s, "ns16550a",
                          8u << s->regshift);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->iomem);
    s->timeout_timer = timer_new_ns(PROTEUS_CLOCK_VIRTUAL, ns16550a_timeout, s);
    if (s->chr.chr) {
        chr_fe_set_handlers(&s->chr, ns16550a_can_receive, ns16550a_receive,
                            ns16550a_event, s);
    }
    return true;
}

/* The sys-bus-device base has unmapped the region by the time this runs. */
static void ns16550a_unrealize(DeviceState *dev)
{
    Ns16550aState *s = NS16550A(dev);

    if (s->chr.chr) {
        chr_fe_set_handlers(&s->chr, NULL, NULL, NULL, NULL);
    }
    g_clear_pointer(&s->timeout_timer, timer_free);
    memory_region_destroy(&s->iomem);
}

/* Reset values from the datasheet's Table III; DLL, DLM and SCR, which
 * reset leaves alone on the chip, start from zero. */
static void ns16550a_reset(DeviceState *dev)
{
    Ns16550aState *s = NS16550A(dev);

    s->ier = 0;
    s->fcr = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->lsr = 0;
    s->scr = 0;
    s->divisor = 0;
    ns16550a_rx_clear(s);
    s->thre_pending = false;
    s->msr = ns16550a_modem_inputs(s);
    ns16550a_update_irq(s);
    ns16550a_accept_input(s);
}

static void ns16550a_init(Object *obj)
{
    Ns16550aState *s = NS16550A(obj);

    sysbus_init_irq(SYS_BUS_DEVICE(s), &s->irq);
}

static const Property ns16550a_props[] = {
    DEFINE_PROP_CHR("chardev", Ns16550aState, chr),
    DEFINE_PROP_UINT8("regshift", Ns16550aState, regshift, 0),
    DEFINE_PROP_UINT32("baudbase", Ns16550aState, baudbase, 115200),
    DEFINE_PROP_END_OF_LIST(),
};

static void ns16550a_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "16550A UART with 16-byte FIFOs";
    dc->category = "char";
    dc->realize = ns16550a_realize;
    dc->unrealize = ns16550a_unrealize;
    dc->reset = ns16550a_reset;
    device_class_set_props(dc, ns16550a_props);
    object_class_property_set_description(oc, "regshift",
        "log2 of the distance between registers (0: bytes, 2: 32-bit words)");
    object_class_property_set_description(oc, "baudbase",
        "input clock / 16: the bit rate with divisor 1");
}

static const TypeInfo ns16550a_type = {
    .name = TYPE_NS16550A,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(Ns16550aState),
    .instance_init = ns16550a_init,
    .class_init = ns16550a_class_init,
};

static void ns16550a_register_types(void)
{
    type_register(&ns16550a_type);
}

PROTEUS_MODULE(char_ns16550a, ns16550a_register_types)

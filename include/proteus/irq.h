/*
 * IRQ lines. A line is an object ("irq") with a handler on the receiving
 * side; a device raises or lowers it and the board decides where it goes.
 * A NULL line is legal and ignores every change, so an unwired output is
 * never a special case in device code.
 */
#ifndef PROTEUS_IRQ_H
#define PROTEUS_IRQ_H

#include "proteus/qom.h"

#define TYPE_IRQ "irq"

typedef void (*IrqHandler)(void *opaque, int n, int level);

typedef struct IrqState {
    Object parent_obj;
    IrqHandler handler;
    void *opaque;
    int n;          /* passed to the handler: the input's number at the receiver */
} IrqState;

typedef IrqState *ProteusIrq;

/* One line delivering (opaque, n, level) to handler. */
ProteusIrq irq_new(IrqHandler handler, void *opaque, int n);
/* count lines numbered 0..count-1; free the array with irq_free_array(). */
ProteusIrq *irq_new_array(IrqHandler handler, void *opaque, int count);
void irq_free(ProteusIrq irq);
void irq_free_array(ProteusIrq *irqs, int count);

void irq_set(ProteusIrq irq, int level);
static inline void irq_raise(ProteusIrq irq) { irq_set(irq, 1); }
static inline void irq_lower(ProteusIrq irq) { irq_set(irq, 0); }
static inline void irq_pulse(ProteusIrq irq) { irq_set(irq, 1); irq_set(irq, 0); }

/* A line that drives both a and b (e.g. an interrupt controller and a tracer). */
ProteusIrq irq_split(ProteusIrq a, ProteusIrq b);
/* A line that passes the inverted level on to target. */
ProteusIrq irq_invert(ProteusIrq target);

/*
 * Redirects a line to a new handler, returning the old behaviour in *old
 * so a test or tracer can chain to it. Used by the qtest harness.
 */
void irq_intercept(ProteusIrq irq, IrqHandler handler, void *opaque, IrqState *old);

#endif

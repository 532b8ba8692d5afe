/*
 * IRQ lines: objects of type "irq" that call their receiver's handler
 * with (opaque, n, level) whenever a sender sets them. Splitting one line
 * into two and inverting a line are lines of a private subtype,
 * "irq-forward", that keeps references to where it forwards, so the
 * targets live at least as long as the line that drives them.
 */
#include "proteus/irq.h"

#define TYPE_IRQ_FORWARD "irq-forward"

typedef struct IrqForward {
    IrqState parent_obj;
    ProteusIrq targets[2];    /* either may be NULL (unwired) */
} IrqForward;

static IrqForward *irq_forward_cast(void *obj)
{
    return OBJECT_CHECK(IrqForward, obj, TYPE_IRQ_FORWARD);
}

ProteusIrq irq_new(IrqHandler handler, void *opaque, int n)
{
    IrqState *irq = OBJECT_CHECK(IrqState, object_new(TYPE_IRQ), TYPE_IRQ);

    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
    return irq;
}

ProteusIrq *irq_new_array(IrqHandler handler, void *opaque, int count)
{
    ProteusIrq *irqs;

    g_assert(count >= 0);
    irqs = g_new0(ProteusIrq, count);
    for (int i = 0; i < count; i++) {
        irqs[i] = irq_new(handler, opaque, i);
    }
    return irqs;
}

void irq_free(ProteusIrq irq)
{
    object_unref(irq);
}

void irq_free_array(ProteusIrq *irqs, int count)
{
    if (!irqs) {
        return;
    }
    for (int i = 0; i < count; i++) {
        irq_free(irqs[i]);
    }
    g_free(irqs);
}

void irq_set(ProteusIrq irq, int level)
{
    if (irq && irq->handler) {
        irq->handler(irq->opaque, irq->n, level);
    }
}

static void irq_split_handler(void *opaque, int n, int level)
{
    IrqForward *fwd = opaque;

    irq_set(fwd->targets[0], level);
    irq_set(fwd->targets[1], level);
}

static void irq_invert_handler(void *opaque, int n, int level)
{
    IrqForward *fwd = opaque;

    irq_set(fwd->targets[0], !level);
}

static ProteusIrq irq_forward_new(IrqHandler handler, ProteusIrq a, ProteusIrq b)
{
    IrqForward *fwd = irq_forward_cast(object_new(TYPE_IRQ_FORWARD));

    fwd->targets[0] = a;
    fwd->targets[1] = b;
    object_ref(a);
    object_ref(b);
    fwd->parent_obj.handler = handler;
    fwd->parent_obj.opaque = fwd;
    return &fwd->parent_obj;
}

ProteusIrq irq_split(ProteusIrq a, ProteusIrq b)
{
    return irq_forward_new(irq_split_handler, a, b);
}

ProteusIrq irq_invert(ProteusIrq target)
{
    return irq_forward_new(irq_invert_handler, target, NULL);
}

void irq_intercept(ProteusIrq irq, IrqHandler handler, void *opaque, IrqState *old)
{
    g_assert(irq);
    if (old) {
        old->handler = irq->handler;
        old->opaque = irq->opaque;
        old->n = irq->n;
    }
    irq->handler = handler;
    irq->opaque = opaque;
}

static void irq_forward_finalize(Object *obj)
{
    IrqForward *fwd = irq_forward_cast(obj);

    object_unref(fwd->targets[0]);
    object_unref(fwd->targets[1]);
}

static const TypeInfo irq_types[] = {
    {
        .name = TYPE_IRQ,
        .parent = TYPE_OBJECT,
        .instance_size = sizeof(IrqState),
    },
    {
        .name = TYPE_IRQ_FORWARD,
        .parent = TYPE_IRQ,
        .instance_size = sizeof(IrqForward),
        .instance_finalize = irq_forward_finalize,
    },
};

static void irq_register_types(void)
{
    type_register_array(irq_types, G_N_ELEMENTS(irq_types));
}

type_init(irq_register_types)

/*
 * fw_cfg (hw/nvram/fw_cfg.h): the device "fw_cfg-io", its items and file
 * directory, the port interface and the DMA interface, and the -fw_cfg
 * command-line files.
 */
#include <string.h>

#include "hw/nvram/fw_cfg.h"
#include "proteus/error.h"
#include "proteus/log.h"
#include "proteus/options.h"

/* The selector's bit 14 asks for the write channel, which no item has. */
#define FW_CFG_KEY_MASK 0xbfff

#define FW_CFG_DIR_ENTRY_SIZE (4 + 2 + 2 + FW_CFG_MAX_NAME)

typedef struct FwCfgItem {
    uint8_t *data;
    uint32_t len;
} FwCfgItem;

struct FwCfgState {
    SysBusDevice parent_obj;
    AddressSpace *dma_as;       /* NULL until realized: address_space_memory() */
    GHashTable *items;          /* key -> FwCfgItem * */
    GByteArray *dir;            /* the file directory item, kept current */
    unsigned nfiles;
    uint16_t cur_key;
    uint32_t cur_offset;
    uint64_t dma_addr;
    MemoryRegion ctl_io;        /* selector (offset 0) and data (offset 1) */
    MemoryRegion dma_io;
};

static void item_free(gpointer p)
{
    FwCfgItem *it = p;

    g_free(it->data);
    g_free(it);
}

void fw_cfg_add_bytes(FwCfgState *s, uint16_t key, const void *data, size_t len)
{
    FwCfgItem *it = g_new0(FwCfgItem, 1);

    g_assert(len <= UINT32_MAX);
    it->data = g_memdup2(data, len);
    it->len = len;
    g_hash_table_replace(s->items, GUINT_TO_POINTER(key), it);
}

void fw_cfg_add_i16(FwCfgState *s, uint16_t key, uint16_t value)
{
    uint16_t le = GUINT16_TO_LE(value);

    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

void fw_cfg_add_i32(FwCfgState *s, uint16_t key, uint32_t value)
{
    uint32_t le = GUINT32_TO_LE(value);

    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

void fw_cfg_add_i64(FwCfgState *s, uint16_t key, uint64_t value)
{
    uint64_t le = GUINT64_TO_LE(value);

    fw_cfg_add_bytes(s, key, &le, sizeof(le));
}

static bool fw_cfg_has_file(FwCfgState *s, const char *name)
{
    for (unsigned i = 0; i < s->nfiles; i++) {
        const char *entry = (const char *)s->dir->data + 4 + i * FW_CFG_DIR_ENTRY_SIZE + 8;

        if (strncmp(entry, name, FW_CFG_MAX_NAME) == 0) {
            return true;
        }
    }
    return false;
}

bool fw_cfg_add_file(FwCfgState *s, const char *name, const void *data, size_t len,
                     GError **errp)
{
    uint8_t entry[FW_CFG_DIR_ENTRY_SIZE] = { 0 };
    uint16_t key = FW_CFG_FILE_FIRST + s->nfiles;
    uint32_t be_count, be_size = GUINT32_TO_BE((uint32_t)len);
    uint16_t be_key = GUINT16_TO_BE(key);

    if (strlen(name) >= FW_CFG_MAX_NAME || !name[0]) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "fw_cfg: file name '%s' must have 1 to %d characters", name,
                        FW_CFG_MAX_NAME - 1);
        return false;
    }
    if (fw_cfg_has_file(s, name)) {
        error_setg_code(errp, PROTEUS_ERROR_EXISTS, "fw_cfg: file '%s' exists already",
                        name);
        return false;
    }
    if (s->nfiles == FW_CFG_MAX_FILES || len > UINT32_MAX) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID, "fw_cfg: no room for file '%s'", name);
        return false;
    }
    memcpy(entry, &be_size, 4);
    memcpy(entry + 4, &be_key, 2);
    memcpy(entry + 8, name, strlen(name));
    g_byte_array_append(s->dir, entry, sizeof(entry));
    s->nfiles++;
    be_count = GUINT32_TO_BE(s->nfiles);
    memcpy(s->dir->data, &be_count, 4);
    fw_cfg_add_bytes(s, FW_CFG_FILE_DIR, s->dir->data, s->dir->len);
    fw_cfg_add_bytes(s, key, data, len);
    return true;
}

/* ---- the port interface ---- */

static FwCfgItem *fw_cfg_current(FwCfgState *s)
{
    return g_hash_table_lookup(s->items, GUINT_TO_POINTER(s->cur_key));
}

static void fw_cfg_select(FwCfgState *s, uint16_t key)
{
    s->cur_key = key & FW_CFG_KEY_MASK;
    s->cur_offset = 0;
    if (!fw_cfg_current(s)) {
        log_mask(LOG_GUEST_ERROR, "fw_cfg: item 0x%04x does not exist (reads as zero)\n",
                 key);
    }
}

/* The next data byte of the selected item; zero past its end. */
static uint8_t fw_cfg_next_byte(FwCfgState *s)
{
    FwCfgItem *it = fw_cfg_current(s);

    if (!it || s->cur_offset >= it->len) {
        return 0;
    }
    return it->data[s->cur_offset++];
}

static uint64_t fw_cfg_ctl_read(void *opaque, hwaddr addr, unsigned size)
{
    FwCfgState *s = opaque;
    uint64_t value = 0;

    /* bytes of a wider read come in item order, the first the lowest */
    for (unsigned i = 0; i < size; i++) {
        value |= (uint64_t)fw_cfg_next_byte(s) << (8 * i);
    }
    return value;
}

static void fw_cfg_ctl_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    FwCfgState *s = opaque;

    if (addr == 0 && size == 2) {
        fw_cfg_select(s, value);
    } else {
        log_mask(LOG_GUEST_ERROR, "fw_cfg: %u-byte write of 0x%" G_GINT64_MODIFIER "x at "
                 "port offset %u ignored (the selector takes 16-bit writes at 0; data "
                 "is read-only)\n", size, (guint64)value, (unsigned)addr);
    }
}

static const MemoryRegionOps fw_cfg_ctl_ops = {
    .read = fw_cfg_ctl_read,
    .write = fw_cfg_ctl_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 2, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 2, .unaligned = true },
};

/* ---- DMA ---- */

typedef struct FwCfgDmaDesc {
    uint32_t control;
    uint32_t length;
    uint64_t address;
} FwCfgDmaDesc;

/* Reads (or with skip, passes over) length bytes of the item. */
static bool fw_cfg_dma_transfer(FwCfgState *s, uint32_t length, uint64_t address, bool skip)
{
    FwCfgItem *it = fw_cfg_current(s);
    uint32_t left = it && s->cur_offset < it->len ? it->len - s->cur_offset : 0;
    uint32_t copy = MIN(left, length);
    bool ok = true;

    if (!skip) {
        g_autofree uint8_t *buf = g_malloc0(length);

        if (copy) {
            memcpy(buf, it->data + s->cur_offset, copy);
        }
        ok = address_space_write(s->dma_as, address, buf, length) == MEMTX_OK;
    }
    s->cur_offset += copy;
    return ok;
}

static void fw_cfg_dma_run(FwCfgState *s, uint64_t desc_addr)
{
    uint8_t raw[16];
    FwCfgDmaDesc d;
    uint32_t status = 0;
    bool ok = true;

    if (address_space_read(s->dma_as, desc_addr, raw, sizeof(raw)) != MEMTX_OK) {
        log_mask(LOG_GUEST_ERROR, "fw_cfg: DMA descriptor at 0x%" G_GINT64_MODIFIER
                 "x is not in memory\n", (guint64)desc_addr);
        return;
    }
    memcpy(&d.control, raw, 4);
    memcpy(&d.length, raw + 4, 4);
    memcpy(&d.address, raw + 8, 8);
    d.control = GUINT32_FROM_BE(d.control);
    d.length = GUINT32_FROM_BE(d.length);
    d.address = GUINT64_FROM_BE(d.address);

    if (d.control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, d.control >> 16);
    }
    if (d.control & FW_CFG_DMA_CTL_READ) {
        ok = fw_cfg_dma_transfer(s, d.length, d.address, false);
    } else if (d.control & FW_CFG_DMA_CTL_SKIP) {
        ok = fw_cfg_dma_transfer(s, d.length, d.address, true);
    } else if (d.control & FW_CFG_DMA_CTL_WRITE) {
        log_mask(LOG_UNIMP, "fw_cfg: DMA writes to items are not supported\n");
        ok = false;
    }
    if (!ok) {
        status = GUINT32_TO_BE(FW_CFG_DMA_CTL_ERROR);
    }
    address_space_write(s->dma_as, desc_addr, &status, sizeof(status));
}

static uint64_t fw_cfg_dma_read(void *opaque, hwaddr addr, unsigned size)
{
    /* big-endian register: offset 0 holds the most significant bytes */
    return (FW_CFG_DMA_SIGNATURE << (8 * addr)) >> (64 - 8 * size);
}

static void fw_cfg_dma_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    FwCfgState *s = opaque;

    if (size == 8 && addr == 0) {
        s->dma_addr = value;
    } else if (size == 4 && addr == 0) {
        s->dma_addr = (value << 32) | (s->dma_addr & 0xffffffffu);
        return;     /* the high half only waits for the low half */
    } else if (size == 4 && addr == 4) {
        s->dma_addr = (s->dma_addr & ~0xffffffffull) | value;
    } else {
        log_mask(LOG_GUEST_ERROR, "fw_cfg: %u-byte DMA register write at offset %u "
                 "ignored\n", size, (unsigned)addr);
        return;
    }
    fw_cfg_dma_run(s, s->dma_addr);
    /* a new request starts from a zero high half (32-bit guests write only the low) */
    s->dma_addr = 0;
}

static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 8 },
};

/* ---- the device ---- */

static void fw_cfg_init(Object *obj)
{
    FwCfgState *s = FW_CFG_IO(obj);
    uint32_t zero = 0;

    s->items = g_hash_table_new_full(NULL, NULL, NULL, item_free);
    s->dir = g_byte_array_new();
    g_byte_array_append(s->dir, (const uint8_t *)&zero, 4);
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(s, FW_CFG_ID, FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA);
    fw_cfg_add_bytes(s, FW_CFG_FILE_DIR, s->dir->data, s->dir->len);
}

static bool fw_cfg_realize(DeviceState *dev, GError **errp)
{
    FwCfgState *s = FW_CFG_IO(dev);

    if (!s->dma_as) {
        s->dma_as = address_space_memory();
    }
    memory_region_init_io(&s->ctl_io, OBJECT(s), &fw_cfg_ctl_ops, s, "fw_cfg", 2);
    memory_region_init_io(&s->dma_io, OBJECT(s), &fw_cfg_dma_ops, s, "fw_cfg-dma", 8);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->ctl_io);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->dma_io);
    return true;
}

/* The regions may be mapped anywhere (an I/O space): taken out of it. */
static void fw_cfg_unrealize(DeviceState *dev)
{
    FwCfgState *s = FW_CFG_IO(dev);
    MemoryRegion *regions[] = { &s->ctl_io, &s->dma_io };

    for (size_t i = 0; i < G_N_ELEMENTS(regions); i++) {
        if (regions[i]->container) {
            memory_region_del_subregion(regions[i]->container, regions[i]);
        }
        memory_region_destroy(regions[i]);
    }
}

static void fw_cfg_reset(DeviceState *dev)
{
    FwCfgState *s = FW_CFG_IO(dev);

    s->cur_key = FW_CFG_SIGNATURE;
    s->cur_offset = 0;
    s->dma_addr = 0;
}

static void fw_cfg_finalize(Object *obj)
{
    FwCfgState *s = FW_CFG_IO(obj);

    g_hash_table_destroy(s->items);
    g_byte_array_free(s->dir, TRUE);
}

static void fw_cfg_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->desc = "firmware configuration interface (fw_cfg), port and DMA interfaces";
    dc->category = "misc";
    dc->user_creatable = false;
    dc->realize = fw_cfg_realize;
    dc->unrealize = fw_cfg_unrealize;
    dc->reset = fw_cfg_reset;
}

static const TypeInfo fw_cfg_type = {
    .name = TYPE_FW_CFG_IO,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(FwCfgState),
    .instance_init = fw_cfg_init,
    .instance_finalize = fw_cfg_finalize,
    .class_init = fw_cfg_class_init,
};

static void fw_cfg_register_types(void)
{
    type_register(&fw_cfg_type);
}

type_init(fw_cfg_register_types)

FwCfgState *fw_cfg_new(AddressSpace *dma_as)
{
    DeviceState *dev = device_new(TYPE_FW_CFG_IO, NULL);
    bool ok;

    g_assert(dev);          /* built in: the type exists */
    FW_CFG_IO(dev)->dma_as = dma_as;
    ok = device_realize(dev, NULL);
    g_assert(ok);           /* realizing cannot fail */
    return FW_CFG_IO(dev);
}

void fw_cfg_map_io(FwCfgState *s, MemoryRegion *io, hwaddr base)
{
    g_assert(DEVICE(s)->realized);
    memory_region_add_subregion(io, base, &s->ctl_io);
    memory_region_add_subregion(io, base + 4, &s->dma_io);
}

void fw_cfg_free(FwCfgState *s)
{
    object_unref(s);
}

/* ---- -fw_cfg ---- */

typedef struct FwCfgUserFile {
    char *name;
    char *path;         /* file=, or NULL */
    char *string;       /* string=, or NULL */
} FwCfgUserFile;

static GPtrArray *user_files;   /* FwCfgUserFile *, in command-line order */

bool fw_cfg_parse_option(const char *arg, GError **errp)
{
    g_autoptr(OptList) opts = opt_list_parse(arg, "-fw_cfg", NULL, errp);
    const char *name, *file, *string;
    FwCfgUserFile *f;

    if (!opts) {
        return false;
    }
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = g_ptr_array_index(opts->items, i);

        if (strcmp(it->key, "name") && strcmp(it->key, "file") && strcmp(it->key, "string")) {
            error_setg_code(errp, PROTEUS_ERROR_INVALID,
                            "-fw_cfg: unknown option '%s' (name=, file=, string=)", it->key);
            return false;
        }
    }
    name = opts->head ? opts->head : opt_list_get(opts, "name");
    file = opt_list_get(opts, "file");
    string = opt_list_get(opts, "string");
    if (!name || !name[0] || strlen(name) >= FW_CFG_MAX_NAME) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-fw_cfg %s: needs name=NAME of 1 to %d characters", arg,
                        FW_CFG_MAX_NAME - 1);
        return false;
    }
    if (!file == !string) {
        error_setg_code(errp, PROTEUS_ERROR_INVALID,
                        "-fw_cfg %s: needs exactly one of file=PATH and string=TEXT", arg);
        return false;
    }
    f = g_new0(FwCfgUserFile, 1);
    f->name = g_strdup(name);
    f->path = g_strdup(file);
    f->string = g_strdup(string);
    if (!user_files) {
        user_files = g_ptr_array_new();
    }
    g_ptr_array_add(user_files, f);
    return true;
}

bool fw_cfg_add_user_files(FwCfgState *s, GError **errp)
{
    for (guint i = 0; user_files && i < user_files->len; i++) {
        FwCfgUserFile *f = g_ptr_array_index(user_files, i);
        g_autofree char *data = NULL;
        gsize len;
        GError *err = NULL;

        if (f->path && !g_file_get_contents(f->path, &data, &len, &err)) {
            error_setg_code(errp, PROTEUS_ERROR_NOT_FOUND, "-fw_cfg name=%s,file=%s: %s",
                            f->name, f->path, err->message);
            g_error_free(err);
            return false;
        }
        if (f->string) {
            data = g_strdup(f->string);
            len = strlen(f->string);
        }
        if (!fw_cfg_add_file(s, f->name, data, len, errp)) {
            g_prefix_error(errp, "-fw_cfg: ");
            return false;
        }
    }
    return true;
}

#!/usr/bin/env python3
#
# Turns a flat x86 option ROM image (as linked from hw/i386/optionrom/*.S)
# into what firmware accepts, and into a C array linked into proteus:
#
#   optionrom.py RAW OUT.bin OUT.c SYMBOL
#
# It pads the image to whole 512-byte blocks with room for a last checksum
# byte, stores the block count at offset 2, makes the PnP expansion header
# (found through the word at 0x1a, PnP BIOS specification 1.0A, 3.2) sum to
# zero over its length, then makes the whole image sum to zero through its
# last byte. OUT.c defines `const uint8_t SYMBOL[]` and `SYMBOL_size`, as
# hw/i386/optionrom/optionrom.h declares them.

import struct
import sys

BLOCK = 512
MAX_BLOCKS = 255


def fail(message):
    sys.exit('optionrom.py: ' + message)


def sum_fix(image, start, length, at):
    """Sets image[at] so that image[start:start + length] sums to 0 mod 256."""
    image[at] = 0
    image[at] = -sum(image[start:start + length]) & 0xff


def sign(raw):
    if raw[:2] != b'\x55\xaa':
        fail('no 0x55 0xaa signature at offset 0')
    blocks = (len(raw) + 1 + BLOCK - 1) // BLOCK
    if blocks > MAX_BLOCKS:
        fail('%d bytes: larger than %d blocks' % (len(raw), MAX_BLOCKS))
    image = bytearray(raw) + bytes(blocks * BLOCK - len(raw))
    image[2] = blocks
    pnp = struct.unpack_from('<H', image, 0x1a)[0]
    if pnp:
        if image[pnp:pnp + 4] != b'$PnP':
            fail('the expansion header at 0x%x is not "$PnP"' % pnp)
        sum_fix(image, pnp, image[pnp + 5] * 16, pnp + 9)
    sum_fix(image, 0, len(image), len(image) - 1)
    return image


def c_array(image, symbol, source):
    rows = []
    for at in range(0, len(image), 12):
        rows.append('    ' + ' '.join('0x%02x,' % b for b in image[at:at + 12]))
    return ('/* %s, made by scripts/optionrom.py: do not edit. */\n'
            '#include "hw/i386/optionrom/optionrom.h"\n\n'
            'const uint8_t %s[%d] = {\n%s\n};\n'
            'const size_t %s_size = sizeof(%s);\n'
            % (source, symbol, len(image), '\n'.join(rows), symbol, symbol))


def main():
    if len(sys.argv) != 5:
        fail('usage: optionrom.py RAW OUT.bin OUT.c SYMBOL')
    raw_path, bin_path, c_path, symbol = sys.argv[1:]
    with open(raw_path, 'rb') as f:
        image = sign(f.read())
    with open(bin_path, 'wb') as f:
        f.write(image)
    with open(c_path, 'w') as f:
        f.write(c_array(image, symbol, raw_path.rsplit('/', 1)[-1]))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
#
# decodegen.py - build-time generator of instruction decoders for Proteus.
#
# Reads a table file (the format is described in docs/decode-tables.md) and
# writes a C fragment that a frontend #includes.  The fragment holds, for a
# table named NAME:
#   static bool decode_NAME(DisasContext *ctx, uint32_t insn);
#   static bool disas_NAME(uint32_t insn, char *buf, size_t len);
# The decoder extracts the fields of the matching pattern into its argument
# struct and calls trans_<pattern>(ctx, &args); the disassembler prints the
# pattern's format string.  Both walk the same generated decision tree: a
# switch on the fixed bits that every remaining candidate shares, recursively,
# and only then comparisons in table order (which is what gives `{ }` groups
# their first-match-wins meaning).
#
# Errors in the table are reported as "FILE:LINE: message" with exit status 1,
# so a broken table stops the build at the offending line.
#
# Standard library only, on purpose: it runs on any build host with python3.

import argparse
import os
import re
import sys

IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*$')
BITCHARS = set('01.-')
FMTCONV = re.compile(r'\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?\}')


class TableError(Exception):
    def __init__(self, line, msg):
        super().__init__(msg)
        self.line = line
        self.msg = msg


class Field:
    """%name: bit parts (pos, len, signed) concatenated high to low."""
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.parts = []
        self.shl = 0
        self.func = None

    def mask(self):
        m = 0
        for pos, length, _ in self.parts:
            m |= ((1 << length) - 1) << pos
        return m


class Format:
    """@name: bits shared by several patterns and how they fill an argument set."""
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.argset = None
        self.assigns = []


class Item:
    """A pattern (leaf) or a group (ordered list of items)."""
    def __init__(self, line):
        self.line = line
        self.fixmask = 0
        self.fixbits = 0


class Pattern(Item):
    def __init__(self, name, line):
        super().__init__(line)
        self.name = name
        self.argset = None
        self.assigns = []        # (member, kind, value): kind 'field' or 'const'
        self.disas = None


class Group(Item):
    def __init__(self, line):
        super().__init__(line)
        self.items = []


class Table:
    def __init__(self):
        self.width = 32
        self.width_line = None
        self.regnames = {}        # class -> C hook
        self.fields = {}
        self.argsets = {'empty': []}
        self.formats = {}
        self.root = Group(0)
        self.patterns = []


def tokenize(text, line):
    """Split a logical line into tokens; "..." is one token, # starts a comment."""
    toks = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '#':
            break
        elif c == '"':
            j = i + 1
            out = []
            while j < n and text[j] != '"':
                if text[j] == '\\' and j + 1 < n:
                    j += 1
                out.append(text[j])
                j += 1
            if j >= n:
                raise TableError(line, 'unterminated string')
            toks.append('"' + ''.join(out))
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '#"':
                j += 1
            toks.append(text[i:j])
            i = j
    return toks


def logical_lines(text):
    """Yield (first line number, text) with backslash continuations joined."""
    pending = None
    start = 0
    for num, raw in enumerate(text.split('\n'), 1):
        if pending is None:
            start = num
            pending = ''
        if raw.endswith('\\'):
            pending += raw[:-1] + ' '
            continue
        pending += raw
        yield start, pending
        pending = None
    if pending:
        yield start, pending


def check_ident(tok, line, what):
    if not IDENT.match(tok):
        raise TableError(line, 'bad %s name "%s"' % (what, tok))


def parse_bits(toks, i, line, width):
    """Consume bit tokens from toks[i:]; returns (mask, bits, dontcare, ignored, i)."""
    s = ''
    while i < len(toks) and toks[i] and set(toks[i]) <= BITCHARS:
        s += toks[i]
        i += 1
    if len(s) != width:
        raise TableError(line, 'bit pattern has %d bits, the table width is %d'
                         % (len(s), width))
    mask = bits = dc = ign = 0
    for k, c in enumerate(s):
        b = 1 << (width - 1 - k)
        if c in '01':
            mask |= b
            if c == '1':
                bits |= b
        elif c == '.':
            dc |= b
        else:
            ign |= b
    return mask, bits, dc, ign, i


def parse_field(tab, toks, line):
    name = toks[0][1:]
    check_ident(name, line, 'field')
    if name in tab.fields:
        raise TableError(line, 'field %%%s already defined' % name)
    f = Field(name, line)
    i = 1
    while i < len(toks):
        t = toks[i]
        if t == '!shl' or t == '!func':
            if i + 1 >= len(toks):
                raise TableError(line, '%s needs an argument' % t)
            arg = toks[i + 1]
            if t == '!shl':
                if not arg.isdigit() or int(arg) > 31:
                    raise TableError(line, 'bad shift "%s"' % arg)
                f.shl = int(arg)
            else:
                check_ident(arg, line, 'function')
                f.func = arg
            i += 2
            continue
        m = re.match(r'(\d+):(s?)(\d+)$', t)
        if not m:
            raise TableError(line, 'bad field part "%s" (want POS:LEN or POS:sLEN)' % t)
        pos, signed, length = int(m.group(1)), m.group(2) == 's', int(m.group(3))
        if length == 0 or pos + length > tab.width:
            raise TableError(line, 'field part %s lies outside the %d-bit instruction'
                             % (t, tab.width))
        if signed and f.parts:
            raise TableError(line, 'only the first (most significant) part may be signed')
        f.parts.append((pos, length, signed))
        i += 1
    if not f.parts:
        raise TableError(line, 'field %%%s has no bit parts' % name)
    if sum(p[1] for p in f.parts) + f.shl > 32:
        raise TableError(line, 'field %%%s is wider than 32 bits' % name)
    if bin(f.mask()).count('1') != sum(p[1] for p in f.parts):
        raise TableError(line, 'parts of field %%%s overlap each other' % name)
    tab.fields[name] = f


def parse_argset(tab, toks, line):
    name = toks[0][1:]
    check_ident(name, line, 'argument set')
    if name in tab.argsets:
        raise TableError(line, 'argument set &%s already defined' % name)
    members = []
    for t in toks[1:]:
        check_ident(t, line, 'argument')
        if t in members:
            raise TableError(line, 'argument %s listed twice' % t)
        members.append(t)
    tab.argsets[name] = members


def parse_tail(tab, toks, i, line, target):
    """Parse &set, @fmt, %field, name=%field, name=const, "disas" into target."""
    fmt = None
    while i < len(toks):
        t = toks[i]
        i += 1
        if t.startswith('"'):
            if not isinstance(target, Pattern):
                raise TableError(line, 'a format string belongs on a pattern')
            if target.disas is not None:
                raise TableError(line, 'two format strings')
            target.disas = t[1:]
        elif t.startswith('&'):
            if t[1:] not in tab.argsets:
                raise TableError(line, 'unknown argument set %s' % t)
            target.argset = t[1:]
        elif t.startswith('@'):
            if not isinstance(target, Pattern):
                raise TableError(line, 'a format cannot use another format')
            if t[1:] not in tab.formats:
                raise TableError(line, 'unknown format %s' % t)
            if fmt is not None:
                raise TableError(line, 'two formats on one pattern')
            fmt = tab.formats[t[1:]]
        elif t.startswith('%'):
            if t[1:] not in tab.fields:
                raise TableError(line, 'unknown field %s' % t)
            target.assigns.append((t[1:], 'field', t[1:]))
        elif '=' in t:
            member, value = t.split('=', 1)
            check_ident(member, line, 'argument')
            if value.startswith('%'):
                if value[1:] not in tab.fields:
                    raise TableError(line, 'unknown field %s' % value)
                target.assigns.append((member, 'field', value[1:]))
            elif re.match(r'-?(0x[0-9a-fA-F]+|\d+)$', value):
                num = int(value, 16 if 'x' in value else 10)
                if not -(1 << 31) <= num < (1 << 31):
                    raise TableError(line, 'constant %s does not fit in int32_t' % value)
                target.assigns.append((member, 'const', num))
            else:
                raise TableError(line, 'bad value "%s" for %s' % (value, member))
        else:
            raise TableError(line, 'unexpected "%s"' % t)
    return fmt


def parse_format(tab, toks, line):
    name = toks[0][1:]
    check_ident(name, line, 'format')
    if name in tab.formats:
        raise TableError(line, 'format @%s already defined' % name)
    f = Format(name, line)
    f.mask, f.bits, _, _, i = parse_bits(toks, 1, line, tab.width)
    parse_tail(tab, toks, i, line, f)
    tab.formats[name] = f


def parse_pattern(tab, toks, line, group):
    name = toks[0]
    check_ident(name, line, 'pattern')
    p = Pattern(name, line)
    mask, bits, _, _, i = parse_bits(toks, 1, line, tab.width)
    own = []
    p.assigns = own
    fmt = parse_tail(tab, toks, i, line, p)
    assigns = []
    if fmt is not None:
        if fmt.mask & mask & (fmt.bits ^ bits):
            raise TableError(line, 'fixed bits contradict format @%s' % fmt.name)
        mask |= fmt.mask
        bits |= fmt.bits
        if p.argset is None:
            p.argset = fmt.argset
        assigns = [a for a in fmt.assigns if a[0] not in [o[0] for o in own]]
    p.assigns = assigns + own
    p.fixmask, p.fixbits = mask, bits
    if p.argset is None:
        p.argset = 'empty'
    members = tab.argsets[p.argset]
    seen = set()
    used = 0
    for member, kind, value in p.assigns:
        if member not in members:
            raise TableError(line, '%s is not an argument of &%s' % (member, p.argset))
        if member in seen:
            raise TableError(line, 'argument %s set twice' % member)
        seen.add(member)
        if kind == 'field':
            used |= tab.fields[value].mask()
    for m in members:
        if m not in seen:
            raise TableError(line, 'argument %s of &%s is never set' % (m, p.argset))
    if used & mask:
        raise TableError(line, 'fields overlap fixed bits (mask 0x%x)' % (used & mask))
    for other in tab.patterns:
        if other.name == name and other.argset != p.argset:
            raise TableError(line, 'trans_%s already takes arg_%s' % (name, other.argset))
    if p.disas is not None:
        for m in FMTCONV.finditer(p.disas):
            if m.group(1) not in members:
                raise TableError(line, 'format string names unknown argument "%s"'
                                 % m.group(1))
            conv = m.group(2)
            if conv not in (None, 'd', 'u', 'x') and conv not in tab.regnames:
                raise TableError(line, 'no !regnames hook for class "%s"' % conv)
        if '{' in FMTCONV.sub('', p.disas.replace('{{', '').replace('}}', '')):
            raise TableError(line, 'malformed {...} in format string')
    tab.patterns.append(p)
    group.items.append(p)


def parse(path, text):
    tab = Table()
    stack = [tab.root]
    started = False
    for line, raw in logical_lines(text):
        toks = tokenize(raw, line)
        if not toks:
            continue
        t = toks[0]
        if t == '!width':
            if started or len(toks) != 2 or toks[1] not in ('16', '32'):
                raise TableError(line, '!width 16|32 must come before everything else')
            tab.width = int(toks[1])
        elif t == '!regnames':
            if len(toks) == 2:
                cls, hook = 'r', toks[1]
            elif len(toks) == 3:
                cls, hook = toks[1], toks[2]
            else:
                raise TableError(line, '!regnames [CLASS] HOOK')
            check_ident(hook, line, 'hook')
            if cls in ('d', 'u', 'x'):
                raise TableError(line, 'class "%s" is reserved' % cls)
            tab.regnames[cls] = hook
        elif t == '{':
            if len(toks) != 1:
                raise TableError(line, '"{" must stand alone')
            g = Group(line)
            stack[-1].items.append(g)
            stack.append(g)
        elif t == '}':
            if len(toks) != 1 or len(stack) == 1:
                raise TableError(line, 'unbalanced "}"')
            if not stack[-1].items:
                raise TableError(line, 'empty group')
            stack.pop()
        elif t.startswith('%'):
            parse_field(tab, toks, line)
        elif t.startswith('&'):
            parse_argset(tab, toks, line)
        elif t.startswith('@'):
            parse_format(tab, toks, line)
        elif t.startswith('!'):
            raise TableError(line, 'unknown directive %s' % t)
        else:
            parse_pattern(tab, toks, line, stack[-1])
        started = True
    if len(stack) != 1:
        raise TableError(stack[-1].line, 'group is never closed')
    if not tab.patterns:
        raise TableError(1, 'table has no patterns')
    set_group_bits(tab.root)
    check_overlaps(tab.root)
    return tab


def set_group_bits(g):
    """A group's fixed bits are those all of its members agree on."""
    mask = (1 << 32) - 1
    bits = None
    for it in g.items:
        if isinstance(it, Group):
            set_group_bits(it)
        if bits is None:
            bits = it.fixbits
        mask &= it.fixmask & ~(bits ^ it.fixbits)
    g.fixmask, g.fixbits = mask, bits & mask


def leaves(it):
    if isinstance(it, Pattern):
        return [it]
    return [p for sub in it.items for p in leaves(sub)]


def check_overlaps(g):
    """Outside groups, no instruction may match two items."""
    items = g.items
    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            for pa in leaves(items[a]):
                for pb in leaves(items[b]):
                    common = pa.fixmask & pb.fixmask
                    if not (pa.fixbits ^ pb.fixbits) & common:
                        raise TableError(pb.line, '%s overlaps %s (line %d) outside a group'
                                         % (pb.name, pa.name, pa.line))


class Emitter:
    def __init__(self, tab, name):
        self.tab = tab
        self.name = name
        self.out = []

    def w(self, depth, s):
        self.out.append('    ' * depth + s if s else '')

    def field_expr(self, fname):
        return '%s_field_%s(insn)' % (self.name, fname)

    def leaf(self, depth, p, disas, in_group):
        self.w(depth, '{')
        members = self.tab.argsets[p.argset]
        if members or not disas:
            self.w(depth + 1, 'arg_%s a;' % p.argset)
        if not members and not disas:
            self.w(depth + 1, 'a.unused_ = 0;')
        for member, kind, value in p.assigns:
            if kind == 'field':
                self.w(depth + 1, 'a.%s = %s;' % (member, self.field_expr(value)))
            else:
                self.w(depth + 1, 'a.%s = %d;' % (member, value))
        if disas:
            fmt, args = self.disas_format(p)
            if members and not any('a.' in a for a in args):
                self.w(depth + 1, '(void)a;    /* the text names no member */')
            self.w(depth + 1, 'snprintf(buf, len, %s%s);' % (fmt, ''.join(', ' + a for a in args)))
            self.w(depth + 1, 'return true;')
        elif in_group:
            # A declining trans_ lets the next member of the group try.
            self.w(depth + 1, 'if (trans_%s(ctx, &a)) {' % p.name)
            self.w(depth + 2, 'return true;')
            self.w(depth + 1, '}')
        else:
            self.w(depth + 1, 'return trans_%s(ctx, &a);' % p.name)
        self.w(depth, '}')

    def disas_format(self, p):
        text = p.disas
        args = []
        if text is None:
            members = self.tab.argsets[p.argset]
            text = p.name + (' ' if members else '') + \
                ', '.join('{%s}' % m for m in members)
        out = []
        i = 0
        while i < len(text):
            if text.startswith('{{', i) or text.startswith('}}', i):
                out.append(text[i])
                i += 2
                continue
            m = FMTCONV.match(text, i)
            if m:
                conv = m.group(2)
                val = 'a.' + m.group(1)
                if conv in (None, 'd'):
                    out.append('%d')
                    args.append('(int)' + val)
                elif conv == 'u':
                    out.append('%u')
                    args.append('(unsigned)' + val)
                elif conv == 'x':
                    out.append('%s0x%x')
                    args.append('%s < 0 ? "-" : ""' % val)
                    args.append('%s < 0 ? -(unsigned)%s : (unsigned)%s' % (val, val, val))
                else:
                    out.append('%s')
                    args.append('%s(%s)' % (self.tab.regnames[conv], val))
                i = m.end()
                continue
            c = text[i]
            out.append('%%' if c == '%' else c)
            i += 1
        return c_string(''.join(out)), args

    def node(self, depth, items, known, disas):
        """Emit code that matches `items`, which are disjoint top-level items
        (so any order is correct); bits in `known` were tested already."""
        share = self.pick_switch(items, known)
        if share:
            self.w(depth, 'switch (insn & 0x%08x) {' % share)
            cases = {}
            for it in items:
                cases.setdefault(it.fixbits & share, []).append(it)
            for val in sorted(cases):
                self.w(depth, 'case 0x%08x:' % val)
                self.node(depth + 1, cases[val], known | share, disas)
                self.w(depth + 1, 'return false;')
            self.w(depth, 'default:')
            self.w(depth + 1, 'return false;')
            self.w(depth, '}')
            return
        for it in items:
            rest = it.fixmask & ~known
            if rest:
                self.w(depth, 'if ((insn & 0x%08x) == 0x%08x) {' % (rest, it.fixbits & rest))
            else:
                self.w(depth, '{')
            if isinstance(it, Group):
                self.group(depth + 1, it, known | rest, disas)
            else:
                self.leaf(depth + 1, it, disas, False)
            self.w(depth, '}')

    @staticmethod
    def pick_switch(items, known):
        """Switch on the bits fixed in every item and not yet tested.  Real
        tables fix an opcode field in every pattern, so this splits them at
        once; where nothing is shared the few items are compared in turn."""
        share = (1 << 32) - 1
        for it in items:
            share &= it.fixmask
        share &= ~known
        return share if len(items) > 2 else 0

    def group(self, depth, g, known, disas):
        """Members in order; a member whose trans_ declines lets later ones try."""
        for it in g.items:
            rest = it.fixmask & ~known
            if rest:
                self.w(depth, 'if ((insn & 0x%08x) == 0x%08x) {' % (rest, it.fixbits & rest))
            else:
                self.w(depth, '{')
            if isinstance(it, Group):
                self.group(depth + 1, it, known | rest, disas)
            else:
                self.leaf(depth + 1, it, disas, True)
            self.w(depth, '}')

    def emit(self, src):
        tab = self.tab
        w = self.w
        w(0, '/* Generated by scripts/decodegen.py from %s; do not edit. */' % src)
        w(0, '#include <stdbool.h>')
        w(0, '#include <stdint.h>')
        w(0, '#include <stdio.h>')
        w(0, '')
        w(0, '#ifndef DECODEGEN_HELPERS')
        w(0, '#define DECODEGEN_HELPERS')
        w(0, 'static inline int32_t decodegen_ex(uint32_t insn, int pos, int len)')
        w(0, '{')
        w(1, 'return (int32_t)((insn >> pos) & (~0u >> (32 - len)));')
        w(0, '}')
        w(0, '')
        w(0, 'static inline int32_t decodegen_sex(uint32_t insn, int pos, int len)')
        w(0, '{')
        w(1, 'return (int32_t)(insn << (32 - pos - len)) >> (32 - len);')
        w(0, '}')
        w(0, '#endif')
        w(0, '')
        for aname, members in tab.argsets.items():
            guard = 'DECODEGEN_ARG_%s' % aname
            sig = guard + '__' + '_'.join(members)
            w(0, '#if defined(%s) && !defined(%s)' % (guard, sig))
            w(0, '#error "arg_%s is defined differently by another table"' % aname)
            w(0, '#endif')
            w(0, '#ifndef %s' % guard)
            w(0, '#define %s' % guard)
            w(0, '#define %s' % sig)
            w(0, 'typedef struct {')
            for m in members or ['unused_']:
                w(1, 'int32_t %s;' % m)
            w(0, '} arg_%s;' % aname)
            w(0, '#endif')
            w(0, '')
        for fname, f in tab.fields.items():
            w(0, 'static inline int32_t %s_field_%s(uint32_t insn)' % (self.name, fname))
            w(0, '{')
            expr = None
            for pos, length, signed in f.parts:
                part = 'decodegen_%s(insn, %d, %d)' % ('sex' if signed else 'ex', pos, length)
                if expr is None:
                    expr = part
                else:
                    expr = '(int32_t)(((uint32_t)%s << %d) | (uint32_t)%s)' % (expr, length, part)
            if f.shl:
                expr = '(int32_t)((uint32_t)(%s) << %d)' % (expr, f.shl)
            if f.func:
                expr = '%s(%s)' % (f.func, expr)
            w(1, 'return %s;' % expr)
            w(0, '}')
            w(0, '')
        declared = set()
        for p in tab.patterns:
            if p.name not in declared:
                declared.add(p.name)
                w(0, 'static bool trans_%s(DisasContext *ctx, arg_%s *a);' % (p.name, p.argset))
        w(0, '')
        w(0, 'static bool decode_%s(DisasContext *ctx, uint32_t insn)' % self.name)
        w(0, '{')
        self.node(1, tab.root.items, 0, False)
        w(1, 'return false;')
        w(0, '}')
        w(0, '')
        w(0, 'static bool disas_%s(uint32_t insn, char *buf, size_t len)' % self.name)
        w(0, '{')
        w(1, 'if (len) {')
        w(2, 'buf[0] = 0;')
        w(1, '}')
        self.node(1, tab.root.items, 0, True)
        w(1, 'return false;')
        w(0, '}')
        return '\n'.join(self.out) + '\n'


def c_string(s):
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append('\\' + c)
        elif ' ' <= c <= '~':
            out.append(c)
        else:
            out.append('\\%03o' % ord(c))
    out.append('"')
    return ''.join(out)


def main():
    ap = argparse.ArgumentParser(description='Generate a C decoder from a .decode table.')
    ap.add_argument('-o', '--output', required=True)
    ap.add_argument('-n', '--name', help='table name (default: input file stem)')
    ap.add_argument('input')
    args = ap.parse_args()
    name = args.name or os.path.splitext(os.path.basename(args.input))[0]
    name = re.sub(r'[^A-Za-z0-9_]', '_', name)
    try:
        with open(args.input, encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        print('%s: %s' % (args.input, e.strerror), file=sys.stderr)
        return 1
    try:
        tab = parse(args.input, text)
    except TableError as e:
        print('%s:%d: %s' % (args.input, e.line, e.msg), file=sys.stderr)
        return 1
    code = Emitter(tab, name).emit(os.path.basename(args.input))
    tmp = args.output + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(code)
    os.replace(tmp, args.output)
    return 0


if __name__ == '__main__':
    sys.exit(main())

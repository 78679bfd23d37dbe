#!/usr/bin/env python3
"""Build-time tool: slims the .BTF and .BTF.ext of a clang BPF object to what
tcpdrop's loader reads.

Usage: btfslim.py IN.BTF IN.BTF.ext OUT.BTF OUT.BTF.ext
(the raw section contents, as llvm-objcopy --dump-section writes them; the
Makefile puts the results back with llvm-objcopy --update-section).

The loader (src/object.c, src/btf.c) never hands BTF, func_info or line_info
to the kernel: it reads the object's own types and the CO-RE relocation
records of .BTF.ext, and applies those itself. clang has no switch for BTF
without line info (clang 14 crashes on -gline-tables-only for BPF), and
line_info is most of .BTF.ext, its source lines most of the .BTF strings. So:
  - .BTF.ext keeps its header and the CO-RE subsection only; func_info and
    line_info become empty (offset 0, length 0);
  - .BTF keeps every type as it is (same type ids, which the CO-RE records
    name) and a string table holding only the strings the types and the
    CO-RE records name, each name_off/sec_name_off/access_str_off rewritten.
Formats: the kernel's Documentation/bpf/btf.rst (".BTF section", ".BTF.ext
section") and include/uapi/linux/btf.h; the .BTF.ext header is libbpf's
struct btf_ext_header (tools/lib/bpf/libbpf_internal.h).
Anything it does not know (another BTF version, kind or CO-RE record size)
stops the build with one line on stderr, rather than guess.
"""
import struct
import sys

BTF_MAGIC = 0xEB9F
BTF_VERSION = 1
BTF_HDR = struct.Struct("<HBBIIIII")        # magic version flags hdr_len
                                            # type_off type_len str_off str_len
EXT_HDR = struct.Struct("<HBBIIIIIII")      # magic version flags hdr_len
                                            # func_info off/len line_info
                                            # off/len core_relo off/len
CORE_RELO = struct.Struct("<IIII")          # insn_off type_id access_str_off
                                            # kind (struct bpf_core_relo)

# Per kind: bytes after struct btf_type (12 bytes) as (fixed, per vlen
# entry), and whether each vlen entry starts with a name_off.
KINDS = {
    1: (4, 0, False),      # INT: encoding u32
    2: (0, 0, False),      # PTR
    3: (12, 0, False),     # ARRAY: struct btf_array
    4: (0, 12, True),      # STRUCT: struct btf_member
    5: (0, 12, True),      # UNION: struct btf_member
    6: (0, 8, True),       # ENUM: struct btf_enum
    7: (0, 0, False),      # FWD
    8: (0, 0, False),      # TYPEDEF
    9: (0, 0, False),      # VOLATILE
    10: (0, 0, False),     # CONST
    11: (0, 0, False),     # RESTRICT
    12: (0, 0, False),     # FUNC
    13: (0, 8, True),      # FUNC_PROTO: struct btf_param
    14: (4, 0, False),     # VAR: struct btf_var
    15: (0, 12, False),    # DATASEC: struct btf_var_secinfo
    16: (0, 0, False),     # FLOAT
    17: (4, 0, False),     # DECL_TAG: struct btf_decl_tag
    18: (0, 0, False),     # TYPE_TAG
    19: (0, 12, True),     # ENUM64: struct btf_enum64
}


class SlimError(Exception):
    pass


class Strings:
    """The new string table: "" at offset 0, then each kept string once, in
    the order first asked for (the output is the same for the same input)."""

    def __init__(self, old):
        self.old = old
        self.out = bytearray(b"\0")
        self.offs = {b"": 0}

    def remap(self, off):
        if off >= len(self.old):
            raise SlimError("string offset %d outside the string table" % off)
        end = self.old.find(b"\0", off)
        if end < 0:
            raise SlimError("unterminated string at offset %d" % off)
        s = bytes(self.old[off:end])
        if s not in self.offs:
            self.offs[s] = len(self.out)
            self.out += s + b"\0"
        return self.offs[s]


def remap_at(buf, pos, strings):
    """Rewrites the u32 string offset at buf[pos]."""
    (off,) = struct.unpack_from("<I", buf, pos)
    struct.pack_into("<I", buf, pos, strings.remap(off))


def rewrite_types(types, strings):
    """Walks every type (kernel btf.rst "Type encoding"), rewriting each
    string offset in place; returns the number of types."""
    pos, count = 0, 0
    while pos < len(types):
        if len(types) - pos < 12:
            raise SlimError("truncated type at byte %d" % pos)
        info = struct.unpack_from("<I", types, pos + 4)[0]
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if kind not in KINDS:
            raise SlimError("unknown BTF kind %d at byte %d" % (kind, pos))
        fixed, per_entry, entry_named = KINDS[kind]
        remap_at(types, pos, strings)
        entries = pos + 12 + fixed
        end = entries + vlen * per_entry
        if end > len(types):
            raise SlimError("truncated type at byte %d" % pos)
        if entry_named:
            for e in range(entries, end, per_entry):
                remap_at(types, e, strings)
        pos, count = end, count + 1
    return count


def core_subsection(ext, hdr_len, off, length):
    """The CO-RE subsection: rec_size, then per program section its name,
    record count and records. Returns it, checked, as a bytearray."""
    body = ext[hdr_len:]
    if off + length > len(body):
        raise SlimError("CO-RE subsection outside .BTF.ext")
    sub = bytearray(body[off:off + length])
    if length == 0:
        return sub
    if length < 4:
        raise SlimError("CO-RE subsection has no record size")
    (rec_size,) = struct.unpack_from("<I", sub, 0)
    # A larger record could carry more string offsets: refuse to guess.
    if rec_size != CORE_RELO.size:
        raise SlimError("CO-RE record size %d, not %d" %
                        (rec_size, CORE_RELO.size))
    return sub


def rewrite_core(sub, strings):
    """Rewrites sec_name_off and every access_str_off; returns the number
    of CO-RE records."""
    pos, count = 4, 0
    while pos < len(sub):
        if len(sub) - pos < 8:
            raise SlimError("truncated CO-RE section header")
        num = struct.unpack_from("<I", sub, pos + 4)[0]
        remap_at(sub, pos, strings)
        pos += 8
        if pos + num * CORE_RELO.size > len(sub):
            raise SlimError("truncated CO-RE records")
        for _ in range(num):
            remap_at(sub, pos + 8, strings)
            pos += CORE_RELO.size
        count += num
    return count


def slim(btf, ext):
    """Returns (new .BTF, new .BTF.ext, types, CO-RE records)."""
    if len(btf) < BTF_HDR.size:
        raise SlimError(".BTF shorter than its header")
    (magic, version, flags, hdr_len, type_off, type_len, str_off,
     str_len) = BTF_HDR.unpack_from(btf)
    if magic != BTF_MAGIC or version != BTF_VERSION or hdr_len != BTF_HDR.size:
        raise SlimError(".BTF: not a little-endian version 1 BTF header")
    if (hdr_len + type_off + type_len > len(btf) or
            hdr_len + str_off + str_len > len(btf)):
        raise SlimError(".BTF: sections outside the data")
    types = bytearray(btf[hdr_len + type_off:hdr_len + type_off + type_len])
    strings = Strings(btf[hdr_len + str_off:hdr_len + str_off + str_len])
    ntypes = rewrite_types(types, strings)

    if len(ext) < EXT_HDR.size:
        raise SlimError(".BTF.ext shorter than the header with CO-RE fields")
    (magic, version, flags, ext_hdr_len, _fo, _fl, _lo, _ll, core_off,
     core_len) = EXT_HDR.unpack_from(ext)
    if (magic != BTF_MAGIC or version != BTF_VERSION or
            ext_hdr_len != EXT_HDR.size):
        raise SlimError(".BTF.ext: not a little-endian version 1 header")
    core = core_subsection(ext, ext_hdr_len, core_off, core_len)
    nrelos = rewrite_core(core, strings)

    # Types first, strings after them, as clang lays them out.
    str_out = bytes(strings.out)
    new_btf = BTF_HDR.pack(BTF_MAGIC, BTF_VERSION, flags, BTF_HDR.size, 0,
                           len(types), len(types), len(str_out))
    new_btf += bytes(types) + str_out
    new_ext = EXT_HDR.pack(BTF_MAGIC, BTF_VERSION, 0, EXT_HDR.size,
                           0, 0, 0, 0, 0, len(core)) + bytes(core)
    return new_btf, new_ext, ntypes, nrelos


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: btfslim.py IN.BTF IN.BTF.ext OUT.BTF "
                         "OUT.BTF.ext\n")
        return 2
    with open(argv[1], "rb") as f:
        btf = f.read()
    with open(argv[2], "rb") as f:
        ext = f.read()
    try:
        new_btf, new_ext, _, _ = slim(btf, ext)
    except SlimError as e:
        sys.stderr.write("btfslim: %s: %s\n" % (argv[1], e))
        return 1
    with open(argv[3], "wb") as f:
        f.write(new_btf)
    with open(argv[4], "wb") as f:
        f.write(new_ext)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

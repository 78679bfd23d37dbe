#!/usr/bin/env python3
"""Make a BTF file that loads but does not describe the running kernel.

usage: btf_patch.py IN OUT STRUCT MEMBER DELTA

Copies the raw BTF file IN to OUT with the offset of STRUCT.MEMBER moved
by DELTA bytes, as another kernel's BTF would have it. The layout read is
the kernel's (include/uapi/linux/btf.h): a header, then btf_type records,
each followed by data whose size depends on its kind. Exits 1 with one
line on stderr when STRUCT.MEMBER is not there.
"""
import struct
import sys

BTF_MAGIC = 0xEB9F
KIND_STRUCT, KIND_UNION = 4, 5


def extra_size(kind, vlen):
    """Bytes that follow a btf_type of this kind (btf.h)."""
    fixed = {1: 4, 3: 12, 14: 4, 17: 4}
    per_member = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
    return fixed.get(kind, 0) + per_member.get(kind, 0) * vlen


def patch(data, struct_name, member_name, delta):
    magic, _, _, hdr_len, type_off, type_len, str_off, _ = struct.unpack_from(
        "<HBBIIIII", data, 0)
    if magic != BTF_MAGIC:
        raise ValueError("not raw BTF")
    types, strs = hdr_len + type_off, hdr_len + str_off

    def name(off):
        end = data.index(b"\0", strs + off)
        return data[strs + off:end].decode()

    pos = types
    while pos < types + type_len:
        name_off, info, _ = struct.unpack_from("<III", data, pos)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        members = pos + 12
        if kind in (KIND_STRUCT, KIND_UNION) and name(name_off) == struct_name:
            for i in range(vlen):
                m = members + 12 * i
                m_name, _, offset = struct.unpack_from("<III", data, m)
                if name(m_name) == member_name:
                    bits = (offset & 0xFFFFFF) + delta * 8
                    struct.pack_into("<I", data, m + 8,
                                     (offset & ~0xFFFFFF) | bits)
                    return
        pos = members + extra_size(kind, vlen)
    raise ValueError("no %s.%s" % (struct_name, member_name))


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: btf_patch.py IN OUT STRUCT MEMBER DELTA")
    src, dst, struct_name, member_name, delta = sys.argv[1:]
    with open(src, "rb") as f:
        data = bytearray(f.read())
    try:
        patch(data, struct_name, member_name, int(delta))
    except ValueError as e:
        sys.exit("btf_patch.py: %s" % e)
    with open(dst, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()

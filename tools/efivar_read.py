#!/usr/bin/env python3
"""Print the results a save_efivar=on boot stored in UEFI variables.

  tools/efivar_read.py                        # Linux: /sys/firmware/efi/efivars (root)
  tools/efivar_read.py --efivarfs DIR         # a copy of an efivarfs directory
  tools/efivar_read.py --ovmf-vars VARS.fd    # an OVMF variable store (QEMU's pflash copy)

numaboot stores NumabootResult, NumabootResult1, ... (vendor GUID
4e554d41-424f-4f54-8d1e-4f5a2b3c1107), each a run of JSON lines that starts
with a "saved" record {"part","parts","boot","dropped"}.  This tool
reassembles the parts of the newest boot in order and prints the JSON
lines: the input of tools/regress.py (`tools/efivar_read.py > boot.json;
tools/regress.py boot.json`).  Warnings go to stderr: parts missing,
parts of another boot, records the kernel left out.

Exit status (docs/output.md): 0 all parts found, 1 incomplete (what was
found is printed), 2 bad arguments, 4 no NumabootResult variable, an empty
one, or an unreadable or malformed store.
"""
import argparse
import json
import os
import struct
import sys
import uuid

VENDOR = uuid.UUID('4e554d41-424f-4f54-8d1e-4f5a2b3c1107')
NAME = 'NumabootResult'
PARTS_MAX = 8       # kernel/report_save.c SAVE_PARTS_MAX
EFIVARFS = '/sys/firmware/efi/efivars'

# OVMF's variable store: a firmware volume (PI 1.7 vol 3 §3.2.1) whose
# header is followed by a VARIABLE_STORE_HEADER and the variables
# (EDK II MdeModulePkg/Include/Guid/VariableFormat.h): header, name, data,
# then the next header at a 4-byte boundary (HEADER_ALIGNMENT).
FVH_SIGNATURE = b'_FVH'
FVH_SIGNATURE_OFFSET = 0x28
FVH_HEADER_LENGTH_OFFSET = 0x30
AUTH_VARIABLE_GUID = uuid.UUID('aaf32c78-947b-439a-a180-2e144ec37792')
VARIABLE_GUID = uuid.UUID('ddcf3616-3275-4164-98b6-fe85707ffe7d')
STORE_HEADER_SIZE = 28          # GUID, Size, Format, State, 2+4 reserved
START_ID = 0x55AA
VAR_ADDED = 0x3F                # State bits are cleared as a variable ages:
VAR_IN_DELETED_TRANSITION = 0xFE    # ADDED & IN_DELETED_TRANSITION = 0x3E is
                                    # still the live copy until its successor lands
AUTH_HEADER = struct.Struct('<HBBIQ16sIII16s')   # 60 bytes
PLAIN_HEADER = struct.Struct('<HBBIII16s')       # 32 bytes


class StoreError(Exception):
    pass


def _align4(n):
    return (n + 3) & ~3


def ovmf_variables(blob):
    """{(name, vendor uuid): data} of the live variables in an OVMF store."""
    if blob[FVH_SIGNATURE_OFFSET:FVH_SIGNATURE_OFFSET + 4] != FVH_SIGNATURE:
        raise StoreError('no firmware volume header (_FVH) at the start: not an OVMF variable store')
    off = struct.unpack_from('<H', blob, FVH_HEADER_LENGTH_OFFSET)[0]
    store_guid = uuid.UUID(bytes_le=blob[off:off + 16])
    if store_guid == AUTH_VARIABLE_GUID:
        hdr, auth = AUTH_HEADER, True
    elif store_guid == VARIABLE_GUID:
        hdr, auth = PLAIN_HEADER, False
    else:
        raise StoreError(f'unknown variable store format {store_guid}')
    size = struct.unpack_from('<I', blob, off + 16)[0]
    end = min(len(blob), off + size)
    pos = _align4(off + STORE_HEADER_SIZE)
    live, transition = {}, {}
    while pos + hdr.size <= end:
        fields = hdr.unpack_from(blob, pos)
        if fields[0] != START_ID:
            break
        state = fields[1]
        name_size, data_size, guid = (fields[7], fields[8], fields[9]) if auth else fields[4:7]
        name_at = pos + hdr.size
        data_at = name_at + name_size     # GET_PAD_SIZE is 0 on x86 (ALIGNMENT 1)
        if data_at + data_size > end:
            raise StoreError(f'variable at 0x{pos:x} runs past the store')
        name = blob[name_at:name_at + name_size].decode('utf-16-le', 'replace').rstrip('\0')
        key = (name, uuid.UUID(bytes_le=guid))
        if state == VAR_ADDED:
            live[key] = blob[data_at:data_at + data_size]
        elif state == VAR_ADDED & VAR_IN_DELETED_TRANSITION:
            transition[key] = blob[data_at:data_at + data_size]
        pos = _align4(data_at + data_size)
    return {**transition, **live}


def part_name(i):
    return NAME if i == 0 else f'{NAME}{i}'


def parts_from_ovmf(path):
    with open(path, 'rb') as f:
        variables = ovmf_variables(f.read())
    return [variables.get((part_name(i), VENDOR)) for i in range(PARTS_MAX)]


def parts_from_efivarfs(directory):
    """efivarfs files are 4 bytes of attributes, then the data."""
    parts = []
    for i in range(PARTS_MAX):
        path = os.path.join(directory, f'{part_name(i)}-{VENDOR}')
        try:
            with open(path, 'rb') as f:
                parts.append(f.read()[4:])
        except FileNotFoundError:
            parts.append(None)
    return parts


def _header(lines):
    try:
        h = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        return {}
    return h if h.get('kind') == 'saved' else {}


def assemble(parts):
    """(JSON lines, warnings, complete) from the raw parts (None: absent).
    Parts written by an older kernel (one variable, no "saved" record) are
    printed as they are."""
    texts = [p.decode('utf-8', 'replace').splitlines() if p is not None else None for p in parts]
    if texts[0] is None:
        return [], [f'no {NAME} variable'], False
    first = _header(texts[0])
    if not first:
        return texts[0], [], True
    want, stamp = first.get('parts', 1), first.get('boot')
    lines, warnings = [], []
    for i in range(min(want, PARTS_MAX)):
        h = _header(texts[i]) if texts[i] is not None else {}
        if not h:
            warnings.append(f'{part_name(i)} is missing')
        elif h.get('boot') != stamp or h.get('part') != i:
            warnings.append(f'{part_name(i)} belongs to another boot (stamp {h.get("boot")}, want {stamp})')
        else:
            lines += texts[i]
    if first.get('dropped'):
        warnings.append(f'the kernel left out {first["dropped"]} record(s): the variables were full')
    complete = not any('missing' in w or 'another boot' in w for w in warnings)
    return lines, warnings, complete


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group()
    src.add_argument('--efivarfs', default=None, help=f'efivarfs directory (default {EFIVARFS})')
    src.add_argument('--ovmf-vars', default=None, help='OVMF variable store file')
    a = p.parse_args(argv)
    try:
        parts = parts_from_ovmf(a.ovmf_vars) if a.ovmf_vars else parts_from_efivarfs(a.efivarfs or EFIVARFS)
    except (OSError, StoreError, struct.error) as exc:
        print(f'efivar_read: {exc}', file=sys.stderr)
        return 4
    lines, warnings, complete = assemble(parts)
    for w in warnings:
        print(f'efivar_read: {w}', file=sys.stderr)
    if not lines:
        if not warnings:
            print(f'efivar_read: {NAME} holds no records', file=sys.stderr)
        return 4
    for line in lines:
        print(line)
    return 0 if complete else 1


if __name__ == '__main__':
    sys.exit(main())

#!/bin/sh
# Make a bootable GPT disk image for a USB stick, without root or loop
# devices:  tools/mkimage.sh OUT.img BOOTX64.EFI numaboot.cfg
#
# Layout: protective MBR + GPT (sfdisk, util-linux), one EFI system
# partition from 1 MiB to the end, FAT32 (mkfs.fat --offset) holding
# EFI/BOOT/BOOTX64.EFI and EFI/BOOT/numaboot.cfg (mtools, addressed at the
# partition's byte offset with IMG@@OFFSET).  IMAGE_MIB sets the size
# (default 64: FAT32 needs at least ~33 MiB, and some firmware reads only
# FAT32 ESPs).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 OUT.img BOOTX64.EFI numaboot.cfg" >&2; exit 2; }
out=$1 efi=$2 cfg=$3
mib=${IMAGE_MIB:-64}
start=2048				# first partition sector (1 MiB)
gpt_tail=33				# backup GPT: header + 32 sectors of entries
sectors=$((mib * 2048))
# whole MiB, so the FAT is 4 KiB aligned and the GPT backup fits after it
part_sectors=$(((sectors - start - gpt_tail) / 2048 * 2048))
tmp=$out.tmp.$$
rm -f "$tmp"
truncate -s "${mib}M" "$tmp"
printf 'label: gpt\nstart=%d, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"\n' \
	"$start" "$part_sectors" | sfdisk --quiet --no-reread --no-tell-kernel "$tmp"
# mkfs.fat takes the size in KiB blocks; --offset in sectors.
# (it warns that the file is larger than the partition: that is the GPT tail)
if ! mkfs.fat -F 32 -n NUMABOOT --offset "$start" "$tmp" $((part_sectors / 2)) >"$tmp.log" 2>&1; then
	cat "$tmp.log" >&2
	rm -f "$tmp" "$tmp.log"
	exit 1
fi
rm -f "$tmp.log"
export MTOOLS_SKIP_CHECK=1
esp="$tmp@@$((start * 512))"
mmd -i "$esp" ::/EFI ::/EFI/BOOT
mcopy -i "$esp" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$cfg" ::/EFI/BOOT/numaboot.cfg
mv "$tmp" "$out"
echo "built $out ($mib MiB, GPT, FAT32 ESP at 1 MiB)"

package org.hast.testing;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Derives hostile inputs from valid nv blobs: bit flips, truncations, extensions, entry
 * header fields (type byte, namesize, dsize) set to odd values, splices, duplicated or removed
 * ranges, and plain random bytes. Deterministic for a given {@link Random}.
 */
public final class Mutator {
    private static final long[] ODD_DSIZES = {
        0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 4095, 4096, 4097,
        0x7fff_ffffL, 0x8000_0000L, 0xffff_fff8L, 0xffff_ffffL,
    };

    private final Random random;
    private final List<byte[]> seeds;

    public Mutator(Random random, List<byte[]> seeds) {
        this.random = random;
        this.seeds = seeds;
    }

    /** One new input: 10% random bytes, 5% random entry headers, else 1–4 mutations of a seed. */
    public byte[] next() {
        int dice = random.nextInt(100);
        if (dice < 10) {
            byte[] junk = new byte[random.nextInt(300)];
            random.nextBytes(junk);
            return junk;
        }
        if (dice < 15) {
            return randomEntries();
        }
        byte[] blob = seeds.get(random.nextInt(seeds.size())).clone();
        int rounds = 1 + random.nextInt(4);
        for (int i = 0; i < rounds; i++) {
            blob = mutate(blob);
        }
        return blob;
    }

    private byte[] mutate(byte[] blob) {
        int op = random.nextInt(11);
        if (blob.length == 0 && op < 7) {
            op = 3;
        }
        switch (op) {
            case 0: { // flip one bit
                int at = random.nextInt(blob.length);
                blob[at] ^= (byte) (1 << random.nextInt(8));
                return blob;
            }
            case 1: { // overwrite one byte
                blob[random.nextInt(blob.length)] = (byte) random.nextInt(256);
                return blob;
            }
            case 2: // truncate
                return Arrays.copyOf(blob, random.nextInt(blob.length + 1));
            case 3: { // extend with random bytes or zeros
                int extra = 1 + random.nextInt(32);
                byte[] out = Arrays.copyOf(blob, blob.length + extra);
                if (random.nextBoolean()) {
                    for (int i = blob.length; i < out.length; i++) {
                        out[i] = (byte) random.nextInt(256);
                    }
                }
                return out;
            }
            case 4: { // type byte of an entry
                int at = entryOffset(blob);
                int type = random.nextInt(4) == 0 ? random.nextInt(256) : random.nextInt(20);
                blob[at] = (byte) (random.nextBoolean() ? type : type | 0x80);
                return blob;
            }
            case 5: { // namesize of an entry
                int at = entryOffset(blob);
                if (at + 1 < blob.length) {
                    blob[at + 1] = (byte) (random.nextBoolean() ? random.nextInt(256)
                            : (blob[at + 1] & 0xff) + random.nextInt(5) - 2);
                }
                return blob;
            }
            case 6: { // dsize of an entry
                int at = entryOffset(blob);
                long dsize = random.nextBoolean() ? ODD_DSIZES[random.nextInt(ODD_DSIZES.length)]
                        : random.nextInt() & 0xffff_ffffL;
                for (int i = 0; i < 4 && at + 2 + i < blob.length; i++) {
                    blob[at + 2 + i] = (byte) (dsize >>> (8 * i));
                }
                return blob;
            }
            case 7: { // remove a range
                if (blob.length < 2) {
                    return blob;
                }
                int from = random.nextInt(blob.length);
                int to = Math.min(blob.length, from + 1 + random.nextInt(24));
                byte[] out = new byte[blob.length - (to - from)];
                System.arraycopy(blob, 0, out, 0, from);
                System.arraycopy(blob, to, out, from, blob.length - to);
                return out;
            }
            case 8: { // duplicate a range in place
                if (blob.length == 0) {
                    return blob;
                }
                int from = random.nextInt(blob.length);
                int len = Math.min(blob.length - from, 1 + random.nextInt(40));
                byte[] out = new byte[blob.length + len];
                System.arraycopy(blob, 0, out, 0, from + len);
                System.arraycopy(blob, from, out, from + len, blob.length - from);
                return out;
            }
            case 9: { // splice with another seed
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                int cut = random.nextInt(blob.length + 1);
                int otherCut = random.nextInt(other.length + 1);
                byte[] out = Arrays.copyOf(blob, cut + other.length - otherCut);
                System.arraycopy(other, otherCut, out, cut, other.length - otherCut);
                return out;
            }
            default: { // zero a range (a premature end, or empty names and values)
                if (blob.length == 0) {
                    return blob;
                }
                int from = random.nextInt(blob.length);
                Arrays.fill(blob, from, Math.min(blob.length, from + 1 + random.nextInt(8)),
                        (byte) 0);
                return blob;
            }
        }
    }

    /** Entries with random header fields and plausible sizes, so some get deep into checks. */
    private byte[] randomEntries() {
        int count = 1 + random.nextInt(6);
        byte[] out = new byte[0];
        for (int e = 0; e < count; e++) {
            int namesize = 1 + random.nextInt(20);
            int dsize = random.nextInt(4) == 0 ? random.nextInt(40) : 1 << random.nextInt(4);
            int len = 6 + ((namesize + 7) & ~7) + ((dsize + 7) & ~7);
            byte[] entry = new byte[len];
            entry[0] = (byte) (1 + random.nextInt(17));
            entry[1] = (byte) namesize;
            entry[2] = (byte) dsize;
            for (int i = 0; i < namesize - 1; i++) {
                entry[6 + i] = (byte) ('a' + random.nextInt(26));
            }
            int payload = 6 + ((namesize + 7) & ~7);
            for (int i = 0; i < dsize; i++) {
                entry[payload + i] = (byte) (random.nextInt(3) == 0 ? 0 : random.nextInt(256));
            }
            out = Arrays.copyOf(out, out.length + len);
            System.arraycopy(entry, 0, out, out.length - len, len);
        }
        return out;
    }

    /** The offset of a random entry reachable by walking the headers, or 0. */
    private int entryOffset(byte[] blob) {
        int[] offsets = new int[64];
        int n = 0;
        long off = 0;
        while (off + 6 <= blob.length && n < offsets.length && blob[(int) off] != 0) {
            offsets[n++] = (int) off;
            int namesize = blob[(int) off + 1] & 0xff;
            long dsize = (blob[(int) off + 2] & 0xffL) | (blob[(int) off + 3] & 0xffL) << 8
                    | (blob[(int) off + 4] & 0xffL) << 16 | (blob[(int) off + 5] & 0xffL) << 24;
            off += 6 + ((namesize + 7) & ~7) + ((dsize + 7) & ~7L);
        }
        return n == 0 ? 0 : offsets[random.nextInt(n)];
    }
}

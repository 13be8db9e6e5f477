package org.hast.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Hostile inputs for a stream of spec §4.1 frames (5-byte header + nv [+ payload]), derived from
 * valid frames: the nv part goes through {@link Mutator}, and the header's version and size are
 * kept right, made wrong, or made absurd; sometimes just random bytes or a truncated frame.
 * Deterministic for a given {@link Random}.
 */
public final class FrameMutator {
    private static final int HEADER = 5;

    private final Random random;
    private final List<byte[]> frames;
    private final Mutator nvMutator;

    /** {@code frames}: valid frames, each a header followed by its nv (and payload, if any). */
    public FrameMutator(Random random, List<byte[]> frames) {
        this.random = random;
        this.frames = frames;
        List<byte[]> nvs = new ArrayList<>();
        for (byte[] frame : frames) {
            int size = ByteBuffer.wrap(frame, 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            nvs.add(Arrays.copyOfRange(frame, HEADER, HEADER + size));
        }
        this.nvMutator = new Mutator(random, nvs);
    }

    public byte[] next() {
        int dice = random.nextInt(100);
        if (dice < 10) {
            byte[] noise = new byte[random.nextInt(80)];
            random.nextBytes(noise);
            return noise;
        }
        if (dice < 20) {
            byte[] frame = frames.get(random.nextInt(frames.size()));
            return Arrays.copyOf(frame, random.nextInt(frame.length));
        }
        byte[] nv = nvMutator.next();
        byte[] frame = new byte[HEADER + nv.length];
        ByteBuffer header = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
        header.put((byte) (random.nextInt(5) == 0 ? random.nextInt(256) : 1 + random.nextInt(2)));
        int size = switch (random.nextInt(6)) {
            case 0 -> random.nextInt();
            case 1 -> nv.length + 1 + random.nextInt(64);
            default -> nv.length;
        };
        header.putInt(size);
        System.arraycopy(nv, 0, frame, HEADER, nv.length);
        return frame;
    }
}

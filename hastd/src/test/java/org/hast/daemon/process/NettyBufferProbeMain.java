package org.hast.daemon.process;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

/**
 * Started as its own JVM by {@link JvmDefaultsTest}: hastd's defaults, then one pooled buffer;
 * prints the leak detector's level it ran with ({@code leakDetection=LEVEL}).
 */
public final class NettyBufferProbeMain {
    private NettyBufferProbeMain() {
    }

    public static void main(String[] args) {
        JvmDefaults.apply();
        ByteBuf buffer = ByteBufAllocator.DEFAULT.directBuffer(4096);
        buffer.writeZero(4096);
        buffer.release();
        System.out.println("leakDetection=" + ResourceLeakDetector.getLevel());
    }
}

package org.hast.daemon.supervision;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;

/** Started by {@link WorkerJvmOptionsTest} with a worker's options: prints what the JVM made of them. */
public final class WorkerJvmProbeMain {
    private WorkerJvmProbeMain() {
    }

    public static void main(String[] args) {
        StringBuilder collectors = new StringBuilder();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            collectors.append(gc.getName()).append(';');
        }
        long young = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            String name = pool.getName();
            if (pool.getType() == MemoryType.HEAP && (name.contains("Eden") || name.contains("Survivor"))) {
                young += Math.max(pool.getUsage().getMax(), 0);
            }
        }
        System.out.println("collectors=" + collectors);
        System.out.println("heapMax=" + Runtime.getRuntime().maxMemory());
        System.out.println("youngMax=" + young);
        System.out.println("directMax=" + PlatformDependent.maxDirectMemory());
        System.out.println("nettyDirectArenas=" + PooledByteBufAllocator.DEFAULT.metric().numDirectArenas());
        System.out.println("nettyChunk=" + PooledByteBufAllocator.DEFAULT.metric().chunkSize());
        System.out.println("mallocArenaMax=" + System.getenv("MALLOC_ARENA_MAX"));
        System.out.println("trimNativeHeapInterval=" + ManagementFactory
                .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                .getVMOption("TrimNativeHeapInterval").getValue());
    }
}

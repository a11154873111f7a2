package dev.writ.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** CPU time (user + system) of other processes, read from {@code /proc/<pid>/stat} (Linux; clock ticks of 10 ms). */
final class Cpu {
    private static final long NANOS_PER_TICK = 10_000_000L;

    private Cpu() {}

    /** Total CPU nanoseconds used so far by {@code pids}, or -1 when it cannot be read (not Linux). */
    static long of(List<Long> pids) {
        long sum = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                // Fields after the command name, which is in parentheses and may contain spaces.
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
                sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }
        return sum;
    }
}

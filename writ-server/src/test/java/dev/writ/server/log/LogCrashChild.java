package dev.writ.server.log;

import dev.writ.core.log.LogReceipt;
import dev.writ.server.log.postgres.PostgresLog;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Appends to a log from several threads until killed: {@code LogCrashChild <run> file <dir>} or
 * {@code LogCrashChild <run> postgres} (location in {@code WRIT_TEST_LOG_LOCATION}). Prints {@code ACK <index> <jti>}
 * after each append returns and {@code RCPT <receipt json>} for some receipts.
 */
public final class LogCrashChild {
    public static void main(String[] args) throws Exception {
        String run = args[0];
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        TransparencyLog log =
                switch (args[1]) {
                    case "file" -> AuditLog.open(Path.of(args[2]), TransparencyLogContract.SIGNER);
                    case "postgres" ->
                        PostgresLog.open(System.getenv("WRIT_TEST_LOG_LOCATION"), TransparencyLogContract.SIGNER);
                    default -> throw new IllegalArgumentException("unknown log kind " + args[1]);
                };
        out.println("READY " + log.size());
        for (int t = 0; t < 6; t++) {
            int id = t;
            Thread.ofPlatform().start(() -> {
                String pad = "x".repeat(100 + id * 50);
                for (long n = 0; ; n++) {
                    String jti = run + "-" + id + "-" + n;
                    byte[] entry = ("{\"jti\":\"" + jti + "\",\"pad\":\"" + pad + "\",\"type\":\"test\"}")
                            .getBytes(StandardCharsets.UTF_8);
                    try {
                        LogReceipt r = log.append(entry);
                        StringBuilder line = new StringBuilder("ACK ")
                                .append(r.index())
                                .append(' ')
                                .append(jti);
                        if (n % 37 == 0) {
                            line.append('\n').append("RCPT ").append(r.toJson().toString());
                        }
                        out.println(line);
                    } catch (LogException e) {
                        out.println("ERR " + e.code());
                        return;
                    }
                }
            });
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    private LogCrashChild() {}
}

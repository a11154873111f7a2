package dev.writ.server.log;

import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Runs an audit log under concurrent load until killed. Prints {@code ACK <index> <jti>} after each append returns,
 * and {@code RCPT <receipt json>} for some receipts.
 */
public final class CrashChild {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String run = args[1];
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        AuditLog log = AuditLog.open(dir, AuditLogTest.SIGNER, new AuditLog.Options(4096, 512, 3000));
        out.println("READY " + log.size());
        int threads = 6;
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread.ofPlatform().start(() -> {
                byte[] pad = "x".repeat(200 + id * 50).getBytes(StandardCharsets.UTF_8);
                for (long n = 0; ; n++) {
                    String jti = run + "-" + id + "-" + n;
                    byte[] entry = ("{\"jti\":\"" + jti + "\",\"pad\":\"" + new String(pad, StandardCharsets.UTF_8)
                                    + "\",\"type\":\"test\"}")
                            .getBytes(StandardCharsets.UTF_8);
                    try {
                        LogReceipt r = log.append(entry);
                        StringBuilder line = new StringBuilder("ACK ")
                                .append(r.index())
                                .append(' ')
                                .append(jti);
                        if (n % 97 == 0) {
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

    static String cpLine(Checkpoint cp) {
        return cp.size() + " " + Base64.getEncoder().encodeToString(cp.rootHash());
    }

    private CrashChild() {}
}

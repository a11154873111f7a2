package dev.writ.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.VerifiedLogReceipt;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a log-writing JVM with SIGKILL at random points under concurrent load, restarts it, and checks that every
 * acknowledged entry survived, every receipt handed out still verifies, and every checkpoint handed out is consistent
 * with the recovered tree.
 */
class AuditLogCrashTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void acknowledgedEntriesSurviveSigkill() throws Exception {
        Random random = new Random(0x5eed);
        Map<Long, String> acked = new HashMap<>();
        List<LogReceipt> receipts = new ArrayList<>();
        long lastSize = 0;
        for (int round = 0; round < 5; round++) {
            String java = ProcessHandle.current().info().command().orElse("java");
            Process p = new ProcessBuilder(
                            java,
                            "-cp",
                            System.getProperty("java.class.path"),
                            "-Xshare:auto",
                            CrashChild.class.getName(),
                            dir.toString(),
                            "r" + round)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            CountDownLatch firstAck = new CountDownLatch(1);
            List<String> lines = new ArrayList<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (lines) {
                            lines.add(line);
                        }
                        if (line.startsWith("ACK ")) {
                            firstAck.countDown();
                        }
                    }
                } catch (Exception e) {
                    // the child died; partial output is fine
                }
            });
            assertThat(firstAck.await(20, TimeUnit.SECONDS))
                    .as("child acknowledged an append")
                    .isTrue();
            Thread.sleep(100 + random.nextInt(700));
            p.destroyForcibly(); // SIGKILL on Linux
            p.waitFor(10, TimeUnit.SECONDS);
            reader.join(5000);
            int acksThisRound = 0;
            synchronized (lines) {
                for (String line : lines) {
                    String[] f = line.split(" ", 3);
                    if (line.startsWith("ACK ") && f.length == 3) {
                        acked.put(Long.parseLong(f[1]), f[2]);
                        acksThisRound++;
                    } else if (line.startsWith("RCPT ")) {
                        try {
                            receipts.add(LogReceipt.fromJson(JSON.readTree(line.substring(5))));
                        } catch (Exception e) {
                            // a line cut by the kill is not something the child handed out
                        }
                    } else if (line.startsWith("READY ")) {
                        // The recovered log never shrinks below what was acknowledged before.
                        assertThat(Long.parseLong(line.substring(6))).isGreaterThanOrEqualTo(lastSize);
                    }
                }
            }
            assertThat(acksThisRound).isPositive();

            try (AuditLog log = AuditLog.open(dir, AuditLogTest.SIGNER)) {
                long size = log.size();
                byte[] root = log.rootHash(size);
                for (Map.Entry<Long, String> a : acked.entrySet()) {
                    assertThat(a.getKey()).isLessThan(size);
                    assertThat(LogEntries.jtiOf(log.entry(a.getKey()))).isEqualTo(a.getValue());
                }
                for (LogReceipt r : receipts) {
                    VerifiedLogReceipt v = r.verify(log.entry(r.index()), log.verifier());
                    Checkpoint cp = v.checkpoint().checkpoint();
                    Merkle.verifyConsistency(
                            cp.size(), size, log.consistencyProof(cp.size(), size), cp.rootHash(), root);
                }
                lastSize = size;
            }
        }
        assertThat(acked).hasSizeGreaterThan(100);
        assertThat(receipts).isNotEmpty();
        try (AuditLog log = AuditLog.open(dir, AuditLogTest.SIGNER)) {
            assertThat(log.audit()).isEqualTo(log.size());
        }
    }
}

package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.server.log.AuditLog;
import dev.writ.server.log.LogHandler;
import dev.writ.server.log.TestSigner;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LogCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final TestSigner SIGNER = new TestSigner("writ.test/log", 7);

    @TempDir
    Path data;

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new LogCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static byte[] entry(int i) {
        return ("{\"jti\":\"j" + i + "\",\"type\":\"sae\"}").getBytes(StandardCharsets.UTF_8);
    }

    void fill(int n) throws Exception {
        try (AuditLog log = AuditLog.open(data.resolve("log"), SIGNER)) {
            for (int i = 0; i < n - 1; i++) {
                log.appendAsync(entry(i));
            }
            log.append(entry(n - 1));
        }
    }

    @Test
    void readsProvesAndVerifiesALocalLog() throws Exception {
        fill(300);
        String d = data.toString();
        Run cp = run("checkpoint", "--data", d, "--json");
        assertThat(cp.exit()).isZero();
        assertThat(cp.json().get("size").asLong()).isEqualTo(300);
        String key = cp.json().get("key").asText();

        Run e = run("entry", "7", "--data", d);
        assertThat(e.exit()).isZero();
        assertThat(e.out().trim()).isEqualTo(new String(entry(7), StandardCharsets.UTF_8));

        Run p = run("prove", "--jti", "j9", "--data", d, "--json", "--key", key);
        assertThat(p.exit()).isZero();
        Path receipt = data.resolve("receipt.json");
        Files.writeString(receipt, p.out());
        Path entryFile = data.resolve("entry.json");
        Files.write(entryFile, entry(9));
        assertThat(run("verify", receipt.toString(), "--entry", entryFile.toString(), "--data", d)
                        .exit())
                .isZero();
        Files.write(entryFile, entry(10));
        Run bad = run("verify", receipt.toString(), "--entry", entryFile.toString(), "--data", d, "--json");
        assertThat(bad.exit()).isEqualTo(ExitCodes.FALSE);
        assertThat(bad.json().get("error").get("code").asText()).isEqualTo("proof.inclusion.mismatch");

        assertThat(run("verify", "--data", d).exit()).isZero();
        // A pinned key that is not the log's: nothing verifies.
        String other = new TestSigner("writ.test/log", 8).verifier().keyString();
        assertThat(run("checkpoint", "--data", d, "--key", other).exit()).isEqualTo(ExitCodes.FALSE);

        // Usage errors.
        assertThat(run("prove", "--data", d).exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("entry", "300", "--data", d).exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("entry", "--data", d).exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run("verify", "missing.json", "--data", d).exit()).isEqualTo(ExitCodes.USAGE);

        // Tampering with one stored entry byte makes the audit fail.
        try (RandomAccessFile f =
                new RandomAccessFile(data.resolve("log/entries.data").toFile(), "rw")) {
            f.seek(1000);
            int b = f.read();
            f.seek(1000);
            f.write(b ^ 1);
        }
        Run audit = run("verify", "--data", d, "--json");
        assertThat(audit.exit()).isEqualTo(ExitCodes.FALSE);
        assertThat(audit.json().get("valid").asBoolean()).isFalse();
    }

    @Test
    void verifiesAServerOverHttp() throws Exception {
        fill(600);
        try (AuditLog log = AuditLog.open(data.resolve("log"), SIGNER)) {
            Server server = new Server();
            ServerConnector c = new ServerConnector(server);
            c.setHost("127.0.0.1");
            server.addConnector(c);
            server.setHandler(new LogHandler(log));
            server.start();
            try {
                String url = "http://127.0.0.1:" + c.getLocalPort();
                List<Run> runs = new ArrayList<>();
                runs.add(run("checkpoint", "--server", url));
                runs.add(run("verify", "--server", url, "--json"));
                runs.add(run("prove", "599", "--server", url, "--json"));
                runs.add(run("entry", "599", "--server", url));
                for (Run r : runs) {
                    assertThat(r.exit()).as(r.err()).isZero();
                }
                assertThat(runs.get(1).json().get("size").asLong()).isEqualTo(600);
                // A checkpoint saved earlier stays verifiable against the grown log; a forged one does not.
                Path saved = data.resolve("cp-600");
                Files.write(saved, log.checkpoint());
                for (int i = 0; i < 10; i++) {
                    log.append(entry(600 + i));
                }
                Run later = run("verify", "--server", url, "--checkpoint", saved.toString(), "--json");
                assertThat(later.exit()).as(later.out()).isZero();
                assertThat(later.json().get("consistentWith").asLong()).isEqualTo(600);
                assertThat(later.json().get("size").asLong()).isEqualTo(610);
                Files.writeString(saved, Files.readString(saved).replace("\n600\n", "\n601\n"));
                assertThat(run("verify", "--server", url, "--checkpoint", saved.toString())
                                .exit())
                        .isEqualTo(ExitCodes.FALSE);
                assertThat(runs.get(2).json().get("index").asLong()).isEqualTo(599);
                assertThat(run("entry", "610", "--server", url).exit()).isEqualTo(ExitCodes.USAGE);
            } finally {
                server.stop();
            }
        }
    }
}
